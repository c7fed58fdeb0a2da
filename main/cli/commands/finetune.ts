import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { intOption, numberOption, stringOption, switchOption, UsageError, type Command, type CommandContext } from '../args.ts'
import { startBackend } from '../engine.ts'
import { asUsage, loadData, resumeRun, startRun, trainingOptions, trainOptionsFromArgs } from './train.ts'
import type { FinetuneMethod } from '../../engine/finetune/chooseMethod.ts'
import type { BigGANModel } from '../../engine/model.ts'
import type { ImageDataset } from '../../data/types.ts'

const methods: readonly FinetuneMethod[] = ['adversarial', 'new-class', 'fresh-d', 'bsa']

export const finetune: Command = {
  name: 'finetune',
  summary: 'fine-tune a model on an image folder (adversarial with FreezeD + DiffAugment/ADA, a new class, a fresh D, or BSA)',
  usage: 'finetune --model DIR --data FOLDER --steps N --out RUN [--method M] [--class N|NAME | --new-class NAME] [options]',
  description: `
Fine-tunes a model folder on an image folder (finetune-metrics §0, §2). The method follows from the model and the
folder (printed with its reason), or --method picks it:
  adversarial  the model has a D and knows the folder's classes: the lowest --freeze-d D blocks stay fixed (FreezeD),
               DiffAugment runs on everything D sees with ADA adapting its strength towards r_t = 0.6, G and D train
               with Adam at a quarter of BigGAN's rates, and the EMA of G is what latest/ and best/ render.
  new-class    as adversarial, after adding a class row for each folder class the model lacks (started from the
               nearest class by D's projection evidence); latest/ then has the new class names.
  fresh-d      for a generator-only model (the released BigGAN-deep weights): a new D is first trained alone against
               the frozen G (--warmup G steps, default 10% of --steps, 100 to 2 000), then G and D train together for
               --steps more.
  bsa          no D at all (chosen under 100 images): G's BatchNorm projections and a latent per image learn to
               reconstruct the images (--steps, --lr-g, --batch, --checkpoint-every, --keep, --seed); latest/ and
               best/ hold the adapted model of the newest checkpoint.
The folder's classes are matched to the model's class names (one subfolder per class); --class maps a one-class
folder onto one existing class, --new-class names the new class a one-class folder becomes.
RUN is laid out as for 'biggan train'; --resume continues it from its newest checkpoint, exactly (bsa runs too).`,
  options: [
    { name: 'model', value: 'DIR', help: 'the native model folder to start from (new runs)' },
    { name: 'method', value: 'adversarial|new-class|fresh-d|bsa', help: "how to fine-tune (default: chosen from the model and the folder)" },
    { name: 'class', value: 'N|NAME', help: 'train a one-class folder as this model class (index or name)' },
    { name: 'new-class', value: 'NAME', help: 'train a one-class folder as a new class of this name' },
    { name: 'class-step', value: 'F', help: "a new class's embedding rows take F× the optimiser's step (default 10)" },
    { name: 'warmup', value: 'N', help: "fresh-d: G steps of D's warm-up against the frozen G (default 10% of --steps, 100–2000)" },
    ...trainingOptions,
  ],
  async run(ctx) {
    const { args } = ctx
    if (switchOption(args, 'resume')) {
      const fixed = ['model', 'class', 'method', 'new-class', 'warmup', 'class-step'].filter((n) => n in args.options)
      if (fixed.length > 0) throw new UsageError(`a resumed run keeps its model and classes; drop ${fixed.map((n) => `--${n}`).join(', ')}`)
      const info = await readFile(join(stringOption(args, 'out')!, 'run.json'), 'utf8').then((t) => JSON.parse(t) as { method?: string }, () => undefined)
      if (info?.method === 'bsa') return bsaResume(ctx)
      return resumeRun(ctx)
    }
    const missing = ['model', 'data', 'steps'].filter((n) => !(n in args.options))
    if (missing.length > 0) {
      throw new UsageError(`a new fine-tune needs ${missing.map((n) => `--${n}`).join(', ')}. Run 'biggan finetune --help' for usage.`)
    }
    const requested = stringOption(args, 'method')
    if (requested !== undefined && !methods.includes(requested as FinetuneMethod)) {
      throw new UsageError(`--method must be one of ${methods.join(', ')}, not '${requested}'`)
    }
    const newName = stringOption(args, 'new-class')
    if (newName !== undefined && 'class' in args.options) throw new UsageError('give --class (an existing class) or --new-class (a new one), not both')
    const { loadModel } = await import('../../disk/modelFolder.ts')
    const options = trainOptionsFromArgs(ctx, intOption(args, 'steps')!)
    const dir = stringOption(args, 'model')!
    await startBackend(ctx.backend)
    const model = await loadModel(dir)
    let dataset: ImageDataset
    try {
      dataset = await loadData(ctx, stringOption(args, 'data')!, model.config.resolution, options.seed ?? 0)
      if (newName !== undefined && dataset.classes.length !== 1) {
        throw new UsageError(`--new-class names the class of a one-class folder, but this folder has ${dataset.classes.length} classes (${dataset.classes.join(', ')})`)
      }
    } catch (e) {
      model.dispose()
      throw e
    }
    return finetuneWith(ctx, model, dataset, requested as FinetuneMethod | undefined, newName, options, { dir, contentHash: model.manifest!.contentHash })
  },
}

type Options = ReturnType<typeof trainOptionsFromArgs>

/** Plans the fine-tune (engine/finetune/plan.ts), prepares the model for it (fresh D, new class rows) and runs it.
 *  Owns `model` (and whatever replaces it) from here on: every path disposes it. */
async function finetuneWith(
  ctx: CommandContext, model: BigGANModel, dataset: ImageDataset, requested: FinetuneMethod | undefined, newName: string | undefined,
  options: Options, parent: { dir: string; contentHash: string },
): Promise<number> {
  let trained = model
  try {
    const { planFinetune, finetuneOptions, prepareFinetuneModel, modelFacts } = await import('../../engine/finetune/plan.ts')
    const classQuery = stringOption(ctx.args, 'class')
    const target = newName !== undefined
      ? { kind: 'new' as const, name: newName }
      : classQuery !== undefined ? { kind: 'class' as const, query: classQuery } : { kind: 'folder' as const }
    const plan = await asPlanUsage(parent.dir, dataset, () =>
      planFinetune(modelFacts(model), { classes: dataset.classes, trainImages: dataset.train.count }, target, requested))
    const { choice, method } = plan
    if (requested === undefined) ctx.err(choice.reason)
    else ctx.err(`--method ${requested}${requested === choice.method ? '' : ` (the model and folder alone would call for ${choice.method}: ${choice.reason})`}`)

    // the model the run trains: a fresh D first (fresh-d), then a row per new class
    const prepared = await asUsage(() => prepareFinetuneModel(model, dataset, plan, { seed: options.seed ?? 0, onNote: (line) => ctx.err(line) }))
    trained = prepared.model
    const { classMap, added } = prepared

    if (method === 'bsa') return await bsaRun(ctx, trained, dataset, classMap, options, parent)
    const resolved = await asPlanUsage(parent.dir, dataset, () => finetuneOptions(plan, options, {
      warmup: intOption(ctx.args, 'warmup'),
      classStep: numberOption(ctx.args, 'class-step'),
      added,
    }))
    if (resolved.warmupSteps !== undefined) {
      ctx.err(`D warms up for ${resolved.warmupSteps} steps against the frozen G, then G and D train together for ${options.steps}`)
    }
    if (added.length > 0) {
      // the new rows learn faster than the rest (the recipe's "class row ×10 lr")
      ctx.err(`the new class row${added.length > 1 ? 's' : ''} ${added.join(', ')} step ${resolved.options.classStepScale!.factor}× faster than the others`)
    }
    return await startRun(ctx, 'finetune', trained, dataset, classMap, resolved.options, parent, method)
  } catch (e) {
    trained.dispose() // disposing twice is harmless: startRun and bsaRun dispose what they were given
    throw e
  }
}

/** The planner's errors in the command line's terms (its flags), as usage errors (exit 2). */
async function asPlanUsage<T>(modelDir: string, dataset: ImageDataset, f: () => T): Promise<T> {
  const { FinetunePlanError } = await import('../../engine/finetune/plan.ts')
  try {
    return f()
  } catch (e) {
    if (!(e instanceof FinetunePlanError)) throw e
    switch (e.code) {
      case 'needs-one-class-folder':
        throw new UsageError(
          `--class maps a one-class folder onto a model class, but this folder has ${dataset.classes.length} classes ` +
            `(${dataset.classes.join(', ')}); name its subfolders after the model's classes instead`,
        )
      case 'no-discriminator':
        throw new UsageError(
          `${modelDir} has no discriminator (a generator-only model, like the released BigGAN-deep weights): adversarial ` +
            'fine-tuning needs one. Use --method fresh-d (a new D, warmed up against the frozen G) or --method bsa (no D)',
        )
      case 'has-discriminator':
        throw new UsageError(`${modelDir} already has a discriminator: fine-tune it with --method adversarial or new-class`)
      default:
        throw new UsageError(e.message)
    }
  }
}

/** BSA: no D, no training loop; checkpoints as a training run's, the newest one in RUN/latest and RUN/best. */
async function bsaRun(
  ctx: CommandContext, model: BigGANModel, dataset: ImageDataset, classMap: number[], options: Options,
  parent: { dir: string; contentHash: string },
): Promise<number> {
  const { bsaRunFolder, bsaRunSettings } = await import('../../runs/bsa.ts')
  const { runPaths } = await import('../../runs/folder.ts')
  const out = stringOption(ctx.args, 'out')!
  const existing = await readFile(join(out, runPaths.info), 'utf8').then(() => true, () => false)
  if (existing) throw new UsageError(`${out} already holds a run: choose another --out`)
  const { train } = dataset
  const lr = numberOption(ctx.args, 'lr-g')
  const settings = await asUsage(() => bsaRunSettings({ ...options, ...(lr !== undefined ? { lr } : {}) }, train.count))
  const c = model.config
  ctx.err(`bsa ${c.arch}-${c.resolution} ch ${c.gChannels} on ${train.count} images, ${dataset.classes.length} class(es); batch ${settings.batch}, ${settings.steps} steps → ${out}`)
  try {
    return await withProgress(ctx, out, settings.steps, (hooks) => asUsage(() => bsaRunFolder(out, model, dataset, classMap, settings, parent, hooks)))
  } finally {
    model.dispose()
  }
}

/** `--resume` of a BSA run: only --steps (a new total) and --data (the same images, moved) may be given. */
async function bsaResume(ctx: CommandContext): Promise<number> {
  const { openBsaRun, resumeBsaRun } = await import('../../runs/bsa.ts')
  const given = trainingOptions.map((o) => o.name).filter((n) => !['data', 'steps', 'out', 'resume'].includes(n) && n in ctx.args.options)
  if (given.length > 0) {
    throw new UsageError(`a resumed run keeps the settings it started with; drop ${given.map((n) => `--${n}`).join(', ')} (only --steps and --data may change)`)
  }
  const out = stringOption(ctx.args, 'out')!
  const run = await asUsage(() => openBsaRun(out))
  let dataset: ImageDataset
  try {
    const { info } = run
    await startBackend(ctx.backend)
    dataset = await loadData(ctx, stringOption(ctx.args, 'data') ?? info.data.dir, info.model.resolution, info.bsa.seed)
    if (dataset.contentHash !== info.data.contentHash) {
      throw new UsageError(
        `the images in ${dataset.dir} are not the ones this run adapted to (content hash ${dataset.contentHash.slice(0, 12)}…, ` +
          `run.json has ${info.data.contentHash.slice(0, 12)}…): restore the folder, or start a new run`,
      )
    }
  } catch (e) {
    await run.close()
    throw e
  }
  const steps = intOption(ctx.args, 'steps')
  let total = steps ?? run.info.bsa.steps
  return withProgress(ctx, out, () => total, (hooks) =>
    asUsage(() => resumeBsaRun(run, dataset, steps !== undefined ? { steps } : {}, {
      ...hooks,
      onResume: (step, all) => {
        total = all
        ctx.err(`resuming ${out} at step ${step} of ${all}`)
      },
    })))
}

/** Runs a BSA adaptation with a progress bar on stderr and Ctrl-C as "finish the step, checkpoint, stop". */
async function withProgress(
  ctx: CommandContext, out: string, steps: number | (() => number),
  adapt: (hooks: import('../../runs/bsa.ts').BsaRunHooks) => Promise<{ status: 'completed' | 'cancelled'; step: number }>,
): Promise<number> {
  const controller = new AbortController()
  const interrupt = (): void => {
    ctx.err('finishing the current step and writing a checkpoint (Ctrl-C again quits at once)…')
    controller.abort()
    process.once('SIGINT', () => process.exit(130))
  }
  process.once('SIGINT', interrupt)
  let shown = 0
  try {
    const result = await adapt({
      signal: controller.signal,
      onProgress: ({ step, steps, losses }) => {
        if (step === steps || Date.now() - shown >= 1000) {
          shown = Date.now()
          const width = 20
          const filled = Math.round((width * step) / steps)
          ctx.err(`[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]  ${String(step).padStart(String(steps).length)}/${steps}  ` +
            `loss ${losses.total.toFixed(4)} (L1 ${losses.l1.toFixed(4)}, multi-scale ${losses.multiScaleL1.toFixed(4)}, z² ${losses.latentPrior.toFixed(3)})`)
        }
      },
    })
    const total = typeof steps === 'number' ? steps : steps()
    ctx.out(`adapted ${result.step}/${total} steps (bsa, ${result.status}) → ${out}`)
    ctx.out(`latest    ${out}/latest (step ${result.step})`)
    ctx.out(`best      ${out}/best (step ${result.step})`)
    return result.status === 'cancelled' ? 130 : 0
  } finally {
    process.off('SIGINT', interrupt)
  }
}
