// What computes a run's training steps, chosen like the inference runtime and said out loud: the step compiled for
// onnxruntime (main/onnx/training) or TensorFlow.js on the engine's backend. The choice is written into run.json and
// a resumed run keeps it, because an exact resume needs the same kernels in the same order.
//
// 'auto' is the faster here, timed once per machine and step shape: the step compiled for onnxruntime and the
// TensorFlow.js step each time one step of the run's shape (the loop's D and G steps, stepTiming.ts, or BSA's
// gradients), and the timings are kept in <cacheDir>/training-timings.json, so later runs of that shape choose
// without timing. TensorFlow.js's trial on the wasm backend runs in a thread of its own (tfjsTrial.ts): a step too
// large for the wasm heap aborts that thread's wasm module, never the run's, and counts as not running.
// DiffAugment is compiled into the step (its draws come from the run's augmentation stream as on TensorFlow.js), so
// every method trains on either.
import { availableParallelism } from 'node:os'
import { backendInfo } from '../backend/backend.ts'
import { timeBsaGradients, type BsaCompiledStep, type BsaState } from '../engine/finetune/batchStatisticsAdaptation.ts'
import type { BigGANModel } from '../engine/model.ts'
import { countParameters, trainableRoles } from '../engine/module.ts'
import { frozenDiscriminatorParameters, type TrainSettings } from '../engine/train/settings.ts'
import { tfjsStepExecutor, type StepExecutor } from '../engine/train/step.ts'
import { timeTrainingStep, type StepShape } from '../engine/train/stepTiming.ts'
import { defaultCacheDir } from '../onnx/cacheFolder.ts'
import { machineKey, readTimings, writeTiming, type Timing } from '../onnx/timings.ts'
import type { ExecutorRecord, ExecutorRequest } from './executorNames.ts'
import { timeTfjsBsaStep, timeTfjsTrainingStep } from './tfjsTrial.ts'

/** A step compiled for onnxruntime, as the choice needs to know it. */
interface Compiled {
  readonly label: string
  readonly provider: { threads: number }
  dispose(): Promise<void>
}

/** What 'auto' concluded from timing the compiled step against TensorFlow.js's: which computes, and why. */
interface Timed {
  onnx: boolean
  reason: string
}

/**
 * The choice both kinds of run make: TensorFlow.js where asked for; else the step `compile` builds (its threads from
 * the request, else one per core), kept where onnxruntime was asked for, and under 'auto' kept or passed over as
 * `timed` finds. Where it does not compile, TensorFlow.js with the reason, unless onnxruntime was asked for, which
 * is then an error saying why. `what` names the step in reasons.
 */
async function choose<C extends Compiled>(
  requested: ExecutorRequest, what: string, compile: (threads: number) => Promise<C>, timed: (compiled: C) => Promise<Timed>,
): Promise<{ compiled: C | undefined; record: ExecutorRecord }> {
  const tfjs = (reason: string): { compiled: undefined; record: ExecutorRecord } => ({
    compiled: undefined, record: { name: 'tfjs', label: tfjsLabel(), reason },
  })
  if (requested.name === 'tfjs') return tfjs(`asked for (${requested.source})`)
  const forced = requested.name === 'onnx'
  let compiled: C
  try {
    compiled = await compile(requested.threads ?? availableParallelism())
  } catch (err) {
    const why = `onnxruntime could not compile ${what} (${(err as Error).message.split('\n', 1)[0]})`
    if (forced) throw new Error(why)
    return tfjs(`${why}, so TensorFlow.js computes it`)
  }
  const onnx = (reason: string): { compiled: C; record: ExecutorRecord } => ({
    compiled, record: { name: 'onnx', label: compiled.label, reason, threads: compiled.provider.threads },
  })
  if (forced) return onnx(`asked for (${requested.source})`)
  let choice: Timed
  try {
    choice = await timed(compiled)
  } catch (err) {
    await compiled.dispose()
    throw err
  }
  if (choice.onnx) return onnx(choice.reason)
  await compiled.dispose()
  return tfjs(choice.reason)
}

/** The executor a run's D and G steps compute on, and why. `say` hears what takes time (timing the executors). */
export async function chooseStepExecutor(
  model: BigGANModel, settings: TrainSettings, requested: ExecutorRequest, say?: (line: string) => void,
): Promise<{ executor: StepExecutor; record: ExecutorRecord }> {
  const compile = async (threads: number): Promise<StepExecutor & Compiled> => {
    const { OnnxStepExecutor } = await import('../onnx/training/executor.ts')
    return OnnxStepExecutor.create(model.G, model.D!, model.config, {
      batchSize: settings.batchSize,
      augment: settings.augment.policies,
      frozen: frozenDiscriminatorParameters(model.D!.specs().filter((s) => trainableRoles.has(s.role)).map((s) => s.name), settings.freezeD),
      session: { threads },
    })
  }
  const { compiled, record } = await choose(requested, 'the training step', compile, (c) => timeExecutors(model, settings, c, say))
  return { executor: compiled ?? tfjsStepExecutor(tfjsLabel()), record }
}

/** Where 'auto' keeps the training steps' timings, in the cache folder. */
export const TRAINING_TIMINGS_FILE = 'training-timings.json'

/** One side of 'auto''s comparison: what computes, for a person, and a timing of one step on it (ms). */
interface Candidate {
  label: string
  time: () => Promise<number>
}

/** TensorFlow.js as run.json, the timings and the reasons name it: the backend, and the wasm backend's threads. */
function tfjsLabel(): string {
  const backend = backendInfo()
  return `TensorFlow.js (${backend.name}${backend.name === 'wasm' ? `, ${backend.threads} thread${backend.threads === 1 ? '' : 's'}` : ''})`
}

/**
 * Times one step on the compiled step and on TensorFlow.js, each once per machine and step (`what`: the model's
 * size and the step's shape; kept in the cache folder, and a timing found there is not taken again), and takes the
 * faster. A step that does not run (TensorFlow.js's beyond the wasm heap, a compiled one that fails) loses.
 */
async function timeBoth(what: string, onnx: Candidate, tfjs: Candidate, say?: (line: string) => void): Promise<Timed> {
  const cacheDir = defaultCacheDir()
  const known = await readTimings(cacheDir, TRAINING_TIMINGS_FILE)
  const timings: (Timing & { label: string; now: boolean })[] = []
  for (const c of [onnx, tfjs]) {
    const key = `${machineKey()} | ${c.label} | ${what}`
    const kept = known[key]
    if (kept) {
      timings.push({ ...kept, label: c.label, now: false })
      continue
    }
    say?.(`timing one training step on ${c.label} (once per machine and step shape)`)
    let timing: Timing
    try {
      timing = { ms: await c.time(), measuredAt: new Date().toISOString() }
    } catch (err) {
      timing = { ms: Infinity, measuredAt: new Date().toISOString(), failed: (err as Error).message.split('\n', 1)[0] }
    }
    await writeTiming(cacheDir, TRAINING_TIMINGS_FILE, key, timing)
    timings.push({ ...timing, label: c.label, now: true })
  }
  const said = (t: (typeof timings)[number]): string => {
    const when = t.now ? 'now' : t.measuredAt.slice(0, 10)
    return t.failed === undefined ? `${t.label} ${t.ms.toFixed(0)} ms per step (measured ${when})` : `${t.label} did not run a step (measured ${when}: ${t.failed})`
  }
  const [o, t] = timings
  if (o.failed !== undefined && t.failed !== undefined) throw new Error(`no executor runs this step here: ${said(o)}; ${said(t)}`)
  const onnxFaster = o.ms <= t.ms
  return { onnx: onnxFaster, reason: `faster here: ${onnxFaster ? `${said(o)}, ${said(t)}` : `${said(t)}, ${said(o)}`}` }
}

/** The loop's step timed on both executors (stepTiming.ts; TensorFlow.js's on wasm in a thread of its own). */
function timeExecutors(model: BigGANModel, settings: TrainSettings, compiled: StepExecutor & Compiled, say?: (line: string) => void): Promise<Timed> {
  const shape: StepShape = { batchSize: settings.batchSize, dSteps: settings.dStepsPerGStep, augment: settings.augment.policies }
  return timeBoth(
    stepKey(model, settings),
    { label: compiled.label, time: () => timeTrainingStep(compiled, model, shape) },
    { label: tfjsLabel(), time: () => timeTfjsTrainingStep(model, shape, backendInfo()) },
    say,
  )
}

/** What a step's time depends on, besides the machine and the executor: the networks' sizes and the step's shape. */
function stepKey(model: BigGANModel, settings: TrainSettings): string {
  const c = model.config
  const G = countParameters(model.G.specs())
  const D = countParameters(model.D!.specs())
  const policies = settings.augment.policies.length > 0 ? settings.augment.policies.join('+') : 'none'
  return `${c.arch}-${c.resolution} ch${c.gChannels}/${c.dChannels} G ${G} D ${D} | batch ${settings.batchSize}, ${settings.dStepsPerGStep} D step(s), augment ${policies}, freezeD ${settings.freezeD}`
}

/** What computes a BSA run's steps, by the same choice: BSA's step compiled for the state's model, or TensorFlow.js
 *  (compiled undefined). */
export async function chooseBsaStep(
  state: BsaState, requested: ExecutorRequest, say?: (line: string) => void,
): Promise<{ compiled: BsaCompiledStep | undefined; record: ExecutorRecord }> {
  const batch = Math.min(state.settings.batch, state.count)
  const compile = async (threads: number): Promise<BsaCompiledStep & Compiled> => {
    const { OnnxBsaStep } = await import('../onnx/training/bsaExecutor.ts')
    return OnnxBsaStep.create(state.model, state.trainable, batch, state.settings.latentWeight, { threads })
  }
  const c = state.model.config
  const what = `bsa ${c.arch}-${c.resolution} ch${c.gChannels} G ${countParameters(state.model.G.specs())} | batch ${batch}, ${state.trainable.length} adapted, latent weight ${state.settings.latentWeight}`
  return choose(requested, "BSA's step", compile, (compiled) =>
    timeBoth(what, { label: compiled.label, time: () => timeBsaGradients(state, compiled) }, { label: tfjsLabel(), time: () => timeTfjsBsaStep(state, backendInfo()) }, say),
  )
}
