// What every compiled training step does with onnxruntime, in one place: a traced graph compiled into a session, the
// model's parameters fed as they stand, and the gradients handed back as tensors the caller owns.
import type { InferenceSession, Tensor } from 'onnxruntime-node'
import type { ParamStore } from '../../engine/module.ts'
import { tf } from '../../engine/tf.ts'
import { OPSET } from '../graph.ts'
import { concatChunks, encodeModel, type Graph } from '../proto.ts'
import { createSession, loadOrt, type ProviderInfo, type SessionOptions } from '../runtime.ts'

/** A step graph compiled into an onnxruntime session, on the first provider that takes it. */
export function compileStep(graph: Graph, options?: SessionOptions): Promise<{ session: InferenceSession; info: ProviderInfo }> {
  const bytes = concatChunks(encodeModel({ graph, opset: OPSET, producer: { name: 'BigGAN Studio', version: '1' }, docString: '', metadata: {} }))
  return createSession(bytes, options)
}

/** Feeds for the named parameters, read from the store as they stand (a copy out of TensorFlow.js's backend). */
export function parameterFeeds(names: readonly string[], params: ParamStore): Record<string, Tensor> {
  const ort = loadOrt()
  const feeds: Record<string, Tensor> = {}
  for (const name of names) {
    const p = params.get(name)
    feeds[name] = new ort.Tensor('float32', p.dataSync() as Float32Array, p.shape)
  }
  return feeds
}

/** The gradient outputs (`gradName(name)`) of the named parameters as tensors shaped like them; the caller owns them. */
export function gradientTensors(
  names: readonly string[], params: ParamStore, out: Record<string, Tensor>, gradName: (name: string) => string,
): Map<string, tf.Tensor> {
  const grads = new Map<string, tf.Tensor>()
  for (const name of names) grads.set(name, tf.tensor(out[gradName(name)].data as Float32Array, params.get(name).shape))
  return grads
}
