// Everything a training run is configured by, with BigGAN's values scaled for runs of hundreds to thousands of steps
// on one desktop (the table says where each comes from). The loop reads only this object; a run folder stores it
// whole, so a resumed run trains with exactly the settings it started with.
//
//   value                 train (from scratch)             finetune (from a checkpoint)     source
//   batch                 16                               8                                paper 2048; recipe 8–16
//   accumulation          1                                1                                BigGAN-PyTorch 8 (×256)
//   D steps per G step    2                                2                                paper; BigGAN-PyTorch 1
//   Adam lr G / D         1e-4 / 4e-4                      2e-5 / 8e-5                      BigGAN-PyTorch; recipe [ours]
//   Adam β1, β2, ε        0, 0.999, 1e-6                   same                             BigGAN-PyTorch
//   orthogonal reg. β     1e-4                             0                                paper; released weights had none
//   EMA decay / start     0.999 / 10 % of steps            half-life ≤ 10k images / 0       paper 0.9999/20k; ADA half-life
//   augmentation          DiffAugment + ADA p (target 0.6) same                             DiffAugment, ADA
//   FreezeD               0                                3 (≤ D blocks − 1)               FreezeD --layer 3
//
// Learning rates: the paper's 5e-5 / 2e-4 were tuned for batch 2048 with 2 D steps; BigGAN-PyTorch's 1e-4 / 4e-4
// (SA-GAN's rates) are what the one public run with its full settings used, and small batches tolerate them.
import { AUGMENT_POLICIES, type AugmentPolicy } from './augment'
import { adaSpeedForRun } from './adaptiveAugment'
import type { EmaSettings } from './ema'
import { defaultMemorisation, type MemorisationSettings } from './memorisation'
import type { AdamSettings } from './optimiser'

export type TrainMode = 'train' | 'finetune'

export interface AugmentSettings {
  /** DiffAugment policies in the authors' order; [] = no augmentation */
  policies: AugmentPolicy[]
  /** ADA controls p (from `p`); false keeps p fixed (p 1 = plain DiffAugment) */
  adaptive: boolean
  /** initial (adaptive) or fixed probability of each policy per image */
  p: number
  /** ADA's r_t target (0.6) */
  target: number
  /** D steps between ADA adjustments (4) */
  interval: number
  /** real images for p to move by 1 (ADA's ada_kimg·1000, scaled to the run) */
  speedImages: number
}

export interface TrainSettings {
  mode: TrainMode
  /** G steps to train for; each follows `dStepsPerGStep` D steps */
  steps: number
  /** images per forward pass (a micro-batch): reals in the D step, fakes in both steps */
  batchSize: number
  /** micro-batches whose gradients are averaged before one optimiser step: effective batch batchSize·accumulation */
  accumulation: number
  dStepsPerGStep: number
  adam: { G: AdamSettings; D: AdamSettings }
  /** β of the off-diagonal orthogonal regularisation on G (0 = off) */
  orthogonalRegularisation: number
  ema: EmaSettings
  augment: AugmentSettings
  /** FreezeD: the lowest k D blocks (D.blocks.0 … k−1, and every D parameter declared before D.blocks.k) stay fixed */
  freezeD: number
  /** random horizontal flips of the training images */
  mirror: boolean
  /** a checkpoint every N steps (and at the last step); the newest `keepCheckpoints` are kept */
  checkpointEvery: number
  keepCheckpoints: number
  /** a preview grid of fixed latents with the EMA generator every N steps (and at steps 0, the last, and every checkpoint) */
  previewEvery: number
  previewCount: number
  /** one metrics record every N steps (and at every scheduled checkpoint) */
  logEvery: number
  /** σ spectra of every SN layer and the held-out D gap every N steps (a multiple of logEvery) */
  spectraEvery: number
  /** images per side (train, held-out) for the held-out D gap */
  gapImages: number
  seed: number
  /** the first N G steps train D alone against a frozen G (no G optimiser step, EMA untouched): a fresh D's
   *  warm-up (finetune/freshDiscriminator.ts); absent or 0: none */
  warmupSteps?: number
  /** the copying check of the preview samples (memorisation.ts); absent (runs from before it): its defaults */
  memorisation?: MemorisationSettings
  /** new classes' embedding rows (G's shared embedding, D's projection) take `factor`× the optimiser's step:
   *  the "class row ×10 lr" of the new-class recipe (finetune/newClass.ts); absent: every row alike */
  classStepScale?: { classes: number[]; factor: number }
}

/** What a user may set; everything else comes from the mode's defaults. */
export interface TrainOptions {
  steps: number
  batchSize?: number
  accumulation?: number
  dStepsPerGStep?: number
  lrG?: number
  lrD?: number
  beta1?: number
  beta2?: number
  epsilon?: number
  orthogonalRegularisation?: number
  emaDecay?: number
  emaStart?: number
  augmentPolicies?: AugmentPolicy[]
  /** a fixed p; absent: ADA adapts p from 0 */
  augmentP?: number
  adaTarget?: number
  freezeD?: number
  mirror?: boolean
  checkpointEvery?: number
  keepCheckpoints?: number
  previewEvery?: number
  previewCount?: number
  logEvery?: number
  spectraEvery?: number
  seed?: number
  /** G steps at the start whose G update is skipped (D warms up against the frozen G) */
  warmupSteps?: number
  /** a copying check every N steps (a multiple of previewEvery; 0 = none) */
  memorisationEvery?: number
  /** these classes' embedding rows step `factor`× faster (new classes) */
  classStepScale?: { classes: number[]; factor: number }
}

/** What the defaults depend on: the training images and the discriminator's depth. */
export interface TrainContext {
  trainImages: number
  /** blocks of the discriminator (D.blocks.0 …) */
  dBlocks: number
}

export class TrainSettingsError extends Error {
  override readonly name = 'TrainSettingsError'
}

/** DiffAugment's advice: all three policies for hundreds of images, a subset (translation and cutout, what its
 *  BigGAN-CIFAR scripts use) for large sets; the line is drawn at 1 000. */
export function defaultPolicies(trainImages: number): AugmentPolicy[] {
  return trainImages < 1000 ? ['color', 'translation', 'cutout'] : ['translation', 'cutout']
}

export function resolveTrainSettings(mode: TrainMode, o: TrainOptions, context: TrainContext): TrainSettings {
  const finetune = mode === 'finetune'
  const batchSize = o.batchSize ?? (finetune ? 8 : 16)
  const accumulation = o.accumulation ?? 1
  const dStepsPerGStep = o.dStepsPerGStep ?? 2
  const effective = batchSize * accumulation
  const adam = (lr: number): AdamSettings => ({
    learningRate: lr,
    beta1: o.beta1 ?? 0,
    beta2: o.beta2 ?? 0.999,
    epsilon: o.epsilon ?? 1e-6,
  })
  const logEvery = o.logEvery ?? 10
  const interval = 4
  const positive = Number.isSafeInteger(o.steps) && o.steps > 0 && batchSize > 0 && accumulation > 0 && dStepsPerGStep > 0
  const settings: TrainSettings = {
    mode,
    steps: o.steps,
    batchSize,
    accumulation,
    dStepsPerGStep,
    adam: { G: adam(o.lrG ?? (finetune ? 2e-5 : 1e-4)), D: adam(o.lrD ?? (finetune ? 8e-5 : 4e-4)) },
    orthogonalRegularisation: o.orthogonalRegularisation ?? (finetune ? 0 : 1e-4),
    ema: {
      // ADA's half-life of 10k images for fine-tuning, at most a tenth of the run's images (ADA ramps its half-life up
      // the same way early in a run): with 10k, a 1 000-step fine-tune at batch 8 would render 57 % pretrained weights
      // [ours]; 0.999 (half-life ~700 steps) for short runs from scratch
      decay: o.emaDecay ?? (finetune ? 0.5 ** (effective / Math.min(10_000, 0.1 * Math.max(1, o.steps) * effective)) : 0.999),
      startStep: o.emaStart ?? (finetune ? 0 : Math.round(0.1 * o.steps)),
    },
    augment: {
      policies: o.augmentPolicies ?? defaultPolicies(context.trainImages),
      adaptive: o.augmentP === undefined,
      p: o.augmentP ?? 0,
      target: o.adaTarget ?? 0.6,
      interval,
      speedImages: positive ? adaSpeedForRun(o.steps * dStepsPerGStep * effective, effective, interval) : 1,
    },
    freezeD: o.freezeD ?? (finetune ? Math.max(0, Math.min(3, context.dBlocks - 1)) : 0),
    mirror: o.mirror ?? true,
    checkpointEvery: o.checkpointEvery ?? 500,
    keepCheckpoints: o.keepCheckpoints ?? 2,
    previewEvery: o.previewEvery ?? 250,
    previewCount: o.previewCount ?? 16,
    logEvery,
    spectraEvery: o.spectraEvery ?? 5 * logEvery,
    gapImages: 16,
    seed: o.seed ?? 0,
    ...(o.warmupSteps ? { warmupSteps: o.warmupSteps } : {}),
    ...(o.classStepScale ? { classStepScale: o.classStepScale } : {}),
  }
  settings.memorisation = { ...defaultMemorisation(settings.previewEvery), ...(o.memorisationEvery !== undefined ? { every: o.memorisationEvery } : {}) }
  checkTrainSettings(settings, context)
  return settings
}

/** Every field in range, or a TrainSettingsError naming the field, its value and what it must be. Also run on
 *  settings read back from a run folder. */
export function checkTrainSettings(s: TrainSettings, context?: Partial<TrainContext>): void {
  const fail = (field: string, value: unknown, want: string): never => {
    throw new TrainSettingsError(`training setting ${field} must be ${want}, got ${JSON.stringify(value)}`)
  }
  const int = (field: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    if (!Number.isSafeInteger(value) || value < min || value > max) fail(field, value, `a whole number in [${min}, ${max}]`)
  }
  const num = (field: string, value: number, ok: (x: number) => boolean, want: string): void => {
    if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) fail(field, value, want)
  }
  if (s.mode !== 'train' && s.mode !== 'finetune') fail('mode', s.mode, "'train' or 'finetune'")
  int('steps', s.steps, 1)
  int('batchSize', s.batchSize, 1, 4096)
  int('accumulation', s.accumulation, 1, 1024)
  int('dStepsPerGStep', s.dStepsPerGStep, 1, 100)
  for (const net of ['G', 'D'] as const) {
    const a = s.adam[net]
    num(`adam.${net}.learningRate`, a.learningRate, (x) => x > 0 && x < 1, 'in (0, 1)')
    num(`adam.${net}.beta1`, a.beta1, (x) => x >= 0 && x < 1, 'in [0, 1)')
    num(`adam.${net}.beta2`, a.beta2, (x) => x >= 0 && x < 1, 'in [0, 1)')
    num(`adam.${net}.epsilon`, a.epsilon, (x) => x > 0 && x < 1, 'in (0, 1)')
  }
  num('orthogonalRegularisation', s.orthogonalRegularisation, (x) => x >= 0 && x < 1, 'in [0, 1) (paper: 1e-4)')
  num('ema.decay', s.ema.decay, (x) => x >= 0 && x < 1, 'in [0, 1) (paper: 0.9999)')
  int('ema.startStep', s.ema.startStep, 0)
  const a = s.augment
  if (!Array.isArray(a.policies) || !a.policies.every((p) => AUGMENT_POLICIES.includes(p))) {
    fail('augment.policies', a.policies, `a list drawn from ${AUGMENT_POLICIES.join(', ')}`)
  }
  if (new Set(a.policies).size !== a.policies.length) fail('augment.policies', a.policies, 'a list without repeats')
  if (typeof a.adaptive !== 'boolean') fail('augment.adaptive', a.adaptive, 'true or false')
  num('augment.p', a.p, (x) => x >= 0 && x <= 1, 'in [0, 1]')
  num('augment.target', a.target, (x) => x > -1 && x < 1, 'in (−1, 1) (ADA: 0.6)')
  int('augment.interval', a.interval, 1)
  num('augment.speedImages', a.speedImages, (x) => x > 0, 'a positive number of images')
  int('freezeD', s.freezeD, 0)
  if (context?.dBlocks !== undefined && s.freezeD >= context.dBlocks) {
    fail('freezeD', s.freezeD, `below the discriminator's ${context.dBlocks} blocks (at least one block must train)`)
  }
  if (typeof s.mirror !== 'boolean') fail('mirror', s.mirror, 'true or false')
  int('checkpointEvery', s.checkpointEvery, 1)
  int('keepCheckpoints', s.keepCheckpoints, 1, 1000)
  int('previewEvery', s.previewEvery, 1)
  int('previewCount', s.previewCount, 1, 256)
  int('logEvery', s.logEvery, 1)
  int('spectraEvery', s.spectraEvery, 1)
  if (s.spectraEvery % s.logEvery !== 0) fail('spectraEvery', s.spectraEvery, `a multiple of logEvery (${s.logEvery})`)
  int('gapImages', s.gapImages, 1, 1024)
  int('seed', s.seed, -(2 ** 31), 2 ** 32 - 1)
  if (s.warmupSteps !== undefined) int('warmupSteps', s.warmupSteps, 0, Math.max(0, s.steps - 1))
  if (s.memorisation !== undefined) {
    int('memorisation.every', s.memorisation.every, 0)
    if (s.memorisation.every % s.previewEvery !== 0) {
      fail('memorisation.every', s.memorisation.every, `0 or a multiple of previewEvery (${s.previewEvery}): the check runs on the preview samples`)
    }
    int('memorisation.references', s.memorisation.references, 1, 1_000_000)
    int('memorisation.k', s.memorisation.k, 1, 100)
  }
  if (s.classStepScale !== undefined) {
    const { classes, factor } = s.classStepScale
    if (!Array.isArray(classes) || classes.length === 0) fail('classStepScale.classes', classes, 'a non-empty list of class indices')
    for (const c of classes) int('classStepScale.classes[]', c, 0)
    num('classStepScale.factor', factor, (x) => x > 0 && x <= 1000, 'in (0, 1000] (the recipe: 10)')
  }
}

/** The copying check's settings, for runs from before it too. */
export function memorisationSettings(s: TrainSettings): MemorisationSettings {
  return s.memorisation ?? defaultMemorisation(s.previewEvery)
}

/** Trainable D parameters that FreezeD keeps fixed: every one declared before the first parameter of D.blocks.k
 *  (the stem of BigGAN-deep, blocks 0 … k−1 and any attention between them). Names in, names out. */
export function frozenDiscriminatorParameters(dParameterNames: readonly string[], k: number): string[] {
  if (k === 0) return []
  const first = dParameterNames.findIndex((n) => n.startsWith(`D.blocks.${k}.`))
  if (first < 0) throw new TrainSettingsError(`FreezeD ${k}: this discriminator has no block D.blocks.${k}; freeze fewer blocks`)
  return dParameterNames.slice(0, first)
}

/** How many blocks a discriminator has, from its parameter names (D.blocks.<i>.…). */
export function discriminatorBlocks(dParameterNames: readonly string[]): number {
  let n = 0
  for (const name of dParameterNames) {
    const m = /^D\.blocks\.(\d+)\./.exec(name)
    if (m) n = Math.max(n, Number(m[1]) + 1)
  }
  return n
}
