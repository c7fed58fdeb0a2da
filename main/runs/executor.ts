// What computes a run's training steps, chosen like the inference runtime and said out loud: the step compiled for
// onnxruntime (main/onnx/training) or TensorFlow.js on the engine's backend. The choice is written into run.json and
// a resumed run keeps it, because an exact resume needs the same kernels in the same order.
//
// 'auto' takes onnxruntime where it loads, on the wasm and cpu backends: there its native kernels train the default
// model's shape several times faster than TensorFlow.js's (`npm run bench:train`), and a model too large for the
// wasm heap trains at all. A native TensorFlow.js backend (tfjs-node, tfjs-node-gpu) keeps TensorFlow.js: it could
// not be installed where this was measured, so nothing says onnxruntime beats it. DiffAugment is compiled into the
// step (its draws come from the run's augmentation stream as on TensorFlow.js), so every method trains on either.
import { availableParallelism } from 'node:os'
import type { BsaCompiledStep, BsaState } from '../engine/finetune/batchStatisticsAdaptation.ts'
import type { BigGANModel } from '../engine/model.ts'
import { trainableRoles } from '../engine/module.ts'
import { frozenDiscriminatorParameters, type TrainSettings } from '../engine/train/settings.ts'
import { tfjsStepExecutor, type StepExecutor } from '../engine/train/step.ts'
import { tf } from '../engine/tf.ts'
import type { ExecutorRecord, ExecutorRequest } from './executorNames.ts'

/** The executor a run's steps compute on, and why; `requested` 'onnx' that cannot run is an error saying why. */
export async function chooseStepExecutor(
  model: BigGANModel, settings: TrainSettings, requested: ExecutorRequest,
): Promise<{ executor: StepExecutor; record: ExecutorRecord }> {
  const tfjs = (reason: string): { executor: StepExecutor; record: ExecutorRecord } => {
    const executor = tfjsStepExecutor()
    return { executor, record: { name: 'tfjs', label: executor.label, reason } }
  }
  if (requested.name === 'tfjs') return tfjs(`asked for (${requested.source})`)
  const forced = requested.name === 'onnx'
  const backend = tf.getBackend()
  if (!forced && backend !== 'wasm' && backend !== 'cpu') {
    return tfjs(`TensorFlow.js runs on the native '${backend}' backend here, which the compiled step has not been measured against`)
  }
  try {
    const { OnnxStepExecutor } = await import('../onnx/training/executor.ts')
    const executor = await OnnxStepExecutor.create(model.G, model.D!, model.config, {
      batchSize: settings.batchSize,
      augment: settings.augment.policies,
      frozen: frozenDiscriminatorParameters(model.D!.specs().filter((s) => trainableRoles.has(s.role)).map((s) => s.name), settings.freezeD),
      session: { threads: requested.threads ?? availableParallelism() },
    })
    const reason = forced
      ? `asked for (${requested.source})`
      : `onnxruntime's native kernels train faster than TensorFlow.js's ${backend} backend`
    return { executor, record: { name: 'onnx', label: executor.label, reason, threads: executor.provider.threads } }
  } catch (err) {
    const why = `onnxruntime could not compile the training step (${(err as Error).message.split('\n', 1)[0]})`
    if (forced) throw new Error(why)
    return tfjs(`${why}, so TensorFlow.js computes it`)
  }
}

/** What computes a BSA run's steps, by the same rule: BSA's step compiled for onnxruntime (with the run's state, for
 *  the state's model), or TensorFlow.js (compiled undefined). */
export async function chooseBsaStep(
  state: BsaState, requested: ExecutorRequest,
): Promise<{ compiled: BsaCompiledStep | undefined; record: ExecutorRecord }> {
  const tfjs = (reason: string): { compiled: undefined; record: ExecutorRecord } => ({
    compiled: undefined, record: { name: 'tfjs', label: `TensorFlow.js (${tf.getBackend()})`, reason },
  })
  if (requested.name === 'tfjs') return tfjs(`asked for (${requested.source})`)
  const forced = requested.name === 'onnx'
  const backend = tf.getBackend()
  if (!forced && backend !== 'wasm' && backend !== 'cpu') {
    return tfjs(`TensorFlow.js runs on the native '${backend}' backend here, which the compiled step has not been measured against`)
  }
  try {
    const { OnnxBsaStep } = await import('../onnx/training/bsaExecutor.ts')
    const batch = Math.min(state.settings.batch, state.count)
    const compiled = await OnnxBsaStep.create(state.model, state.trainable, batch, state.settings.latentWeight, {
      threads: requested.threads ?? availableParallelism(),
    })
    const reason = forced ? `asked for (${requested.source})` : `onnxruntime's native kernels train faster than TensorFlow.js's ${backend} backend`
    return { compiled, record: { name: 'onnx', label: compiled.label, reason, threads: compiled.provider.threads } }
  } catch (err) {
    const why = `onnxruntime could not compile BSA's step (${(err as Error).message.split('\n', 1)[0]})`
    if (forced) throw new Error(why)
    return tfjs(`${why}, so TensorFlow.js computes it`)
  }
}
