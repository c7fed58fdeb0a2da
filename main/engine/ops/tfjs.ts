// The layers' operations on TensorFlow.js: each one the tf call (or the engine's own op with its custom gradient,
// in this folder) that the layers made directly before they were written against Ops.
import type { Ops } from '../forward'
import { tf } from '../tf'
import { addChannelBias } from './biasAdd'
import { conv2d } from './conv2d'
import { channelMoments, standardiseByBatch } from './moments'
import { avgPool2x2, maxPool2x2, upsampleNearest2x } from './resample'
import { stopGradient } from './stopGradient'

type T = tf.Tensor
const r4 = (x: T): tf.Tensor4D => x as tf.Tensor4D

export const tfjsOps: Ops<T> = {
  shape: (x) => x.shape,
  tidy: <R>(fn: () => R): R => tf.tidy(fn as () => tf.TensorContainer) as R,

  add: (a, b) => tf.add(a, b),
  sub: (a, b) => tf.sub(a, b),
  mul: (a, b) => tf.mul(a, b),
  div: (a, b) => tf.div(a, b),
  maximum: (a, b) => tf.maximum(a, b),
  neg: (x) => tf.neg(x),
  abs: (x) => tf.abs(x),
  relu: (x) => tf.relu(x),
  tanh: (x) => tf.tanh(x),
  sqrt: (x) => tf.sqrt(x),
  square: (x) => tf.square(x),

  sum: (x, axes) => tf.sum(x, axes),
  mean: (x, axes) => tf.mean(x, axes),
  norm: (x) => tf.norm(x),
  softmax: (x) => tf.softmax(x),

  matMul: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
  reshape: (x, shape) => tf.reshape(x, shape),
  transpose: (x, perm) => tf.transpose(x, perm),
  concat: (xs, axis) => tf.concat(xs, axis),
  split: (x, sizes, axis) => tf.split(x, sizes, axis),
  slice: (x, begin, size) => tf.slice(x, begin, size),

  conv2d: (x, kernel) => conv2d(r4(x), r4(kernel)),
  addChannelBias: (x, bias) => addChannelBias(r4(x), bias as tf.Tensor1D),
  upsampleNearest2x: (x) => upsampleNearest2x(r4(x)),
  avgPool2x2: (x) => avgPool2x2(r4(x)),
  maxPool2x2: (x) => maxPool2x2(r4(x)),
  channelMoments: (x) => channelMoments(r4(x)),
  standardiseByBatch: (x, eps) => standardiseByBatch(r4(x), eps),
  stopGradient: (x) => stopGradient(x),
}
