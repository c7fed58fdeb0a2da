// What a forward pass computes with. The layers and networks are written once, against `Ops<T>` and `Forward<T>`,
// and run on more than one executor:
//   - TensorFlow.js (T = tf.Tensor, ops/tfjs.ts): eager, the engine's reference, and what tfjs-node(-gpu) runs;
//   - onnxruntime (T = a value of an ONNX graph under construction, main/onnx/trace): the same calls recorded as
//     a graph, for inference with the weights folded in, and for training steps whose backward pass is derived
//     from that graph.
// So a change to an architecture table or a layer changes every executor at once. The semantics are TensorFlow's:
// NHWC activations, HWIO kernels, numpy broadcasting; an executor that stores values otherwise (ONNX's NCHW) keeps
// that to itself.
import type { StatsMode } from './config'
import type { StatsRow } from './sampling/truncation'

export type Mode = 'train' | 'eval'

/** The operations the layers use, with TensorFlow.js's meaning. A number operand is a scalar. */
export interface Ops<T> {
  /** the value's shape; an executor that traces with a free batch size reports it as −1 */
  shape(x: T): readonly number[]
  /** runs `fn`, freeing what it made but its result (tf.tidy; a tracer just runs it) */
  tidy<R>(fn: () => R): R

  add(a: T | number, b: T | number): T
  sub(a: T | number, b: T | number): T
  mul(a: T | number, b: T | number): T
  div(a: T | number, b: T | number): T
  maximum(a: T, b: number): T
  neg(x: T): T
  abs(x: T): T
  relu(x: T): T
  tanh(x: T): T
  sqrt(x: T): T
  square(x: T): T

  /** Σ over `axes` (all axes when absent), the reduced axes dropped */
  sum(x: T, axes?: number[]): T
  /** mean over `axes` (all axes when absent), the reduced axes dropped */
  mean(x: T, axes?: number[]): T
  /** the Euclidean norm of all elements, a scalar */
  norm(x: T): T
  /** softmax over the last axis */
  softmax(x: T): T

  /** a · b, batched over leading axes when rank > 2 */
  matMul(a: T, b: T): T
  reshape(x: T, shape: number[]): T
  transpose(x: T, perm: number[]): T
  concat(xs: T[], axis: number): T
  /** `sizes` pieces (a count of equal pieces, or their sizes) along `axis` */
  split(x: T, sizes: number | number[], axis: number): T[]
  /** `size` elements from `begin` on each axis (−1: to the end) */
  slice(x: T, begin: number[], size: number[]): T

  /** x [batch, h, w, in] ⊛ kernel [k, k, in, out], stride 1, 'same' padding → [batch, h, w, out] */
  conv2d(x: T, kernel: T): T
  /** x [batch, h, w, c] + bias [c] */
  addChannelBias(x: T, bias: T): T
  /** [batch, h, w, c] → [batch, 2h, 2w, c], each pixel repeated in a 2×2 block */
  upsampleNearest2x(x: T): T
  /** [batch, h, w, c] → [batch, h/2, w/2, c], mean of each 2×2 block */
  avgPool2x2(x: T): T
  /** [batch, h, w, c] → [batch, h/2, w/2, c], max of each 2×2 block (the gradient to the first maximum) */
  maxPool2x2(x: T): T
  /** per-channel mean and biased variance over batch, height and width: [c] each */
  channelMoments(x: T): { mean: T; variance: T }
  /** x̂ = (x − μ) / √(σ² + ε) with the batch's per-channel μ and biased σ² */
  standardiseByBatch(x: T, eps: number): T
  /** the identity, through which no gradient flows */
  stopGradient(x: T): T
}

/** Receives one BatchNorm layer's batch moments (mean, unbiased variance [C]) per forward. */
export interface BatchMomentsSink<T> {
  add(layer: string, mean: T, variance: T): void
}

/** Everything one forward pass needs besides its inputs. In 'train' mode the pass records state updates (spectral-
 *  norm vectors, BatchNorm running statistics) instead of writing them, so the caller decides when they land. */
export interface Forward<T> {
  readonly ops: Ops<T>
  readonly mode: Mode
  /** a parameter or state tensor of the network, by its engine name */
  param(name: string): T
  /** a new value for a state parameter; a second record of the same name replaces the first */
  record(name: string, value: T): void
  /** ψ in double precision: selects per-truncation BatchNorm statistics where the model has them */
  truncation?: number
  /** how ψ picks those statistics rows; absent: the model config's statsMode */
  statsMode?: StatsMode
  /** the statistics rows (and weights) eval-mode BatchNorms blend: G works them out from ψ once per forward
   *  (withStatsRows); absent: the last row, ψ = 1 */
  statsRows?: readonly StatsRow[]
  /** instead of statsRows, the row weights as a value [1, nStats] (a graph that takes ψ's rows as an input) */
  statsWeights?: T
  /** set while standing statistics are accumulated: train-mode BatchNorms report their batch moments here
   *  instead of moving their running statistics */
  standing?: BatchMomentsSink<T>
}

/** The forward G's layers see: `f` with the statistics rows its truncation ψ selects, worked out once here instead
 *  of in every BatchNorm (unless the executor supplies them as a value). Updates still go where f's go. */
export function withStatsRows<F extends Forward<unknown>>(f: F, rows: (psi: number, mode?: StatsMode) => StatsRow[]): F {
  if (f.statsWeights !== undefined) return f
  // a copy that keeps f's prototype, so a class instance keeps its methods
  return Object.assign(Object.create(Object.getPrototypeOf(f)) as F, f, { statsRows: rows(f.truncation ?? 1, f.statsMode) })
}
