// What the benchmarks share: one training step as the loop takes it, and small numeric helpers.
import type { BigGANModel } from '../../main/engine/model'
import { Random } from '../../main/engine/sampling/random'
import { tf } from '../../main/engine/tf'
import { Adam, bigganAdam } from '../../main/engine/train/optimiser'
import { tfjsStepExecutor, type StepExecutor, type TrainingBatch } from '../../main/engine/train/step'

/** One training step as the loop takes it: D step, D's Adam, G step, G's Adam (BigGAN-PyTorch's settings), with the
 *  step's gradients from `executor` (TensorFlow.js by default, or onnxruntime's compiled step). */
export function trainer(
  model: BigGANModel, batch: number, seed: number, executor: StepExecutor = tfjsStepExecutor(),
): { step: () => Promise<void>; dispose: () => void } {
  const { zDim, numClasses, resolution: r } = model.config
  if (!model.D) throw new Error(`${model.config.arch} has no discriminator: it cannot be trained`)
  const G = { net: model.G, params: model.params }
  const D = { net: model.D, params: model.params }
  const gAdam = new Adam(model.params, bigganAdam.G)
  const dAdam = new Adam(model.params, bigganAdam.D)
  const rng = new Random(seed)
  const data: TrainingBatch = {
    z: tf.tensor2d(rng.normals(batch * zDim), [batch, zDim]),
    y: tf.tensor2d(oneHot(batch, numClasses), [batch, numClasses]),
    x: tf.tidy(() => tf.randomUniform([batch, r, r, 3], -1, 1, 'float32', seed)) as tf.Tensor4D,
    yReal: tf.tensor2d(oneHot(batch, numClasses, 1), [batch, numClasses]),
  }
  const step = async (): Promise<void> => {
    const d = await executor.discriminatorStep(G, D, data)
    try {
      dAdam.apply(d.grads)
    } finally {
      tf.dispose([...d.grads.values(), d.logits.real, d.logits.fake])
    }
    const g = await executor.generatorStep(G, D, data)
    try {
      gAdam.apply(g.grads)
      // Reading a parameter Adam just wrote waits for every update, on backends that compute asynchronously too.
      const last = [...g.grads.keys()].pop()
      await Promise.all([d.loss.data(), g.loss.data(), last ? model.params.get(last).data() : null])
    } finally {
      tf.dispose([d.loss, g.loss, ...g.grads.values()])
    }
  }
  const dispose = (): void => {
    tf.dispose([data.z, data.y, data.x, data.yReal])
    gAdam.dispose()
    dAdam.dispose()
  }
  return { step, dispose }
}

export function oneHot(batch: number, numClasses: number, offset = 0): Float32Array {
  const y = new Float32Array(batch * numClasses)
  for (let i = 0; i < batch; i++) y[i * numClasses + ((i + offset) % numClasses)] = 1
  return y
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}
