// The engine's layers, run on an ONNX graph under construction: an Ops whose values are graph values. A network's
// forward called with a Tracer writes the graph of that forward — the same definitions TensorFlow.js runs, so the
// exported graphs cannot drift from them.
//
// Constants fold: where every operand is a constant (a weight the graph holds), the op runs now, on TensorFlow.js,
// with the engine's own op, and the result is a constant too. So an inference graph holds W / σ rather than the
// power iteration, the blended BatchNorm statistics rather than the rows, exactly as the engine computes them. A
// training graph takes its weights as inputs instead, and then nothing folds.
//
// Layouts: see layout.ts. Activations are stored NCHW from the first conv on, kernels OIHW.
import type { Ops } from '../../engine/forward.ts'
import { tfjsOps } from '../../engine/ops/tfjs.ts'
import { tf } from '../../engine/tf.ts'
import { int, ints, type GraphBuilder } from '../graph.ts'
import {
  broadcastShapes,
  identity,
  isIdentity,
  movesOnlyUnitAxes,
  NCHW,
  OIHW,
  physical,
  relative,
  reshapeInPlace,
  samePerm,
  transposed,
  type Perm,
} from './layout.ts'

/** A value of the traced graph: a constant (a tfjs tensor, logical layout), or a named graph value stored under
 *  `perm`. */
export class Value {
  constructor(
    /** logical shape; −1 for a free batch size */
    readonly shape: readonly number[],
    readonly perm: Perm,
    readonly name?: string,
    readonly constant?: tf.Tensor,
  ) {}

  get rank(): number {
    return this.shape.length
  }
}

type Operand = Value | number

/** Free batch sizes: a Reshape target writes −1 there. */
const dims = (shape: readonly number[]): number[] => shape.map((d) => (d < 0 ? -1 : d))

export class Tracer implements Ops<Value> {
  /** values a gradient must not pass (stopGradient), for differentiate's `stop` */
  readonly stops = new Set<string>()
  /** constant tensors this tracer made (folded results), freed by dispose() */
  private readonly owned: tf.Tensor[] = []
  /** a constant's initializer per stored layout, and a value's copies in other layouts */
  private readonly copies = new Map<string, string>()
  private readonly constantIds = new WeakMap<tf.Tensor, number>()
  private nextConstant = 0
  /** the layer the nodes being written belong to (their names say it, for onnxruntime's profile) */
  private scope = ''

  constructor(readonly g: GraphBuilder) {}

  // ─── values in and out ───

  /** A graph input with logical `shape` (−1: the batch), stored as given. */
  input(name: string, shape: readonly number[]): Value {
    this.g.input(name, 'float', shape.map((d) => (d < 0 ? 'batch' : d)))
    return new Value(shape, identity(shape.length), name)
  }

  /** A constant: a tensor the graph holds (or folds away). The caller keeps ownership. */
  constant(t: tf.Tensor): Value {
    return new Value(t.shape, identity(t.rank), undefined, t)
  }

  /** Marks `v` as graph output `name`, in its logical layout. */
  output(v: Value, name: string): void {
    this.g.output(this.stored(v), name, 'float', v.shape.map((d) => (d < 0 ? 'batch' : d)))
  }

  /** Names the nodes written from now on after `layer` (e.g. G.blocks.3.conv1). */
  enter(layer: string): void {
    this.scope = layer
  }

  /** Frees the constants folding made. */
  dispose(): void {
    tf.dispose(this.owned)
    this.owned.length = 0
  }

  // ─── Ops ───

  shape(x: Value): readonly number[] {
    return x.shape
  }

  tidy<R>(fn: () => R): R {
    return fn()
  }

  add(a: Operand, b: Operand): Value {
    return this.binary('Add', a, b, (x, y) => tfjsOps.add(x, y))
  }

  sub(a: Operand, b: Operand): Value {
    return this.binary('Sub', a, b, (x, y) => tfjsOps.sub(x, y))
  }

  mul(a: Operand, b: Operand): Value {
    return this.binary('Mul', a, b, (x, y) => tfjsOps.mul(x, y))
  }

  div(a: Operand, b: Operand): Value {
    return this.binary('Div', a, b, (x, y) => tfjsOps.div(x, y))
  }

  maximum(a: Value, b: number): Value {
    return this.binary('Max', a, b, (x, y) => tfjsOps.maximum(x as tf.Tensor, y as number))
  }

  neg(x: Value): Value {
    return this.unary('Neg', x, tfjsOps.neg)
  }

  abs(x: Value): Value {
    return this.unary('Abs', x, tfjsOps.abs)
  }

  relu(x: Value): Value {
    return this.unary('Relu', x, tfjsOps.relu)
  }

  tanh(x: Value): Value {
    return this.unary('Tanh', x, tfjsOps.tanh)
  }

  sqrt(x: Value): Value {
    return this.unary('Sqrt', x, tfjsOps.sqrt)
  }

  square(x: Value): Value {
    if (x.constant) return this.folded(tfjsOps.square(x.constant))
    return new Value(x.shape, x.perm, this.g.mul(this.stored(x, x.perm), this.stored(x, x.perm), this.node('Square')))
  }

  sum(x: Value, axes?: number[]): Value {
    return this.reduce('ReduceSum', x, axes, (t) => tfjsOps.sum(t, axes))
  }

  mean(x: Value, axes?: number[]): Value {
    return this.reduce('ReduceMean', x, axes, (t) => tfjsOps.mean(t, axes))
  }

  norm(x: Value): Value {
    if (x.constant) return this.folded(tfjsOps.norm(x.constant))
    const squares = this.g.op('ReduceSumSquare', [this.stored(x, x.perm)], this.node('ReduceSumSquare'), { keepdims: int(0) })
    return new Value([], [], this.g.op('Sqrt', [squares], this.node('norm')))
  }

  softmax(x: Value): Value {
    if (x.constant) return this.folded(tfjsOps.softmax(x.constant))
    const axis = x.perm.indexOf(x.rank - 1)
    return new Value(x.shape, x.perm, this.g.op('Softmax', [this.stored(x, x.perm)], this.node('Softmax'), { axis: int(axis) }))
  }

  matMul(a: Value, b: Value): Value {
    if (a.constant && b.constant) return this.folded(tfjsOps.matMul(a.constant, b.constant))
    const shape = [...broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2)), a.shape[a.rank - 2], b.shape[b.rank - 1]]
    const ia = identity(a.rank)
    const ib = identity(b.rank)
    return new Value(shape, identity(shape.length), this.g.matMul(this.stored(a, ia), this.stored(b, ib), this.node('MatMul')))
  }

  reshape(x: Value, target: number[]): Value {
    const shape = this.resolve(x.shape, target)
    if (x.constant) return this.folded(tfjsOps.reshape(x.constant, shape))
    if (x.shape.length === shape.length && x.shape.every((d, i) => d === shape[i])) return x
    const inPlace = reshapeInPlace(x.shape, shape, x.perm)
    const perm = inPlace ?? identity(shape.length)
    const source = this.stored(x, inPlace ? x.perm : identity(x.rank))
    return new Value(shape, perm, this.g.reshape(source, dims(physical(shape, perm)), this.node('Reshape')))
  }

  transpose(x: Value, perm: number[]): Value {
    if (x.constant) return this.folded(tfjsOps.transpose(x.constant, perm))
    return new Value(
      perm.map((axis) => x.shape[axis]),
      transposed(x.perm, perm),
      x.name,
    )
  }

  concat(xs: Value[], axis: number): Value {
    if (xs.every((x) => x.constant)) return this.folded(tfjsOps.concat(xs.map((x) => x.constant!), axis))
    const perm = (xs.find((x) => !x.constant) ?? xs[0]).perm
    const shape = [...xs[0].shape]
    shape[axis] = xs.reduce((n, x) => n + x.shape[axis], 0)
    const name = this.g.op('Concat', xs.map((x) => this.stored(x, perm)), this.node('Concat'), { axis: int(perm.indexOf(axis)) })
    return new Value(shape, perm, name)
  }

  split(x: Value, sizes: number | number[], axis: number): Value[] {
    if (x.constant) return tfjsOps.split(x.constant, sizes, axis).map((t) => this.folded(t))
    const pieces = typeof sizes === 'number' ? new Array<number>(sizes).fill(x.shape[axis] / sizes) : sizes
    // a matrix (rank ≤ 3) is split in its logical order: its pieces go to matrix products, which need that order,
    // and one Transpose before the split is cheaper than one per piece after it
    const perm = x.rank <= 3 ? identity(x.rank) : x.perm
    const names = this.g.opMulti('Split', [this.stored(x, perm), this.g.int64s(pieces)], pieces.length, this.node('Split'), {
      axis: int(perm.indexOf(axis)),
    })
    return names.map((name, i) => {
      const shape = [...x.shape]
      shape[axis] = pieces[i]
      return new Value(shape, perm, name)
    })
  }

  slice(x: Value, begin: number[], size: number[]): Value {
    if (x.constant) return this.folded(tfjsOps.slice(x.constant, begin, size))
    const axes: number[] = []
    const starts: number[] = []
    const ends: number[] = []
    const shape = [...x.shape]
    begin.forEach((b, axis) => {
      const extent = size[axis] < 0 ? x.shape[axis] - b : size[axis]
      if (b === 0 && extent === x.shape[axis]) return
      if (x.shape[axis] < 0) throw new Error('trace: slicing along the free batch axis')
      axes.push(x.perm.indexOf(axis))
      starts.push(b)
      ends.push(b + extent)
      shape[axis] = extent
    })
    if (axes.length === 0) return x
    const name = this.g.op('Slice', [this.stored(x, x.perm), this.g.int64s(starts), this.g.int64s(ends), this.g.int64s(axes)], this.node('Slice'))
    return new Value(shape, x.perm, name)
  }

  conv2d(x: Value, kernel: Value): Value {
    if (x.constant && kernel.constant) return this.folded(tfjsOps.conv2d(x.constant, kernel.constant))
    const [k] = kernel.shape
    const p = (k - 1) / 2
    const name = this.g.op('Conv', [this.stored(x, NCHW), this.stored(kernel, OIHW)], this.node('Conv'), {
      kernel_shape: ints([k, k]),
      pads: ints([p, p, p, p]),
    })
    const [batch, h, w] = x.shape
    return new Value([batch, h, w, kernel.shape[3]], NCHW, name)
  }

  addChannelBias(x: Value, bias: Value): Value {
    // onnxruntime fuses a constant per-channel Add into the Conv before it
    return this.add(x, bias)
  }

  upsampleNearest2x(x: Value): Value {
    if (x.constant) return this.folded(tfjsOps.upsampleNearest2x(x.constant))
    const [batch, h, w, c] = x.shape
    return new Value([batch, 2 * h, 2 * w, c], NCHW, this.g.upsampleNearest2x(this.stored(x, NCHW), this.node('Upsample')))
  }

  avgPool2x2(x: Value): Value {
    if (x.constant) return this.folded(tfjsOps.avgPool2x2(x.constant))
    const [batch, h, w, c] = x.shape
    return new Value([batch, h / 2, w / 2, c], NCHW, this.g.avgPool2x2(this.stored(x, NCHW), this.node('AveragePool')))
  }

  maxPool2x2(x: Value): Value {
    if (x.constant) return this.folded(tfjsOps.maxPool2x2(x.constant))
    const [batch, h, w, c] = x.shape
    return new Value([batch, h / 2, w / 2, c], NCHW, this.g.maxPool2x2(this.stored(x, NCHW), this.node('MaxPool')))
  }

  channelMoments(x: Value): { mean: Value; variance: Value } {
    if (x.constant) {
      const { mean, variance } = tfjsOps.channelMoments(x.constant)
      return { mean: this.folded(mean), variance: this.folded(variance) }
    }
    const { mean, centred } = this.centre(x)
    const variance = this.g.reshape(this.spatialMean(x, this.g.mul(centred, centred, this.node('centred²')), 'variance'), [x.shape[x.rank - 1]], this.node('variance[C]'))
    const channels = x.shape[x.rank - 1]
    const flat = (v: string, what: string): Value => new Value([channels], [0], this.g.reshape(v, [channels], this.node(what)))
    return { mean: flat(mean, 'mean[C]'), variance: new Value([channels], [0], variance) }
  }

  standardiseByBatch(x: Value, eps: number): Value {
    if (x.constant) return this.folded(tfjsOps.standardiseByBatch(x.constant, eps))
    const { centred } = this.centre(x)
    const variance = this.spatialMean(x, this.g.mul(centred, centred, this.node('centred²')), 'variance')
    const std = this.g.op('Sqrt', [this.g.add(variance, this.g.scalar(eps), this.node('variance+ε'))], this.node('std'))
    return new Value(x.shape, x.perm, this.g.op('Div', [centred, std], this.node('x̂')))
  }

  stopGradient(x: Value): Value {
    if (x.constant) return x
    const name = this.g.op('Identity', [this.stored(x, x.perm)], this.node('stopGradient'))
    this.stops.add(name)
    return new Value(x.shape, x.perm, name)
  }

  // ─── helpers ───

  /** x's name stored under `perm` (a constant: its initializer in that layout; a value: a Transpose where its own
   *  storage differs, a Reshape where only unit axes move), written once per value and layout. */
  stored(x: Value, perm: Perm = identity(x.rank)): string {
    if (x.constant) {
      const key = `c${this.constantId(x.constant)}:${perm.join(',')}`
      let name = this.copies.get(key)
      if (!name) {
        const data = tf.tidy(() => (isIdentity(perm) ? x.constant! : tf.transpose(x.constant!, [...perm])).dataSync() as Float32Array)
        name = this.g.weight(`${this.scope || 'const'}.weight`, Float32Array.from(data), physical(x.shape, perm))
        this.copies.set(key, name)
      }
      return name
    }
    if (samePerm(x.perm, perm)) return x.name!
    const step = relative(x.perm, perm)
    // keyed by the move of the stored data: two values may share a name under different logical perms
    const key = `${x.name}:${step.join(',')}`
    let name = this.copies.get(key)
    if (!name) {
      const from = physical(x.shape, x.perm)
      name = movesOnlyUnitAxes(from, step)
        ? this.g.reshape(x.name!, dims(physical(x.shape, perm)), this.node('relayout'))
        : this.g.transpose(x.name!, step, this.node('Transpose'))
      this.copies.set(key, name)
    }
    return name
  }

  private constantId(t: tf.Tensor): number {
    let id = this.constantIds.get(t)
    if (id === undefined) {
      id = this.nextConstant++
      this.constantIds.set(t, id)
    }
    return id
  }

  /** A constant this tracer owns. */
  private folded(t: tf.Tensor): Value {
    this.owned.push(t)
    return this.constant(t)
  }

  /** A node name in the current layer. */
  private node(op: string): string {
    return this.scope ? `${this.scope}/${op}` : op
  }

  private unary(op: string, x: Value, fold: (t: tf.Tensor) => tf.Tensor): Value {
    if (x.constant) return this.folded(fold(x.constant))
    return new Value(x.shape, x.perm, this.g.op(op, [this.stored(x, x.perm)], this.node(op)))
  }

  private binary(op: string, a: Operand, b: Operand, fold: (x: tf.Tensor | number, y: tf.Tensor | number) => tf.Tensor): Value {
    const constant = (v: Operand): tf.Tensor | number | undefined => (typeof v === 'number' ? v : v.constant)
    const ca = constant(a)
    const cb = constant(b)
    if (ca !== undefined && cb !== undefined) return this.folded(tf.tidy(() => fold(ca, cb)))
    const shapeOf = (v: Operand): readonly number[] => (typeof v === 'number' ? [] : v.shape)
    const shape = broadcastShapes(shapeOf(a), shapeOf(b))
    // the output is stored like the full-rank symbolic operand
    const lead = [a, b].find((v): v is Value => typeof v !== 'number' && !v.constant && v.rank === shape.length)
    const perm = lead?.perm ?? identity(shape.length)
    const name = this.g.op(op, [this.operand(a, shape.length, perm), this.operand(b, shape.length, perm)], this.node(op))
    return new Value(shape, perm, name)
  }

  /** An operand of a broadcasting op whose output has rank `rank` stored under `perm`: a number as a scalar, a
   *  lower-rank value padded with leading unit axes, then in that storage. */
  private operand(v: Operand, rank: number, perm: Perm): string {
    if (typeof v === 'number') return this.g.scalar(v)
    if (v.rank === 0) return this.stored(v, [])
    const padded = v.rank === rank ? v : this.reshape(v, [...new Array<number>(rank - v.rank).fill(1), ...v.shape])
    return this.stored(padded, perm)
  }

  private reduce(op: 'ReduceSum' | 'ReduceMean', x: Value, axes: number[] | undefined, fold: (t: tf.Tensor) => tf.Tensor): Value {
    if (x.constant) return this.folded(fold(x.constant))
    const all = axes ?? identity(x.rank)
    const physAxes = all.map((a) => x.perm.indexOf(a < 0 ? a + x.rank : a))
    const input = this.stored(x, x.perm)
    const name =
      op === 'ReduceSum'
        ? this.g.op(op, [input, this.g.int64s(physAxes)], this.node(op), { keepdims: int(0) })
        : this.g.op(op, [input], this.node(op), { axes: ints(physAxes), keepdims: int(0) })
    const kept = identity(x.rank).filter((a) => !all.includes(a) && !all.includes(a - x.rank))
    const shape = kept.map((a) => x.shape[a])
    // the remaining stored axes keep their order; the perm says which logical axis each holds now
    const storedOrder = x.perm.filter((a) => kept.includes(a))
    return new Value(shape, storedOrder.map((a) => kept.indexOf(a)), name)
  }

  /** The per-channel mean of `v` (a value stored like the NHWC x) over batch, height and width, kept as unit axes.
   *  One axis at a time, width, then height, then batch, in the order the engine's channelMoments sums: a train-mode
   *  G's gradient is sensitive to how its BatchNorm moments round (one ReduceMean over all three axes put BigGAN-64's
   *  G gradients 6e-4 from TensorFlow.js's in the step-parity test; summing in the same order, 2e-6). */
  private spatialMean(x: Value, v: string, what: string): string {
    const [batch, h, w] = x.shape
    let sum = v
    for (const axis of [2, 1, 0]) {
      sum = this.g.op('ReduceSum', [sum, this.g.int64s([x.perm.indexOf(axis)])], this.node(`${what}.Σ${'nhw'[axis]}`), { keepdims: int(1) })
    }
    return this.g.mul(sum, this.g.scalar(1 / (batch * h * w)), this.node(what))
  }

  /** The per-channel mean over batch and space (kept as unit axes) and x − mean, both stored like x. */
  private centre(x: Value): { mean: string; centred: string } {
    const input = this.stored(x, x.perm)
    const mean = this.spatialMean(x, input, 'mean')
    return { mean, centred: this.g.sub(input, mean, this.node('x-mean')) }
  }

  /** A reshape target with its −1 resolved (or kept, where it stands for the free batch). */
  private resolve(shape: readonly number[], target: readonly number[]): number[] {
    const free = shape.some((d) => d < 0)
    const known = shape.reduce((n, d) => (d < 0 ? n : n * d), 1)
    const rest = target.reduce((n, d) => (d < 0 ? n : n * d), 1)
    const unknown = target.filter((d) => d < 0).length
    if (unknown > 1) throw new Error(`trace: reshape to [${target}] has more than one −1`)
    if (free) {
      if (unknown !== 1 || rest !== known) throw new Error(`trace: cannot reshape [${shape}] to [${target}] with a free batch size`)
      return [...target]
    }
    if (unknown === 0) {
      if (rest !== known) throw new Error(`trace: cannot reshape [${shape}] to [${target}]`)
      return [...target]
    }
    return target.map((d) => (d < 0 ? known / rest : d))
  }
}
