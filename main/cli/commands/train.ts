import { intOption, numberOption, stringOption, switchOption, UsageError, type CommandContext, type Command, type OptionSpec } from '../args.ts'
import { startBackend } from '../engine.ts'
import type { AugmentPolicy } from '../../engine/train/augment.ts'
import type { TrainOptions, TrainMode } from '../../engine/train/settings.ts'
import type { TrainProgress } from '../../engine/train/loop.ts'
import type { BigGANModel } from '../../engine/model.ts'
import type { ImageDataset } from '../../data/types.ts'
import type { NewRunInfo, RunFolder } from '../../runs/folder.ts'
import type { MonitorOverrides } from '../../engine/train/monitor.ts'

// What `train` and `finetune` share: the training options, resuming a run, and running one with a progress bar.

/** Options both commands take, with the setting each one sets (see main/engine/train/settings.ts for defaults). */
export const trainingOptions: OptionSpec[] = [
  { name: 'data', value: 'DIR', help: 'image folder: one subfolder per class, or images only (one class)' },
  { name: 'steps', value: 'N', help: 'G steps to train (each after --d-steps D steps); with --resume, a new total' },
  { name: 'out', value: 'RUN', help: 'the run folder to create (or continue, with --resume)', required: true },
  { name: 'resume', help: 'continue RUN from its newest checkpoint, with its own settings' },
  { name: 'batch', value: 'B', help: 'images per forward pass (default 16 train, 8 finetune)' },
  { name: 'accumulate', value: 'K', help: 'micro-batches averaged per optimiser step: effective batch B·K (default 1)' },
  { name: 'd-steps', value: 'N', help: 'D steps per G step (default 2, the paper)' },
  { name: 'lr-g', value: 'LR', help: 'Adam learning rate of G (default 1e-4 train, 2e-5 finetune)' },
  { name: 'lr-d', value: 'LR', help: 'Adam learning rate of D (default 4e-4 train, 8e-5 finetune)' },
  { name: 'ortho', value: 'BETA', help: 'orthogonal regularisation of G (default 1e-4 train, 0 finetune)' },
  { name: 'ema-decay', value: 'D', help: 'EMA decay of G (default 0.999 train, 0.5^(batch/10000) finetune)' },
  { name: 'ema-start', value: 'STEP', help: 'EMA copies G before this step (default 10% of steps train, 0 finetune)' },
  { name: 'augment', value: 'LIST|none', help: 'DiffAugment policies: color,translation,cutout (default: all three under 1000 images, else translation,cutout)' },
  { name: 'augment-p', value: 'P', help: 'fixed augmentation probability (default: ADA adapts it, from 0)' },
  { name: 'ada-target', value: 'R', help: "ADA's target for r_t = E[sign D(real)] (default 0.6)" },
  { name: 'freeze-d', value: 'K', help: 'FreezeD: keep the lowest K D blocks fixed (default 0 train, 3 finetune)' },
  { name: 'no-mirror', help: 'no random horizontal flips of the training images' },
  { name: 'checkpoint-every', value: 'N', help: 'checkpoint every N steps (default 500; always at the end)' },
  { name: 'keep', value: 'K', help: 'checkpoints kept (default 2)' },
  { name: 'preview-every', value: 'N', help: 'preview grid of fixed latents every N steps (default 250)' },
  { name: 'preview-n', value: 'K', help: 'samples in the preview grid (default 16)' },
  { name: 'log-every', value: 'N', help: 'metrics record every N steps (default 10)' },
  { name: 'spectra-every', value: 'N', help: 'singular values and held-out D gap every N steps (default 5 × log-every)' },
  { name: 'memorisation-every', value: 'N', help: 'copying check of the preview samples against the training images every N steps (a multiple of --preview-every; default: at each preview; 0 = off)' },
  { name: 'seed', value: 'S', help: 'seed of initialisation, data order, latents, augmentation and held-out split (default 0)' },
]

/** The options that shape training (everything but what picks data, model and run folder). */
const tuning = trainingOptions.map((o) => o.name).filter((n) => !['data', 'steps', 'out', 'resume'].includes(n))

export function trainOptionsFromArgs(ctx: CommandContext, steps: number): TrainOptions {
  const { args } = ctx
  const int = (name: string): number | undefined => intOption(args, name)
  const num = (name: string): number | undefined => numberOption(args, name)
  const augment = stringOption(args, 'augment')
  let augmentPolicies: AugmentPolicy[] | undefined
  if (augment !== undefined) {
    augmentPolicies = augment === 'none' ? [] : (augment.split(',').map((p) => p.trim()) as AugmentPolicy[])
  }
  const o: TrainOptions = {
    steps,
    batchSize: int('batch'),
    accumulation: int('accumulate'),
    dStepsPerGStep: int('d-steps'),
    lrG: num('lr-g'),
    lrD: num('lr-d'),
    orthogonalRegularisation: num('ortho'),
    emaDecay: num('ema-decay'),
    emaStart: int('ema-start'),
    augmentPolicies,
    augmentP: num('augment-p'),
    adaTarget: num('ada-target'),
    freezeD: int('freeze-d'),
    mirror: switchOption(args, 'no-mirror') ? false : undefined,
    checkpointEvery: int('checkpoint-every'),
    keepCheckpoints: int('keep'),
    previewEvery: int('preview-every'),
    previewCount: int('preview-n'),
    logEvery: int('log-every'),
    spectraEvery: int('spectra-every'),
    memorisationEvery: int('memorisation-every'),
    seed: int('seed'),
  }
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as unknown as TrainOptions
}

/** Settings errors are the user's to fix: exit 2 with the message. */
export async function asUsage<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f()
  } catch (e) {
    const name = (e as Error).name
    if (name === 'TrainSettingsError' || name === 'ClassLookupError' || name === 'RunError') throw new UsageError((e as Error).message)
    throw e
  }
}

export async function loadData(ctx: CommandContext, dir: string, resolution: number, seed: number): Promise<ImageDataset> {
  const { loadImageFolder } = await import('../../data/dataset.ts')
  let last = 0
  const dataset = await loadImageFolder(dir, {
    resolution,
    seed,
    onProgress: ({ done, total }) => {
      if (done === total || Date.now() - last > 1000) {
        last = Date.now()
        ctx.err(`loading images ${done}/${total}`)
      }
    },
  })
  for (const w of dataset.warnings) ctx.err(`warning: ${w}`)
  if (dataset.failed.length > 0) ctx.err(`warning: ${dataset.failed.length} image(s) could not be used (first: ${dataset.failed[0].relPath}: ${dataset.failed[0].reason})`)
  return dataset
}

/** Starts a new run in --out and trains it. */
export async function startRun(
  ctx: CommandContext, mode: TrainMode, model: BigGANModel, dataset: ImageDataset, classMap: number[], options: TrainOptions,
  parent: NewRunInfo['parent'], method?: NewRunInfo['method'],
): Promise<number> {
  const { resolveTrainSettings, discriminatorBlocks } = await import('../../engine/train/settings.ts')
  const { RunFolder } = await import('../../runs/folder.ts')
  const { TrainingSession, trainingData } = await import('../../engine/train/session.ts')
  const dNames = model.D!.specs().map((s) => s.name)
  const settings = await asUsage(() => resolveTrainSettings(mode, options, { trainImages: dataset.train.count, dBlocks: discriminatorBlocks(dNames) }))
  const c = model.config
  const run = await asUsage(() =>
    RunFolder.create(stringOption(ctx.args, 'out')!, {
      kind: mode,
      ...(method ? { method } : {}),
      settings,
      data: { dir: dataset.dir, contentHash: dataset.contentHash, classes: dataset.classes, classMap, train: dataset.train.count, heldOut: dataset.heldOut.count },
      parent,
      model: { arch: c.arch, resolution: c.resolution, gChannels: c.gChannels, dChannels: c.dChannels, numClasses: c.numClasses },
    }),
  )
  // a pretrained D may start near-saturated: the D-collapse and r_t rules wait for the first tenth of a fine-tune
  const monitor: MonitorOverrides = mode === 'finetune' ? { graceSteps: Math.round(settings.steps / 10) } : {}
  const session = TrainingSession.create(model, trainingData(dataset, classMap), settings, monitor)
  ctx.err(
    `${mode} ${c.arch}-${c.resolution} ch ${c.gChannels} on ${dataset.train.count} images (${dataset.heldOut.count} held out), ` +
      `${dataset.classes.length} class(es); batch ${settings.batchSize}×${settings.accumulation}, ${settings.steps} steps → ${run.dir}`,
  )
  return execute(ctx, run, session)
}

/** Continues --out from its newest checkpoint that loads. */
export async function resumeRun(ctx: CommandContext): Promise<number> {
  const { RunFolder } = await import('../../runs/folder.ts')
  const { loadCheckpoint } = await import('../../disk/modelFolder.ts')
  const { TrainingSession, trainingData } = await import('../../engine/train/session.ts')
  const given = tuning.filter((n) => n in ctx.args.options)
  if (given.length > 0) {
    throw new UsageError(`a resumed run keeps the settings it started with; drop ${given.map((n) => `--${n}`).join(', ')} (only --steps and --data may change)`)
  }
  const run = await asUsage(() => RunFolder.open(stringOption(ctx.args, 'out')!))
  try {
    const { info } = run
    await startBackend(ctx.backend)
    const dataset = await loadData(ctx, stringOption(ctx.args, 'data') ?? info.data.dir, info.model.resolution, info.settings.seed)
    if (dataset.contentHash !== info.data.contentHash) {
      throw new UsageError(
        `the images in ${dataset.dir} are not the ones this run trained on (content hash ${dataset.contentHash.slice(0, 12)}…, ` +
          `run.json has ${info.data.contentHash.slice(0, 12)}…): restore the folder, or start a new run`,
      )
    }
    let loaded: Awaited<ReturnType<typeof loadCheckpoint>> | undefined
    for (const checkpoint of await run.checkpoints()) {
      try {
        loaded = await loadCheckpoint(checkpoint.dir)
        break
      } catch (e) {
        ctx.err(`warning: checkpoint ${checkpoint.dir} does not load (${(e as Error).message}); trying an older one`)
      }
    }
    if (!loaded) throw new UsageError(`${run.dir} has no checkpoint to resume from; start the run again without --resume`)
    const state = loaded.model.manifest!.state as unknown as import('../../engine/train/session.ts').SessionState
    const steps = intOption(ctx.args, 'steps')
    if (steps !== undefined) {
      if (steps < state.step) throw new UsageError(`--steps ${steps} is below the ${state.step} steps this run has already trained`)
      state.settings = { ...state.settings, steps }
      await run.update({ settings: state.settings })
    }
    if (state.step >= state.settings.steps) {
      loaded.model.dispose()
      await run.close()
      ctx.out(`${run.dir} has already trained all ${state.settings.steps} steps; give --steps N to train further`)
      return 0
    }
    const session = await asUsage(() => TrainingSession.restore(loaded.model, loaded.optimiser, trainingData(dataset, info.data.classMap), state))
    await run.truncateMetrics(state.step)
    ctx.err(`resuming ${run.dir} at step ${state.step} of ${state.settings.steps}`)
    return execute(ctx, run, session)
  } catch (e) {
    await run.close()
    throw e
  }
}

/** Trains with a progress bar on stderr and Ctrl-C as "finish the step, checkpoint, stop"; summary on stdout. */
async function execute(ctx: CommandContext, run: RunFolder, session: import('../../engine/train/session.ts').TrainingSession): Promise<number> {
  const { trainRun } = await import('../../runs/folder.ts')
  const controller = new AbortController()
  const interrupt = (): void => {
    ctx.err('finishing the current step and writing a checkpoint (Ctrl-C again quits at once)…')
    controller.abort()
    process.once('SIGINT', () => process.exit(130))
  }
  process.once('SIGINT', interrupt)
  let shown = 0
  const warned = new Set<string>()
  try {
    const outcome = await trainRun(run, session, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.step === p.steps || Date.now() - shown >= 1000) {
          shown = Date.now()
          ctx.err(progressLine(p))
        }
      },
      onLog: (_, decision) => {
        for (const w of decision.warnings) {
          const key = w.replace(/[\d.]+/g, '#')
          if (!warned.has(key)) ctx.err(`warning: ${w}`)
          warned.add(key)
        }
      },
    })
    const { dir } = run
    const status = { completed: 'completed', stopped: 'stopped early by the collapse monitor', cancelled: 'cancelled' }[outcome.status]
    ctx.out(`trained ${outcome.step}/${session.settings.steps} steps (${status}) → ${dir}`)
    for (const reason of outcome.reasons) ctx.out(`  reason: ${reason}`)
    ctx.out(`latest    ${dir}/latest (step ${outcome.step})`)
    if (outcome.bestStep !== null) ctx.out(`best      ${dir}/best (step ${outcome.bestStep})`)
    ctx.out(`metrics   ${dir}/metrics.jsonl; previews in ${dir}/previews`)
    return outcome.status === 'cancelled' ? 130 : 0
  } finally {
    process.off('SIGINT', interrupt)
    session.dispose()
    session.model.dispose()
  }
}

/** `[#####-----]  120/1000  D 1.234 (real 0.61, fake 0.62)  G 0.567  r_t 0.60  p 0.012  3.4 img/s  ETA 4m12s` */
export function progressLine(p: TrainProgress): string {
  const width = 20
  const filled = Math.round((width * p.step) / p.steps)
  const parts = [
    `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`,
    `${String(p.step).padStart(String(p.steps).length)}/${p.steps}`,
    `D ${p.dLoss.toFixed(3)} (real ${p.dLossReal.toFixed(2)}, fake ${p.dLossFake.toFixed(2)})`,
    `G ${p.gLoss.toFixed(3)}`,
    ...(p.rt !== null ? [`r_t ${p.rt.toFixed(2)}`] : []),
    ...(p.p !== null ? [`p ${p.p.toFixed(3)}`] : []),
    `${p.imagesPerSecond.toFixed(1)} img/s`,
    `ETA ${duration(p.etaSeconds)}`,
  ]
  return parts.join('  ')
}

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

export const train: Command = {
  name: 'train',
  summary: 'train a BigGAN from scratch on an image folder (headless, resumable)',
  usage: 'train --data DIR --arch biggan|biggan-deep --res R --ch C --steps N --out RUN [options]',
  description: `
The paper's training loop: for each G step, --d-steps D steps on fresh reals and fakes (hinge loss), then a G
step with orthogonal regularisation, Adam (β1 0, β2 0.999) on both, and an exponential moving average of G.
Classes are the folder's subfolders (their names become the model's class names). DiffAugment with ADA's
adaptive strength guards D against overfitting small folders; a collapse monitor (σ0 of G's layers, D's loss,
r_t) stops the run early and keeps the best checkpoint.
RUN gets run.json, metrics.jsonl, previews/step-N.png, memorisation/step-N.json (each preview sample's nearest training images), checkpoints/step-N/ (the newest --keep), and latest/ and
best/, model folders that 'biggan info', 'sample' and 'eval' open. Ctrl-C finishes the current step, writes a
checkpoint and stops; --resume continues exactly where the checkpoint left off.`,
  options: [
    { name: 'arch', value: 'biggan|biggan-deep', help: 'the architecture (new runs)' },
    { name: 'res', value: 'R', help: 'image resolution: 32, 64, 128, 256 or 512 (new runs)' },
    { name: 'ch', value: 'C', help: 'channel multiplier ch of G and D (new runs; the paper: 96)' },
    { name: 'attention', value: 'R', help: 'self-attention resolution in G and D (default 64; 0 for none)' },
    ...trainingOptions,
  ],
  async run(ctx) {
    const { args } = ctx
    if (switchOption(args, 'resume')) {
      const fixed = ['arch', 'res', 'ch', 'attention'].filter((n) => n in args.options)
      if (fixed.length > 0) throw new UsageError(`a resumed run keeps its model; drop ${fixed.map((n) => `--${n}`).join(', ')}`)
      return resumeRun(ctx)
    }
    const missing = ['data', 'arch', 'res', 'ch', 'steps'].filter((n) => !(n in args.options))
    if (missing.length > 0) {
      throw new UsageError(`a new run needs ${missing.map((n) => `--${n}`).join(', ')}. Run 'biggan train --help' for usage.`)
    }
    const { defaultConfig } = await import('../../engine/config.ts')
    const { BigGANModel } = await import('../../engine/model.ts')
    const arch = stringOption(args, 'arch')
    if (arch !== 'biggan' && arch !== 'biggan-deep') throw new UsageError(`--arch must be biggan or biggan-deep, not '${arch}'`)
    const options = trainOptionsFromArgs(ctx, intOption(args, 'steps')!)
    const seed = options.seed ?? 0
    const res = intOption(args, 'res')!
    const ch = intOption(args, 'ch')!
    const attention = intOption(args, 'attention')
    try {
      defaultConfig(arch, res, ch, 1, attention) // the arguments, checked before the images are read
    } catch (e) {
      throw new UsageError((e as Error).message)
    }
    await startBackend(ctx.backend)
    const dataset = await loadData(ctx, stringOption(args, 'data')!, res, seed)
    const config = { ...defaultConfig(arch, res, ch, dataset.classes.length, attention), classNames: dataset.classes }
    const model = BigGANModel.initialise(config, seed)
    try {
      return await startRun(ctx, 'train', model, dataset, dataset.classes.map((_, i) => i), options, null)
    } catch (e) {
      model.dispose()
      throw e
    }
  },
}
