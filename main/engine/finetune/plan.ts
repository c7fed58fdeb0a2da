// How a fine-tune is planned before anything trains, shared by `biggan finetune` and the studio: which folder
// classes the model should learn (an existing class for a one-class folder, a new class, or the folder's own
// classes matched by name), which method runs (the engine's choice, chooseMethod.ts, or the one asked for), the
// options that method adds to the user's (FreezeD from the choice, a fresh D's warm-up, faster new class rows),
// and the model the run trains (a fresh D first, then a row per new class).
//
// Errors a user can fix are FinetunePlanError with a code, so that each front end words them in its own terms
// (the CLI names its flags; the studio its fields).
import type { ImageSplit } from '../images'
import { classNames, findClass } from '../classes'
import type { ModelConfig } from '../config'
import type { BigGANModel } from '../model'
import { discriminatorBlocks, type TrainOptions } from '../train/settings'
import { chooseMethod, matchFolderClasses, type FinetuneMethod, type MethodChoice } from './chooseMethod'
import { discriminatorWarmup, freshDiscriminatorProblem, withFreshDiscriminator } from './freshDiscriminator'
import { addClass } from './newClass'
import { nearestClass, nearestClassWork, type NearestClass } from './nearestClass'

export const FINETUNE_METHODS: readonly FinetuneMethod[] = ['adversarial', 'new-class', 'fresh-d', 'bsa']

/** Which model classes the folder trains. */
export type FinetuneTarget =
  /** the folder's classes, matched to the model's class names; a name the model lacks becomes a new class */
  | { kind: 'folder' }
  /** a one-class folder trains this existing class (an index or a name, as findClass reads it) */
  | { kind: 'class'; query: string }
  /** a one-class folder becomes a new class of this name */
  | { kind: 'new'; name: string }

export type FinetunePlanErrorCode =
  /** a 'class' or 'new' target, but the folder has several classes */
  | 'needs-one-class-folder'
  /** the class query names no class, or several */
  | 'unknown-class'
  /** an adversarial method for a model without a discriminator */
  | 'no-discriminator'
  /** fresh-d for a model that already has one */
  | 'has-discriminator'
  /** chooseMethod, the warm-up or the settings refused the inputs */
  | 'invalid'

export class FinetunePlanError extends Error {
  override readonly name = 'FinetunePlanError'
  constructor(
    readonly code: FinetunePlanErrorCode,
    message: string,
    /** 'needs-one-class-folder': the folder's classes, for a front end to name them in its own words */
    readonly folderClasses?: readonly string[],
  ) {
    super(message)
  }
}

/** What planning needs to know of the model: no weights. */
export interface ModelFacts {
  config: ModelConfig
  hasDiscriminator: boolean
  /** blocks of D (D.blocks.0 …), where it has one */
  discriminatorBlocks?: number
}

export function modelFacts(model: BigGANModel): ModelFacts {
  return {
    config: model.config,
    hasDiscriminator: model.D !== undefined,
    ...(model.D ? { discriminatorBlocks: discriminatorBlocks(model.D.specs().map((s) => s.name)) } : {}),
  }
}

export interface FinetunePlan {
  /** the engine's default for this model and folder, with its one-line reason */
  choice: MethodChoice
  /** the method asked for, if any */
  requested?: FinetuneMethod
  /** the method that runs: the one asked for or the default; adversarial becomes new-class when a class is new */
  method: FinetuneMethod
  /** the folder's classes as the model should know them (index = folder label) */
  folderClasses: string[]
  /** for each folder class, its existing model class, or null where it is new */
  modelClasses: (number | null)[]
  /** folder classes the model lacks, in folder order */
  newClasses: string[]
}

/** Plans a fine-tune of a model on a folder (its class names, its training images after the held-out split). */
export function planFinetune(
  model: ModelFacts,
  folder: { classes: readonly string[]; trainImages: number },
  target: FinetuneTarget,
  requested?: FinetuneMethod,
): FinetunePlan {
  if (target.kind !== 'folder' && folder.classes.length !== 1) {
    throw new FinetunePlanError(
      'needs-one-class-folder',
      `${target.kind === 'class' ? 'an existing target class' : 'a new class'} takes a one-class folder, but this folder has ` +
        `${folder.classes.length} classes (${folder.classes.join(', ')}); name its subfolders after the model's classes instead`,
      folder.classes,
    )
  }
  const names = classNames(model.config)
  let folderClasses: string[]
  if (target.kind === 'new') {
    const name = target.name.trim()
    if (name === '') throw new FinetunePlanError('invalid', 'the new class needs a name')
    folderClasses = [name]
  } else if (target.kind === 'class') {
    let index: number
    try {
      index = findClass(model.config, target.query)
    } catch (e) {
      throw new FinetunePlanError('unknown-class', (e as Error).message)
    }
    folderClasses = [names[index]]
  } else {
    folderClasses = [...folder.classes]
  }
  let choice: MethodChoice
  try {
    choice = chooseMethod({
      hasDiscriminator: model.hasDiscriminator,
      imageCount: folder.trainImages,
      folderClasses,
      modelClasses: names,
      canAddDiscriminator: freshDiscriminatorProblem(model.config) === undefined,
      ...(model.discriminatorBlocks !== undefined ? { discriminatorBlocks: model.discriminatorBlocks } : {}),
    })
  } catch (e) {
    throw new FinetunePlanError('invalid', (e as Error).message)
  }
  let method = requested ?? choice.method
  if (method === 'adversarial' && choice.newClasses.length > 0) method = 'new-class' // a class the model lacks needs its row
  if ((method === 'adversarial' || method === 'new-class') && !model.hasDiscriminator) {
    throw new FinetunePlanError(
      'no-discriminator',
      'this model has no discriminator (a generator-only model, like the released BigGAN-deep weights): adversarial ' +
        'fine-tuning needs one. Use the fresh-d method (a new D, warmed up against the frozen G) or bsa (no D)',
    )
  }
  if (method === 'fresh-d' && model.hasDiscriminator) {
    throw new FinetunePlanError('has-discriminator', 'this model already has a discriminator: fine-tune it with the adversarial or new-class method')
  }
  const { indices } = matchFolderClasses(folderClasses, names)
  return {
    choice,
    ...(requested ? { requested } : {}),
    method,
    folderClasses,
    modelClasses: indices,
    newClasses: choice.newClasses,
  }
}

/** The training options a planned method adds to the user's: a fresh D's warm-up (the run's steps then count it),
 *  FreezeD from the choice unless given, and the new class rows' faster step. `added` are the new classes' indices
 *  once prepareFinetuneModel has added them. */
export function finetuneOptions(
  plan: FinetunePlan,
  options: TrainOptions,
  extra: { warmup?: number; classStep?: number; added?: number[] } = {},
): { options: TrainOptions; warmupSteps?: number } {
  let out: TrainOptions = options
  let warmupSteps: number | undefined
  if (plan.method === 'fresh-d') {
    let warmup
    try {
      warmup = discriminatorWarmup(options.steps, extra.warmup)
    } catch (e) {
      throw new FinetunePlanError('invalid', (e as Error).message)
    }
    warmupSteps = warmup.steps
    out = { ...options, steps: options.steps + warmup.steps, warmupSteps: warmup.steps, freezeD: options.freezeD ?? 0 }
  } else if (options.freezeD === undefined && plan.choice.freezeDBlocks > 0) {
    out = { ...options, freezeD: plan.choice.freezeDBlocks }
  }
  if (extra.added && extra.added.length > 0) {
    out = { ...out, classStepScale: { classes: extra.added, factor: extra.classStep ?? 10 } }
  }
  return { options: out, ...(warmupSteps !== undefined ? { warmupSteps } : {}) }
}

/**
 * The model the run trains, and each folder class's model class. Owns `model` from here on: it is returned, or
 * replaced (a fresh D, a row per new class) and disposed; on failure everything is disposed. `onNote` hears one
 * line per new class (where its row started from).
 */
export async function prepareFinetuneModel(
  model: BigGANModel,
  dataset: { train: ImageSplit },
  plan: FinetunePlan,
  options: { seed: number; onNote?: (line: string) => void },
): Promise<{ model: BigGANModel; classMap: number[]; added: number[] }> {
  let trained = model
  const replace = (next: BigGANModel): void => {
    trained.dispose()
    trained = next
  }
  try {
    if (plan.method === 'fresh-d') replace(withFreshDiscriminator(trained, { seed: options.seed }))
    const askD = plan.method !== 'fresh-d' && trained.D !== undefined // a fresh D's class evidence would be noise
    for (const name of plan.newClasses) {
      const { pixels, count } = imagesOfClass(dataset.train, plan.folderClasses.indexOf(name))
      let nearest: NearestClass | undefined
      if (askD && count > 0) {
        const work = nearestClassWork(trained.config)
        options.onNote?.(`finding the class '${name}' starts from: ${work.candidates} classes × ${work.samplesPerClass} samples against the folder, in D's features`)
        nearest = await nearestClass(trained, pixels, count, { seed: options.seed })
      }
      const initFrom = nearest?.initFrom ?? 'mean'
      const names = classNames(trained.config)
      const why = nearest && nearest.scores.length > 1
        ? ` (nearest in D's features${nearest.grey ? ', compared in grey: the model draws grey' : ''}; then ${nearest.scores.slice(1, 3).map((s) => names[s.k]).join(', ')})`
        : ''
      const start = initFrom === 'mean' ? 'the mean of all classes' : `class ${initFrom} (${names[initFrom]})${why}`
      replace(addClass(trained, { name, initFrom }))
      options.onNote?.(`new class ${trained.config.numClasses - 1} '${name}', started from ${start}`)
    }
    // existing classes by name, new ones to their new indices
    const after = matchFolderClasses(plan.folderClasses, classNames(trained.config)).indices
    const classMap = after.map((i, k) => (i ?? plan.modelClasses[k]) as number)
    const added = plan.newClasses.map((name) => classNames(trained.config).indexOf(name))
    return { model: trained, classMap, added }
  } catch (e) {
    trained.dispose() // disposing twice is harmless
    throw e
  }
}

/** The training images of one folder class, as the uint8 [count, R, R, 3] the engine's helpers take. */
function imagesOfClass(train: ImageSplit, label: number): { pixels: Uint8Array; count: number } {
  const size = train.resolution * train.resolution * 3
  const picked: number[] = []
  for (let i = 0; i < train.count; i++) if (train.labels[i] === label) picked.push(i)
  const pixels = new Uint8Array(picked.length * size)
  picked.forEach((i, k) => pixels.set(train.pixels.subarray(i * size, (i + 1) * size), k * size))
  return { pixels, count: picked.length }
}
