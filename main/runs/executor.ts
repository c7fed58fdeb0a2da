// What computes a run's training steps, chosen like the inference runtime and said out loud: the step compiled for
// onnxruntime (main/onnx/training) or TensorFlow.js on the engine's backend. The choice is written into run.json and
// a resumed run keeps it, because an exact resume needs the same kernels in the same order.
//
// 'auto' takes onnxruntime where it loads, on the wasm and cpu backends: there its native kernels train the default
// model's shape several times faster than TensorFlow.js's (`npm run bench:train`), and a model too large for the
// wasm heap trains at all. A native TensorFlow.js backend (tfjs-node, tfjs-node-gpu) keeps TensorFlow.js: it could
// not be installed where this was measured, so nothing says onnxruntime beats it. 'auto' is this measured rule
// rather than a timing of both on the user's machine (as inference's runtime choice does): a trial TensorFlow.js
// step of a model that does not fit the wasm heap aborts the wasm module for the rest of the process, which a trial
// must never do. DiffAugment is compiled into the
// step (its draws come from the run's augmentation stream as on TensorFlow.js), so every method trains on either.
import { availableParallelism } from 'node:os'
import type { BsaCompiledStep, BsaState } from '../engine/finetune/batchStatisticsAdaptation.ts'
import type { BigGANModel } from '../engine/model.ts'
import { trainableRoles } from '../engine/module.ts'
import { frozenDiscriminatorParameters, type TrainSettings } from '../engine/train/settings.ts'
import { tfjsStepExecutor, type StepExecutor } from '../engine/train/step.ts'
import { tf } from '../engine/tf.ts'
import type { ExecutorRecord, ExecutorRequest } from './executorNames.ts'

/** A step compiled for onnxruntime, as the choice needs to know it. */
interface Compiled {
  readonly label: string
  readonly provider: { threads: number }
}

/**
 * The rule both kinds of run follow: TensorFlow.js where asked for or where a native backend runs it, else the step
 * `compile` builds (its threads from the request, else one per core); where that fails, TensorFlow.js with the
 * reason, unless onnxruntime was asked for, which is then an error saying why. `what` names the step in reasons.
 */
async function choose<C extends Compiled>(
  requested: ExecutorRequest, what: string, compile: (threads: number) => Promise<C>,
): Promise<{ compiled: C | undefined; record: ExecutorRecord }> {
  const backend = tf.getBackend()
  const tfjs = (reason: string): { compiled: undefined; record: ExecutorRecord } => ({
    compiled: undefined, record: { name: 'tfjs', label: `TensorFlow.js (${backend})`, reason },
  })
  if (requested.name === 'tfjs') return tfjs(`asked for (${requested.source})`)
  const forced = requested.name === 'onnx'
  if (!forced && backend !== 'wasm' && backend !== 'cpu') {
    return tfjs(`TensorFlow.js runs on the native '${backend}' backend here, which the compiled step has not been measured against`)
  }
  try {
    const compiled = await compile(requested.threads ?? availableParallelism())
    const reason = forced ? `asked for (${requested.source})` : `onnxruntime's native kernels train faster than TensorFlow.js's ${backend} backend`
    return { compiled, record: { name: 'onnx', label: compiled.label, reason, threads: compiled.provider.threads } }
  } catch (err) {
    const why = `onnxruntime could not compile ${what} (${(err as Error).message.split('\n', 1)[0]})`
    if (forced) throw new Error(why)
    return tfjs(`${why}, so TensorFlow.js computes it`)
  }
}

/** The executor a run's D and G steps compute on, and why. */
export async function chooseStepExecutor(
  model: BigGANModel, settings: TrainSettings, requested: ExecutorRequest,
): Promise<{ executor: StepExecutor; record: ExecutorRecord }> {
  const { compiled, record } = await choose(requested, 'the training step', async (threads) => {
    const { OnnxStepExecutor } = await import('../onnx/training/executor.ts')
    return OnnxStepExecutor.create(model.G, model.D!, model.config, {
      batchSize: settings.batchSize,
      augment: settings.augment.policies,
      frozen: frozenDiscriminatorParameters(model.D!.specs().filter((s) => trainableRoles.has(s.role)).map((s) => s.name), settings.freezeD),
      session: { threads },
    })
  })
  return { executor: compiled ?? tfjsStepExecutor(), record }
}

/** What computes a BSA run's steps, by the same rule: BSA's step compiled for the state's model, or TensorFlow.js
 *  (compiled undefined). */
export async function chooseBsaStep(
  state: BsaState, requested: ExecutorRequest,
): Promise<{ compiled: BsaCompiledStep | undefined; record: ExecutorRecord }> {
  return choose(requested, "BSA's step", async (threads) => {
    const { OnnxBsaStep } = await import('../onnx/training/bsaExecutor.ts')
    const batch = Math.min(state.settings.batch, state.count)
    return OnnxBsaStep.create(state.model, state.trainable, batch, state.settings.latentWeight, { threads })
  })
}
