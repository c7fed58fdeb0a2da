// What `train` and `finetune` share: the training flags, and the command line's adapter over the run orchestrator
// (main/runs/run.ts): a progress bar on stderr, Ctrl-C as "finish the step, write a checkpoint, stop", a summary on
// stdout, and the orchestrator's refusals as usage errors (exit 2).
import { intOption, numberOption, stringOption, switchOption, UsageError, type CommandContext, type OptionSpec } from './args.ts'
import { startBackend } from './engine.ts'
import { distanceSummary } from '../engine/finetune/targetDistance.ts'
import type { AugmentPolicy } from '../engine/train/augment.ts'
import type { TrainOptions } from '../engine/train/settings.ts'
import type { TrainProgress } from '../engine/train/loop.ts'
import { requestedExecutor, type ExecutorRequest } from '../runs/executorNames.ts'
import type { RunListener, RunOutcome, RunProgress, RunStart } from '../runs/run.ts'

/** Options both commands take, with the setting each one sets (main/engine/train/settings.ts holds the defaults). */
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
  {
    name: 'executor', value: 'auto|onnx|tfjs',
    help: "what computes the training steps: onnxruntime's compiled step or TensorFlow.js (default auto, or BIGGAN_EXECUTOR: the faster here, timed once per machine and step shape); run.json records it and --resume keeps it",
  },
]

/** The options that shape training (everything but what picks data, model and run folder): a resumed run keeps its own. */
const tuning = trainingOptions.map((o) => o.name).filter((n) => !['data', 'steps', 'out', 'resume'].includes(n))

export function trainOptionsFromArgs(ctx: CommandContext, steps: number): TrainOptions {
  const { args } = ctx
  // refused before the folder is read or the model opened: a run of no steps trains nothing
  if (!(steps >= 1)) throw new UsageError(`--steps must be a whole number of at least 1, not ${steps}`)
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

/** The executor --executor (else BIGGAN_EXECUTOR) asks for; an unknown name is a usage error. */
export function executorFromArgs(ctx: CommandContext): ExecutorRequest {
  try {
    return requestedExecutor(stringOption(ctx.args, 'executor'))
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
}

/** `--resume`: continues --out from its newest checkpoint that loads; only --steps (a new total) and --data (the
 *  same images, moved) may be given besides. `fixed`: the command's own flags a resumed run keeps. */
export async function resumeCommand(ctx: CommandContext, fixed: string[], what: string): Promise<number> {
  const given = fixed.filter((n) => n in ctx.args.options)
  if (given.length > 0) throw new UsageError(`a resumed run keeps its ${what}; drop ${given.map((n) => `--${n}`).join(', ')}`)
  const tuned = tuning.filter((n) => n in ctx.args.options)
  if (tuned.length > 0) {
    throw new UsageError(`a resumed run keeps the settings it started with; drop ${tuned.map((n) => `--${n}`).join(', ')} (only --steps and --data may change)`)
  }
  const { resumeRun } = await import('../runs/run.ts')
  const out = stringOption(ctx.args, 'out')!
  const steps = intOption(ctx.args, 'steps')
  const dataDir = stringOption(ctx.args, 'data')
  try {
    return await runWithProgress(ctx, (listener) => resumeRun(out, { ...(steps !== undefined ? { steps } : {}), ...(dataDir !== undefined ? { dataDir } : {}) }, listener))
  } catch (e) {
    // nothing left to train is not a failure: say so, and how to train further
    if ((e as { name?: string; code?: string }).name === 'RunError' && (e as { code?: string }).code === 'complete') {
      ctx.out((e as Error).message.replace('give more steps', 'give --steps N'))
      return 0
    }
    throw e
  }
}

/** Runs a run with a progress bar on stderr and Ctrl-C as "finish the step, checkpoint, stop"; summary on stdout.
 *  Exit code 130 for a run Ctrl-C stopped. */
export async function runWithProgress(ctx: CommandContext, run: (listener: RunListener) => Promise<RunOutcome>): Promise<number> {
  await startBackend(ctx.backend)
  const controller = new AbortController()
  const interrupt = (): void => {
    ctx.err('finishing the current step and writing a checkpoint (Ctrl-C again quits at once)…')
    controller.abort()
    process.once('SIGINT', () => process.exit(130))
  }
  let shownImages = 0
  let shownProgress = 0
  const warned = new Set<string>()
  const listener: RunListener = {
    signal: controller.signal,
    onImages: (done, total) => {
      if (done === total || Date.now() - shownImages > 1000) {
        shownImages = Date.now()
        ctx.err(`loading images ${done}/${total}`)
      }
    },
    onNote: (line) => ctx.err(line),
    onWarning: (line) => ctx.err(`warning: ${line}`),
    onStarted: (start) => {
      ctx.err(startLine(start))
      process.once('SIGINT', interrupt) // from here on a Ctrl-C ends with a checkpoint
    },
    onProgress: (p) => {
      if (p.step === p.steps || Date.now() - shownProgress >= 1000) {
        shownProgress = Date.now()
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
  }
  try {
    const outcome = await asUsage(() => run(listener))
    for (const line of summary(outcome)) ctx.out(line)
    return outcome.status === 'cancelled' ? 130 : 0
  } finally {
    process.off('SIGINT', interrupt)
  }
}

/** The refusals a person fixes by changing the command line: exit 2 with the message. */
export async function asUsage<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f()
  } catch (e) {
    const { name, code } = e as { name?: string; code?: string }
    if (name === 'TrainSettingsError' || name === 'ClassLookupError' || (name === 'RunError' && code !== 'io' && code !== 'complete')) {
      throw new UsageError((e as Error).message)
    }
    throw e
  }
}

function startLine(start: RunStart): string {
  const { record, dir } = start
  if (start.resumed) return `resuming ${dir} at step ${start.step} of ${start.steps}`
  const { arch, resolution, gChannels } = record.model
  const { train, heldOut, classes } = record.data
  const what = `${arch}-${resolution} ch ${gChannels}`
  if ('bsa' in start.settings) {
    return `bsa ${what} on ${train} images, ${classes.length} class(es); batch ${start.settings.bsa.batch}, ${start.steps} steps → ${dir}`
  }
  const { batchSize, accumulation } = start.settings.loop
  return `${record.kind} ${what} on ${train} images (${heldOut} held out), ${classes.length} class(es); batch ${batchSize}×${accumulation}, ${start.steps} steps → ${dir}`
}

function summary(o: RunOutcome): string[] {
  const distance = o.distance ? [`distance  ${distanceSummary(o.distance)}`] : []
  if (o.method === 'bsa') {
    return [
      `adapted ${o.step}/${o.steps} steps (bsa, ${o.status}) → ${o.dir}`, `latest    ${o.dir}/latest (step ${o.step})`, `best      ${o.dir}/best (step ${o.step})`,
      `previews  ${o.dir}/previews (the target class at every checkpoint)`, ...distance,
    ]
  }
  const status = { completed: 'completed', stopped: 'stopped early by the collapse monitor', cancelled: 'cancelled' }[o.status]
  return [
    `trained ${o.step}/${o.steps} steps (${status}) → ${o.dir}`,
    ...o.reasons.map((reason) => `  reason: ${reason}`),
    `latest    ${o.dir}/latest (step ${o.step})`,
    ...(o.bestStep !== null ? [`best      ${o.dir}/best (step ${o.bestStep})`] : []),
    `metrics   ${o.dir}/metrics.jsonl; previews in ${o.dir}/previews`,
    ...distance,
  ]
}

/** `[#####-----]  120/1000  D 1.234 (real 0.61, fake 0.62)  G 0.567  r_t 0.60  p 0.012  3.4 img/s  ETA 4m12s`, or for
 *  BSA `[#####-----]  120/1000  loss 0.1234 (L1 …, multi-scale …, z² …)`. */
export function progressLine(p: RunProgress | TrainProgress): string {
  const width = 20
  const filled = Math.round((width * p.step) / p.steps)
  const bar = [`[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`, `${String(p.step).padStart(String(p.steps).length)}/${p.steps}`]
  if ('method' in p && p.method === 'bsa') {
    const l = p.losses
    return [...bar, `loss ${l.total.toFixed(4)} (L1 ${l.l1.toFixed(4)}, multi-scale ${l.multiScaleL1.toFixed(4)}, z² ${l.latentPrior.toFixed(3)})`].join('  ')
  }
  const t = p as TrainProgress
  return [
    ...bar,
    `D ${t.dLoss.toFixed(3)} (real ${t.dLossReal.toFixed(2)}, fake ${t.dLossFake.toFixed(2)})`,
    `G ${t.gLoss.toFixed(3)}`,
    ...(t.rt !== null ? [`r_t ${t.rt.toFixed(2)}`] : []),
    ...(t.p !== null ? [`p ${t.p.toFixed(3)}`] : []),
    `${t.imagesPerSecond.toFixed(1)} img/s`,
    `ETA ${duration(t.etaSeconds)}`,
  ].join('  ')
}

function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}
