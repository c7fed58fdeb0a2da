// The operations between the main thread (client.ts) and the engine worker (worker.ts); the messages that carry them
// are messages.ts's. The client sends one request at a time; the worker answers each with exactly one reply and,
// while it works, any number of progress messages. Cancellation does not go through the message queue (the worker is
// busy computing): the client writes the running request's seq into a shared Int32Array that the worker reads between
// batches.
// Only typed arrays, numbers and strings cross; pixel, latent and file buffers are transferred, not copied.
import type { ModelInfo } from '../../../preload/contract/index.ts'
import type { RuntimeRequest } from '../../onnx/runtime-names.ts'
import type { PackedPoint, PackedPoints } from './points.ts'
import type * as Message from './messages.ts'
import type { InspectOperations } from './inspect.ts'
import type { MetricsOperations } from './metrics.ts'

export interface EngineBackend {
  backend: string
  tfBackend: string
  threads: number
  simd: boolean
  version: string
  tried: { name: string; ok: boolean; error?: string }[]
  notes: string[]
  /** what renders the open model's previews: 'onnx (CPU, 2 threads)', or 'tfjs' (also before a model is open) */
  previews: string
  /** why that runtime serves them (select.ts's reason), or what will decide once a model is open */
  previewsReason: string
}

/** Each operation: what the request carries and what the reply's value is. */
export interface Operations extends InspectOperations, MetricsOperations {
  info: { request: Record<never, never>; result: EngineBackend }
  /** the runtime previews use from now on; the open model's previews switch to it at once */
  runtime: { request: { runtime: RuntimeRequest }; result: EngineBackend }
  /** tensors the worker holds (tf.memory()): the model's, and any a request leaked */
  memory: { request: Record<never, never>; result: { numTensors: number; numBytes: number } }
  /** a native model folder, or a checkpoint to import into modelsDir first */
  open: { request: { path: string; modelsDir: string }; result: ModelInfo }
  /** resourcesDir/default-model, else the random stand-in saved once under modelsDir/random-default */
  openDefault: { request: { resourcesDir: string; modelsDir: string }; result: ModelInfo }
  sample: { request: { seed: number; count: number; truncation: number }; result: { z: Float32Array } }
  /** RGBA pixels [count, R, R, 4] */
  render: { request: { points: PackedPoints }; result: { width: number; height: number; count: number; pixels: Uint8Array } }
  directions: {
    request: { kind: 'random' | 'pca'; count: number; seed: number; y?: Float32Array }
    result: { directions: Float32Array; explained: Float32Array }
  }
  /** a PNG of one point: with its latent record, or a thumbnail (no record, at most maxSize px) */
  png: { request: { point: PackedPoint; purpose: 'export' | 'thumbnail'; maxSize?: number }; result: { bytes: Uint8Array } }
  /** an animated GIF, or a zip of PNG frames */
  sequence: {
    request: { points: PackedPoints; format: 'gif' | 'png-zip'; fps: number; baseName: string }
    result: { bytes: Uint8Array }
  }
}

export type Op = keyof Operations
export type RequestOf<O extends Op> = Message.RequestOf<Operations, O>
export type ResultOf<O extends Op> = Message.ResultOf<Operations, O>
export type AnyRequest = Message.AnyRequest<Operations>
export type ToWorker = Message.ToWorker<Operations>
export type FromWorker = Message.FromWorker

/** What the worker is started with. */
export interface WorkerData {
  /** Int32Array(1) over it: the seq of the request to cancel */
  cancel: SharedArrayBuffer
  /** the runtime previews start on (the studio setting, or BIGGAN_RUNTIME) */
  runtime: RuntimeRequest
}
