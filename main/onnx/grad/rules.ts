// One gradient rule per ONNX op the engine's graphs use: given the node and ∂L/∂ of each of its outputs, the nodes
// that compute ∂L/∂ of each of its inputs (undefined: no gradient flows there, e.g. a shape or an index). Every rule
// writes plain ONNX ops into the same graph, so the backward pass is a graph onnxruntime runs like the forward one.
// Operands that were broadcast get their gradient summed back to their own shape (sumTo). Each rule is tested against
// finite differences and against TensorFlow.js's gradient of the same op (test/onnx/gradients.test.ts).
import { int, ints } from '../graph.ts'
import type { GraphBuilder } from '../graph.ts'
import type { Node, Tensor } from '../proto.ts'
import { attr, broadcast, int64Values, numel, type Shape } from './shapes.ts'

/** What a rule may ask about the graph and use to write its nodes. */
export interface RuleContext {
  g: GraphBuilder
  node: Node
  /** for each input: whether its gradient is wanted (it depends on what is differentiated); a rule may skip the rest */
  needs: readonly boolean[]
  shape(value: string): Shape
  constant(value: string): Tensor | undefined
  /** a name for a gradient node of this node: `<node>.grad.<what>` */
  name(what: string): string
  /** `v` (of shape `from`) summed over the axes it was broadcast along, to shape `to` */
  sumTo(v: string, from: Shape, to: Shape): string
  zeros(shape: Shape): string
}

/** ∂L/∂ of each input, from ∂L/∂ of each output (undefined where no gradient reached that output). */
export type GradientRule = (c: RuleContext, dy: (string | undefined)[]) => (string | undefined)[]

const FLOAT = 1 // TensorProto.DataType.FLOAT, for Cast

/** ∂L/∂y of a single-output node (rules of such nodes are only called when it has one). */
const one = (dy: (string | undefined)[]): string => dy[0]!

/** x's gradient when y = f(x) elementwise: dy ⊙ f'(x). */
const elementwise = (derivative: (c: RuleContext, x: string, y: string) => string): GradientRule => (c, dy) => [
  c.g.mul(one(dy), derivative(c, c.node.inputs[0], c.node.outputs[0]), c.name('dx')),
]

const unary: Record<string, GradientRule> = {
  Identity: (_, dy) => [one(dy)],
  Cast: (_, dy) => [one(dy)],
  Neg: (c, dy) => [c.g.op('Neg', [one(dy)], c.name('dx'))],
  // sign(x), 0 at 0 (as TensorFlow.js's gradient of abs)
  Abs: elementwise((c, x) => c.g.op('Sign', [x], c.name('sign'))),
  Relu: elementwise((c, x) => c.g.op('Cast', [c.g.op('Greater', [x, c.g.scalar(0)], c.name('x>0'))], c.name('step'), { to: int(FLOAT) })),
  // 1 − y²
  Tanh: elementwise((c, _, y) => c.g.sub(c.g.scalar(1), c.g.mul(y, y, c.name('y²')), c.name('1-y²'))),
  // y (1 − y)
  Sigmoid: elementwise((c, _, y) => c.g.mul(y, c.g.sub(c.g.scalar(1), y, c.name('1-y')), c.name('y(1-y)'))),
  Exp: elementwise((_, __, y) => y),
  Log: (c, dy) => [c.g.op('Div', [one(dy), c.node.inputs[0]], c.name('dx'))],
  // ½ / y
  Sqrt: (c, dy) => [c.g.op('Div', [c.g.mul(one(dy), c.g.scalar(0.5), c.name('dy/2')), c.node.outputs[0]], c.name('dx'))],
  // −y²
  Reciprocal: elementwise((c, _, y) => c.g.op('Neg', [c.g.mul(y, y, c.name('y²'))], c.name('-y²'))),
}

/** Binary ops with numpy broadcasting: each operand's gradient summed back to its shape. */
const binary: Record<string, GradientRule> = {
  Add: (c, dy) => [back(c, 0, one(dy)), back(c, 1, one(dy))],
  Sub: (c, dy) => [back(c, 0, one(dy)), back(c, 1, c.g.op('Neg', [one(dy)], c.name('-dy')))],
  Mul: (c, dy) => {
    const [a, b] = c.node.inputs
    return [
      c.needs[0] ? back(c, 0, c.g.mul(one(dy), b, c.name('dy·b'))) : undefined,
      c.needs[1] ? back(c, 1, c.g.mul(one(dy), a, c.name('dy·a'))) : undefined,
    ]
  },
  // y = a / b: ∂a = dy / b, ∂b = −dy·y / b
  Div: (c, dy) => {
    const [, b] = c.node.inputs
    const y = c.node.outputs[0]
    const da = c.g.op('Div', [one(dy), b], c.name('dy/b'))
    const db = c.g.op('Neg', [c.g.op('Div', [c.g.mul(one(dy), y, c.name('dy·y')), b], c.name('dy·y/b'))], c.name('-dy·y/b'))
    return [back(c, 0, da), back(c, 1, db)]
  },
  // y = x^p for a constant p: p·x^(p−1); the exponent gets no gradient
  Pow: (c, dy) => {
    const [x, p] = c.node.inputs
    const exponent = c.constant(p)
    if (!exponent || exponent.elemType !== 'float' || exponent.data.length !== 1) {
      throw new Error(`Pow node ${c.node.name}: only a constant scalar exponent is differentiated`)
    }
    const k = (exponent.data as Float32Array)[0]
    const power = c.g.op('Pow', [x, c.g.scalar(k - 1)], c.name('x^(p-1)'))
    return [back(c, 0, c.g.mul(one(dy), c.g.mul(power, c.g.scalar(k), c.name('p·x^(p-1)')), c.name('dx'))), undefined]
  },
  // every operand takes dy, summed back to its shape
  Sum: (c, dy) => c.node.inputs.map((_, i) => back(c, i, one(dy))),
  // the condition is a mask: no gradient
  Where: (c, dy) => {
    const [condition] = c.node.inputs
    const zero = c.g.scalar(0)
    const out = c.shape(c.node.outputs[0])
    const a = c.g.op('Where', [condition, one(dy), zero], c.name('d.then'))
    const b = c.g.op('Where', [condition, zero, one(dy)], c.name('d.else'))
    return [undefined, c.sumTo(a, out, c.shape(c.node.inputs[1])), c.sumTo(b, out, c.shape(c.node.inputs[2]))]
  },
}

/** dy (the node's output shape) summed back to input i's shape. */
function back(c: RuleContext, i: number, dy: string): string {
  return c.sumTo(dy, c.shape(c.node.outputs[0]), c.shape(c.node.inputs[i]))
}

/** The last two axes swapped. */
function swapLast(c: RuleContext, v: string, what: string): string {
  const rank = c.shape(v).length
  const perm = [...Array(rank).keys()]
  ;[perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]]
  return c.g.transpose(v, perm, c.name(what))
}

const linearAlgebra: Record<string, GradientRule> = {
  // y = a·b (batched over leading axes): ∂a = dy·bᵀ, ∂b = aᵀ·dy, each summed over the batch axes it was broadcast on
  MatMul: (c, dy) => {
    const [a, b] = c.node.inputs
    const [sa, sb] = [c.shape(a), c.shape(b)]
    const full = (s: Shape, other: Shape): Shape => [...broadcast(s.slice(0, -2), other.slice(0, -2)), ...s.slice(-2)]
    const da = c.needs[0] ? c.sumTo(c.g.matMul(one(dy), swapLast(c, b, 'bᵀ'), c.name('dy·bᵀ')), full(sa, sb), sa) : undefined
    const db = c.needs[1] ? c.sumTo(c.g.matMul(swapLast(c, a, 'aᵀ'), one(dy), c.name('aᵀ·dy')), full(sb, sa), sb) : undefined
    return [da, db]
  },
  // y = op(a)·op(b) + c with op = transpose where transA/transB say, alpha = beta = 1
  Gemm: (c, dy) => {
    if (attr(c.node, 'alpha', 'float', 1) !== 1 || attr(c.node, 'beta', 'float', 1) !== 1) {
      throw new Error(`Gemm node ${c.node.name}: only alpha = beta = 1 is differentiated`)
    }
    const [a, b, bias] = c.node.inputs
    const ta = attr(c.node, 'transA', 'int', 0) === 1
    const tb = attr(c.node, 'transB', 'int', 0) === 1
    // ∂op(a) = dy·op(b)ᵀ, ∂op(b) = op(a)ᵀ·dy; a transposed operand's gradient is that transposed back
    const da = !c.needs[0]
      ? undefined
      : ta
        ? c.g.op('Gemm', [b, one(dy)], c.name('da'), { transA: int(tb ? 1 : 0), transB: int(1) })
        : c.g.op('Gemm', [one(dy), b], c.name('da'), { transB: int(tb ? 0 : 1) })
    const db = !c.needs[1]
      ? undefined
      : tb
        ? c.g.op('Gemm', [one(dy), a], c.name('db'), { transA: int(1), transB: int(ta ? 1 : 0) })
        : c.g.op('Gemm', [a, one(dy)], c.name('db'), { transA: int(ta ? 0 : 1) })
    const dc = bias && c.needs[2] ? c.sumTo(one(dy), c.shape(c.node.outputs[0]), c.shape(bias)) : undefined
    return bias ? [da, db, dc] : [da, db]
  },
}

/** Ops that only move values: the gradient moves back the same way. */
const layout: Record<string, GradientRule> = {
  Reshape: (c, dy) => [c.g.reshape(one(dy), [...c.shape(c.node.inputs[0])], c.name('dx')), undefined],
  Unsqueeze: (c, dy) => [c.g.reshape(one(dy), [...c.shape(c.node.inputs[0])], c.name('dx')), undefined],
  Squeeze: (c, dy) => [c.g.reshape(one(dy), [...c.shape(c.node.inputs[0])], c.name('dx')), undefined],
  Transpose: (c, dy) => {
    const rank = c.shape(c.node.inputs[0]).length
    const perm = attr(c.node, 'perm', 'ints', [...Array(rank).keys()].reverse())
    const inverse = new Array<number>(rank)
    perm.forEach((p, i) => (inverse[p] = i))
    return [c.g.transpose(one(dy), inverse, c.name('dx'))]
  },
  // the slice's gradient padded with zeros back to the input's extent
  Slice: (c, dy) => {
    const x = c.shape(c.node.inputs[0])
    const constant = (name: string): Tensor | undefined => c.constant(name)
    const starts = int64Values(c.node, 1, constant)
    const ends = int64Values(c.node, 2, constant)
    const axes = c.node.inputs[3] ? int64Values(c.node, 3, constant) : starts.map((_, i) => i)
    const before = new Array<number>(x.length).fill(0)
    const after = new Array<number>(x.length).fill(0)
    axes.forEach((a, i) => {
      const axis = a < 0 ? a + x.length : a
      const clamp = (v: number): number => Math.min(x[axis], Math.max(0, v < 0 ? v + x[axis] : v))
      before[axis] = clamp(starts[i])
      after[axis] = x[axis] - clamp(ends[i])
    })
    return [c.g.op('Pad', [one(dy), c.g.int64s([...before, ...after])], c.name('dx')), undefined, undefined, undefined, undefined]
  },
  // each input's gradient is its slice of dy
  Concat: (c, dy) => {
    const out = c.shape(c.node.outputs[0])
    const axis = ((a) => (a < 0 ? a + out.length : a))(attr(c.node, 'axis', 'int', 0))
    let offset = 0
    return c.node.inputs.map((input, i) => {
      const size = c.shape(input)[axis]
      const piece = c.g.slice(one(dy), axis, offset, offset + size, c.name(`d${i}`))
      offset += size
      return piece
    })
  },
  // the pieces' gradients joined; a piece no gradient reached contributes zeros
  Split: (c, dy) => {
    const x = c.shape(c.node.inputs[0])
    const axis = ((a) => (a < 0 ? a + x.length : a))(attr(c.node, 'axis', 'int', 0))
    const pieces = c.node.outputs.map((output, i) => dy[i] ?? c.zeros(c.shape(output)))
    return [c.g.op('Concat', pieces, c.name('dx'), { axis: int(axis) }), undefined]
  },
  Pad: (c, dy) => {
    const x = c.shape(c.node.inputs[0])
    const pads = int64Values(c.node, 1, (name) => c.constant(name))
    if (attr(c.node, 'mode', 'string', 'constant') !== 'constant') throw new Error(`Pad node ${c.node.name}: only constant padding is differentiated`)
    const starts = x.map((_, i) => pads[i])
    const ends = x.map((d, i) => pads[i] + d)
    const axes = x.map((_, i) => i)
    const dx = c.g.op('Slice', [one(dy), c.g.int64s(starts), c.g.int64s(ends), c.g.int64s(axes)], c.name('dx'))
    return [dx, undefined, undefined]
  },
  Expand: (c, dy) => [c.sumTo(one(dy), c.shape(c.node.outputs[0]), c.shape(c.node.inputs[0])), undefined],
}

/** dy of a reduction, stretched back over the axes it reduced. */
function unreduce(c: RuleContext, dy: string): string {
  const x = c.shape(c.node.inputs[0])
  const kept = c.shape(c.node.outputs[0])
  const axes = c.node.opType === 'ReduceSum'
    ? (c.node.inputs[1] ? int64Values(c.node, 1, (name) => c.constant(name)) : [])
    : attr(c.node, 'axes', 'ints', [])
  const all = axes.length === 0 ? x.map((_, i) => i) : axes.map((a) => (a < 0 ? a + x.length : a))
  const keepShape = x.map((d, i) => (all.includes(i) ? 1 : d))
  const withAxes = numel(kept) === numel(keepShape) && kept.length !== keepShape.length ? c.g.reshape(dy, keepShape, c.name('dy.keepdims')) : dy
  return c.g.op('Expand', [withAxes, c.g.int64s([...x])], c.name('dy.expanded'))
}

function reducedCount(c: RuleContext): number {
  return numel(c.shape(c.node.inputs[0])) / numel(c.shape(c.node.outputs[0]))
}

const reductions: Record<string, GradientRule> = {
  ReduceSum: (c, dy) => [unreduce(c, one(dy)), undefined],
  ReduceMean: (c, dy) => [c.g.mul(unreduce(c, one(dy)), c.g.scalar(1 / reducedCount(c)), c.name('dx'))],
  // 2x ⊙ dy
  ReduceSumSquare: (c, dy) => [c.g.mul(unreduce(c, one(dy)), c.g.mul(c.node.inputs[0], c.g.scalar(2), c.name('2x')), c.name('dx'))],
  // y ⊙ (dy − Σ dy ⊙ y) along the softmax axis
  Softmax: (c, dy) => {
    const y = c.node.outputs[0]
    const rank = c.shape(y).length
    const axis = ((a) => (a < 0 ? a + rank : a))(attr(c.node, 'axis', 'int', -1))
    const dot = c.g.op('ReduceSum', [c.g.mul(one(dy), y, c.name('dy·y')), c.g.int64s([axis])], c.name('Σdy·y'), { keepdims: int(1) })
    return [c.g.mul(y, c.g.sub(one(dy), dot, c.name('dy-Σ')), c.name('dx'))]
  },
}

/** A 2×2 pool with stride 2 (kernel_shape, strides), as the engine's graphs use it. */
const POOL_2X2 = { kernel_shape: ints([2, 2]), strides: ints([2, 2]) }

const spatial: Record<string, GradientRule> = {
  // y = conv(x, W) + b, stride 1, 'same' padding p:
  //   ∂x = convTranspose(dy, W) with the same padding (W [out, in, k, k] is ConvTranspose's [in, out, k, k] as it is)
  //   ∂W = the correlation of x and dy over the batch: one conv of xᵀ [in, batch, h, w] with dyᵀ [out, batch, h, w]
  //        as its kernel, padded by p, giving [in, out, k, k], transposed to [out, in, k, k]
  //   ∂b = Σ dy over batch and space
  Conv: (c, dy) => {
    const [x, w, bias] = c.node.inputs
    const strides = attr(c.node, 'strides', 'ints', [1, 1])
    const dilations = attr(c.node, 'dilations', 'ints', [1, 1])
    if (strides.some((s) => s !== 1) || dilations.some((d) => d !== 1)) {
      throw new Error(`Conv node ${c.node.name}: only stride 1 without dilation is differentiated`)
    }
    const pads = attr(c.node, 'pads', 'ints', [0, 0, 0, 0])
    const [, , kh, kw] = c.shape(w)
    const dx = c.needs[0] ? inputGradient(c, one(dy), w, pads) : undefined
    const dw = c.needs[1] ? kernelGradient(c, x, one(dy), w, pads) : undefined
    const db = bias && c.needs[2] ? c.g.op('ReduceSum', [one(dy), c.g.int64s([0, 2, 3])], c.name('db'), { keepdims: int(0) }) : undefined
    return bias ? [dx, dw, db] : [dx, dw]
  },
  // each pixel of a 2×2 average took a quarter of each: dy upsampled, ÷ 4
  AveragePool: (c, dy) => {
    checkTwoByTwo(c)
    return [c.g.mul(c.g.upsampleNearest2x(one(dy), c.name('dy↑')), c.g.scalar(0.25), c.name('dx'))]
  },
  // dy to the window's first maximum in row-major order, the element the pool's own argmax names (PyTorch's choice
  // on ties, and the engine's: main/engine/ops/resample.ts)
  MaxPool: (c, dy) => {
    checkTwoByTwo(c)
    const x = c.node.inputs[0]
    const [, indices] = c.g.opMulti('MaxPool', [x], 2, c.name('argmax'), POOL_2X2)
    const flat = (v: string, what: string): string => c.g.reshape(v, [-1], c.name(what))
    const zeros = c.zeros([numel(c.shape(x))])
    const scattered = c.g.op('ScatterElements', [zeros, flat(indices, 'argmax[-1]'), flat(one(dy), 'dy[-1]')], c.name('scatter'), { axis: int(0) })
    return [c.g.reshape(scattered, [...c.shape(x)], c.name('dx'))]
  },
  // each output pixel copies one input pixel: the sum of each 2×2 block of dy
  Resize: (c, dy) => {
    const scales = c.constant(c.node.inputs[2])
    const s = scales ? Array.from(scales.data as Float32Array) : []
    if (s.join(',') !== '1,1,2,2' || attr(c.node, 'mode', 'string', 'nearest') !== 'nearest') {
      throw new Error(`Resize node ${c.node.name}: only the nearest 2× upsampling is differentiated`)
    }
    const pooled = c.g.op('AveragePool', [one(dy)], c.name('dy↓'), POOL_2X2)
    return [c.g.mul(pooled, c.g.scalar(4), c.name('dx')), undefined, undefined]
  },
}

function checkTwoByTwo(c: RuleContext): void {
  const kernel = attr(c.node, 'kernel_shape', 'ints', [])
  const strides = attr(c.node, 'strides', 'ints', [1, 1])
  const pads = attr(c.node, 'pads', 'ints', [0, 0, 0, 0])
  if (kernel.join(',') !== '2,2' || strides.join(',') !== '2,2' || pads.some((p) => p !== 0)) {
    throw new Error(`${c.node.opType} node ${c.node.name}: only the 2×2, stride-2 pool is differentiated`)
  }
  const [, , h, w] = c.shape(c.node.inputs[0])
  if (h % 2 !== 0 || w % 2 !== 0) throw new Error(`${c.node.opType} node ${c.node.name}: an odd size [${h}, ${w}] is not differentiated`)
}

/** Every op the backward pass knows, by ONNX op type. */
export const gradientRules: Record<string, GradientRule> = { ...unary, ...binary, ...linearAlgebra, ...layout, ...reductions, ...spatial }

/** Ops whose outputs carry no gradient (masks, comparisons, shapes): the backward pass stops there. */
export const notDifferentiable: ReadonlySet<string> = new Set(['Equal', 'Greater', 'Less', 'Shape', 'ConstantOfShape', 'Not', 'And', 'Or'])

/** A convolution's patches of x beyond this many values are not gathered at once (kernelGradient). */
const PATCH_VALUES = 2 ** 25

/**
 * ∂L/∂W of y = conv(x, W) (NCHW, OIHW, stride 1): dW[o, i, a, b] = Σ over images and pixels of dy[o] · x[i] shifted
 * by (a, b). As one matrix product per image over x's patches, summed over images. The patches (each channel's
 * kh·kw shifted windows, channel-major) come from a depthwise convolution with one-hot kernels, which copies each
 * value exactly and in one pass; onnxruntime's Conv with x's channels as its batch and dy as a kernel as large as
 * the image computes the same but ran about twice as slow per FLOP as the forward convolution. Where the patches
 * would be too large to hold at once (a paper-size layer at full resolution), that correlation is kept.
 */
function kernelGradient(c: RuleContext, x: string, dy: string, w: string, pads: readonly number[]): string {
  const [batch, cin] = c.shape(x)
  const [, cout, ho, wo] = c.shape(c.node.outputs[0])
  const [, , kh, kw] = c.shape(w)
  const taps = kh * kw
  if (taps * batch * cin * ho * wo > PATCH_VALUES) {
    const xT = c.g.transpose(x, [1, 0, 2, 3], c.name('xᵀ'))
    const dyT = c.g.transpose(dy, [1, 0, 2, 3], c.name('dyᵀ'))
    const corr = c.g.op('Conv', [xT, dyT], c.name('x⋆dy'), { kernel_shape: ints([ho, wo]), pads: ints([...pads]) })
    return c.g.transpose(corr, [1, 0, 2, 3], c.name('dW'))
  }
  let patches = x
  if (taps > 1) {
    // output channel i·taps + k is input channel i shifted by tap k = (a, b): a one-hot kernel per tap
    const picks = new Float32Array(cin * taps * taps)
    for (let i = 0; i < cin; i++) for (let k = 0; k < taps; k++) picks[(i * taps + k) * taps + k] = 1
    const kernel = c.g.weight(c.name('taps'), picks, [cin * taps, 1, kh, kw])
    patches = c.g.op('Conv', [x, kernel], c.name('patches'), { kernel_shape: ints([kh, kw]), pads: ints([...pads]), group: int(cin) })
  }
  const flatPatches = c.g.reshape(patches, [batch, cin * taps, ho * wo], c.name('patches[b,ik,p]'))
  const dyT = c.g.transpose(c.g.reshape(dy, [batch, cout, ho * wo], c.name('dy[b,o,p]')), [0, 2, 1], c.name('dy[b,p,o]'))
  const perImage = c.g.matMul(flatPatches, dyT, c.name('patches·dyᵀ')) // [batch, cin·taps, cout]
  const summed = c.g.op('ReduceSum', [perImage, c.g.int64s([0])], c.name('Σb'), { keepdims: int(0) }) // [cin·taps, cout]
  return c.g.reshape(c.g.transpose(summed, [1, 0], c.name('dW[o,ik]')), [cout, cin, kh, kw], c.name('dW'))
}

/**
 * ∂L/∂x of y = conv(x, W) (stride 1): the correlation of dy with W flipped in space and with its in and out channels
 * swapped, padded by k − 1 − p: a forward convolution, which onnxruntime runs faster than the ConvTranspose that
 * states the same sum.
 */
function inputGradient(c: RuleContext, dy: string, w: string, pads: readonly number[]): string {
  const [, , kh, kw] = c.shape(w)
  const flipped = kh * kw === 1
    ? w
    : c.g.op('Slice', [w, c.g.int64s([-1, -1]), c.g.int64s([-(kh + 1), -(kw + 1)]), c.g.int64s([2, 3]), c.g.int64s([-1, -1])], c.name('W⇄'))
  const swapped = c.g.transpose(flipped, [1, 0, 2, 3], c.name('W⇄ᵀ'))
  const [top, left, bottom, right] = pads
  return c.g.op('Conv', [dy, swapped], c.name('dx'), {
    kernel_shape: ints([kh, kw]),
    pads: ints([kh - 1 - top, kw - 1 - left, kh - 1 - bottom, kw - 1 - right]),
  })
}
