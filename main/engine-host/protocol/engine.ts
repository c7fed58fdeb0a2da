// The operations between the main thread (client/engineClient.ts) and the engine worker (worker/engineWorker.ts);
// the messages that carry them are messages.ts's. The client sends one request at a time; the worker answers each
// with exactly one reply and, while it works, any number of progress messages. Cancellation does not go through the
// message queue (the worker is busy computing): the client writes the running request's seq into a shared Int32Array
// that the worker reads between batches.
// Only typed arrays, numbers and strings cross; pixel, latent and file buffers are transferred, not copied.
// The records here are the engine worker's own: the main thread imports this file, so it names no engine module and
// nothing of the contract, not even for types; the services map these records to the studio's contract.
import type { RuntimeRequest } from '../../onnx/runtime-names.ts'
import type { Upscale } from '../../images/upscale.ts'
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

/** The model the worker holds, as the worker describes it. */
export interface ModelRecord {
  /** content hash of the native model folder */
  hash: string
  name: string
  /** the native model folder the worker read */
  path: string
  arch: 'biggan' | 'biggan-deep'
  resolution: number
  ch: number
  numClasses: number
  zDim: number
  /** hierarchical z: the sizes of z's chunks in order (the linear layer's, then one per G block); [zDim] where every
   *  layer reads the whole z */
  zChunks: number[]
  /** what each chunk feeds, in words ('linear', 'block 1 (4→8)', …) */
  zChunkLabels: string[]
  /** how the model reads a point's truncation: the threshold z was resampled at ('paper'), or ψ, which also selects
   *  the generator's BatchNorm statistics ('released') */
  semantics: 'paper' | 'released'
  /** the truncation to start from, the range worth offering, and what the model accepts (above `above`, at most
   *  `atMost`): the model's truncation policy (main/engine/sampling/truncation.ts) as data */
  truncation: { default: number; min: number; max: number; above: number; atMost: number }
  classNames: string[]
  /** ImageNet synset ids where the classes are ImageNet's */
  classIds?: string[]
  parameters: { G: number; D: number }
  hasDiscriminator: boolean
  hasEma: boolean
  /** where it came from, in words */
  provenance: string
  /** the bundled default model, and whether that is a randomly initialised stand-in */
  isDefault: boolean
  isRandom: boolean
}

/** Each operation: what the request carries and what the reply's value is. */
export interface Operations extends InspectOperations, MetricsOperations {
  info: { request: Record<never, never>; result: EngineBackend }
  /** the runtime previews use from now on; the open model's previews switch to it at once */
  runtime: { request: { runtime: RuntimeRequest }; result: EngineBackend }
  /** tensors the worker holds (tf.memory()): the model's, and any a request leaked */
  memory: { request: Record<never, never>; result: { numTensors: number; numBytes: number } }
  /** a native model folder, or a checkpoint to import into modelsDir first */
  open: { request: { path: string; modelsDir: string }; result: ModelRecord }
  /** resourcesDir/default-model, else the random stand-in saved once under modelsDir/random-default */
  openDefault: { request: { resourcesDir: string; modelsDir: string }; result: ModelRecord }
  /** count latents drawn from seed under the model's truncation: count·zDim values */
  sample: { request: { seed: number; count: number; truncation: number }; result: { z: Float32Array } }
  /** z with the values at [start, end) drawn afresh (from seed) under the truncation, the rest kept */
  redraw: { request: { z: Float32Array; start: number; end: number; seed: number; truncation: number }; result: { z: Float32Array } }
  /** z drawn under truncation `from` moved to truncation `to` (the model's semantics say how) */
  retruncate: { request: { z: Float32Array; from: number; to: number; seed: number }; result: { z: Float32Array } }
  /** RGBA pixels [count, R, R, 4] */
  render: { request: { points: PackedPoints }; result: { width: number; height: number; count: number; pixels: Uint8Array } }
  directions: {
    request: { kind: 'random' | 'pca'; count: number; seed: number; y?: Float32Array }
    result: { directions: Float32Array; explained: Float32Array }
  }
  /** a PNG of one point: with its latent record (enlarged by `upscale`, which the record names), or a thumbnail (no
   *  record, at most maxSize px) */
  png: { request: { point: PackedPoint; purpose: 'export' | 'thumbnail'; maxSize?: number; upscale?: Upscale }; result: { bytes: Uint8Array } }
  /** an animated GIF, or a zip of PNG frames, each frame enlarged by `upscale` */
  sequence: {
    request: { points: PackedPoints; format: 'gif' | 'png-zip'; fps: number; baseName: string; upscale?: Upscale }
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
