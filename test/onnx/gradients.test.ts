// The backward pass of ONNX graphs (main/onnx/grad): for each op the engine's graphs use, the gradient onnxruntime
// computes from the derived nodes against (a) central finite differences of the same graph's loss, and (b)
// TensorFlow.js's gradient of the same op (the engine's own custom-gradient ops where it has them). The loss is
// L = Σ op(x) ⊙ R with a fixed random R, so every element of the op's output carries a different weight.
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import { conv2d } from '../../main/engine/ops/conv2d'
import { maxPool2x2, upsampleNearest2x } from '../../main/engine/ops/resample'
import { Random } from '../../main/engine/sampling/random'
import { tf } from '../../main/engine/tf'
import { GraphBuilder, int, ints, OPSET } from '../../main/onnx/graph'
import { differentiate } from '../../main/onnx/grad/differentiate'
import { inferShapes, numel } from '../../main/onnx/grad/shapes'
import { concatChunks, encodeModel } from '../../main/onnx/proto'
import { loadOrt } from '../../main/onnx/runtime'

interface Case {
  name: string
  /** input name → shape */
  inputs: Record<string, number[]>
  /** inputs drawn from [0.5, 1.5] (denominators, logarithms, roots) instead of ±[0.1, 1.1] */
  positive?: string[]
  /** the op as ONNX nodes */
  onnx(g: GraphBuilder, x: Record<string, string>): string
  /** the same op in TensorFlow.js, on the same layouts */
  tfjs(x: Record<string, tf.Tensor>): tf.Tensor
  /** the finite-difference step (smaller where a kink or a window's maximum is near) */
  eps?: number
  /** relative tolerance against TensorFlow.js (float32 sums over many terms round differently) */
  tolerance?: number
}

const nchwToNhwc = (t: tf.Tensor): tf.Tensor4D => tf.transpose(t, [0, 2, 3, 1]) as tf.Tensor4D
const nhwcToNchw = (t: tf.Tensor): tf.Tensor4D => tf.transpose(t, [0, 3, 1, 2]) as tf.Tensor4D

const cases: Case[] = [
  { name: 'Add, broadcasting', inputs: { a: [2, 3, 4], b: [3, 1] }, onnx: (g, x) => g.add(x.a, x.b, 'y'), tfjs: (x) => tf.add(x.a, x.b) },
  { name: 'Sub, broadcasting', inputs: { a: [4], b: [2, 3, 4] }, onnx: (g, x) => g.sub(x.a, x.b, 'y'), tfjs: (x) => tf.sub(x.a, x.b) },
  { name: 'Mul, broadcasting', inputs: { a: [2, 3], b: [3] }, onnx: (g, x) => g.mul(x.a, x.b, 'y'), tfjs: (x) => tf.mul(x.a, x.b) },
  { name: 'Div', inputs: { a: [2, 3], b: [2, 1] }, positive: ['b'], onnx: (g, x) => g.op('Div', [x.a, x.b], 'y'), tfjs: (x) => tf.div(x.a, x.b) },
  { name: 'Neg', inputs: { a: [5] }, onnx: (g, x) => g.op('Neg', [x.a], 'y'), tfjs: (x) => tf.neg(x.a) },
  { name: 'Relu', inputs: { a: [3, 4] }, onnx: (g, x) => g.relu(x.a, 'y'), tfjs: (x) => tf.relu(x.a) },
  { name: 'Abs', inputs: { a: [3, 4] }, onnx: (g, x) => g.op('Abs', [x.a], 'y'), tfjs: (x) => tf.abs(x.a) },
  { name: 'Tanh', inputs: { a: [3, 4] }, onnx: (g, x) => g.op('Tanh', [x.a], 'y'), tfjs: (x) => tf.tanh(x.a) },
  { name: 'Sigmoid', inputs: { a: [3, 4] }, onnx: (g, x) => g.op('Sigmoid', [x.a], 'y'), tfjs: (x) => tf.sigmoid(x.a) },
  { name: 'Exp', inputs: { a: [6] }, onnx: (g, x) => g.op('Exp', [x.a], 'y'), tfjs: (x) => tf.exp(x.a) },
  { name: 'Log', inputs: { a: [6] }, positive: ['a'], onnx: (g, x) => g.op('Log', [x.a], 'y'), tfjs: (x) => tf.log(x.a) },
  { name: 'Sqrt', inputs: { a: [6] }, positive: ['a'], onnx: (g, x) => g.op('Sqrt', [x.a], 'y'), tfjs: (x) => tf.sqrt(x.a) },
  { name: 'Reciprocal', inputs: { a: [6] }, positive: ['a'], onnx: (g, x) => g.op('Reciprocal', [x.a], 'y'), tfjs: (x) => tf.reciprocal(x.a) },
  { name: 'Pow by a constant', inputs: { a: [6] }, positive: ['a'], onnx: (g, x) => g.op('Pow', [x.a, g.scalar(3)], 'y'), tfjs: (x) => tf.pow(x.a, 3) },
  { name: 'Sum of three', inputs: { a: [2, 3], b: [3], c: [2, 1] }, onnx: (g, x) => g.op('Sum', [x.a, x.b, x.c], 'y'), tfjs: (x) => tf.add(tf.add(x.a, x.b), x.c) },
  {
    name: 'Where (the mask gets no gradient)',
    inputs: { m: [2, 3], a: [2, 3], b: [3] },
    onnx: (g, x) => g.op('Where', [g.op('Greater', [x.m, g.scalar(0)], 'mask'), x.a, x.b], 'y'),
    // tfjs refuses to differentiate through Greater: the mask is built from a constant copy, and m enters × 0
    tfjs: (x) => tf.add(tf.where(tf.greater(tf.tensor(x.m.dataSync(), x.m.shape), 0), x.a, tf.broadcastTo(x.b, [2, 3])), tf.mul(x.m, 0)),
  },
  { name: 'MatMul', inputs: { a: [3, 4], b: [4, 5] }, onnx: (g, x) => g.matMul(x.a, x.b, 'y'), tfjs: (x) => tf.matMul(x.a as tf.Tensor2D, x.b as tf.Tensor2D) },
  {
    name: 'MatMul, batched',
    inputs: { a: [2, 3, 4], b: [2, 4, 5] },
    onnx: (g, x) => g.matMul(x.a, x.b, 'y'),
    tfjs: (x) => tf.matMul(x.a as tf.Tensor3D, x.b as tf.Tensor3D),
  },
  {
    name: 'MatMul, a batch against one matrix',
    inputs: { a: [2, 3, 4], b: [4, 5] },
    onnx: (g, x) => g.matMul(x.a, x.b, 'y'),
    tfjs: (x) => tf.matMul(x.a as tf.Tensor3D, tf.broadcastTo(x.b, [2, 4, 5]) as tf.Tensor3D),
  },
  {
    name: 'Gemm with a bias row',
    inputs: { a: [3, 4], b: [4, 5], c: [5] },
    onnx: (g, x) => g.op('Gemm', [x.a, x.b, x.c], 'y'),
    tfjs: (x) => tf.add(tf.matMul(x.a as tf.Tensor2D, x.b as tf.Tensor2D), x.c),
  },
  {
    name: 'Gemm, both transposed',
    inputs: { a: [4, 3], b: [5, 4], c: [3, 1] },
    onnx: (g, x) => g.op('Gemm', [x.a, x.b, x.c], 'y', { transA: int(1), transB: int(1) }),
    tfjs: (x) => tf.add(tf.matMul(tf.transpose(x.a) as tf.Tensor2D, tf.transpose(x.b) as tf.Tensor2D), x.c),
  },
  { name: 'Reshape', inputs: { a: [2, 6] }, onnx: (g, x) => g.reshape(x.a, [0, 3, -1], 'y'), tfjs: (x) => tf.reshape(x.a, [2, 3, 2]) },
  { name: 'Transpose', inputs: { a: [2, 3, 4] }, onnx: (g, x) => g.transpose(x.a, [2, 0, 1], 'y'), tfjs: (x) => tf.transpose(x.a, [2, 0, 1]) },
  { name: 'Slice', inputs: { a: [3, 8] }, onnx: (g, x) => g.slice(x.a, 1, 2, 6, 'y'), tfjs: (x) => tf.slice(x.a, [0, 2], [3, 4]) },
  {
    name: 'Concat',
    inputs: { a: [2, 3], b: [2, 2] },
    onnx: (g, x) => g.op('Concat', [x.a, x.b], 'y', { axis: int(1) }),
    tfjs: (x) => tf.concat([x.a, x.b], 1),
  },
  {
    name: 'Split, one piece unused',
    inputs: { a: [2, 6] },
    onnx: (g, x) => g.opMulti('Split', [x.a, g.int64s([2, 4])], 2, 'y', { axis: int(1) })[1],
    tfjs: (x) => tf.split(x.a, [2, 4], 1)[1],
  },
  {
    name: 'Pad',
    inputs: { a: [2, 3] },
    onnx: (g, x) => g.op('Pad', [x.a, g.int64s([1, 0, 0, 2])], 'y'),
    tfjs: (x) => tf.pad(x.a, [[1, 0], [0, 2]]),
  },
  { name: 'Expand', inputs: { a: [3, 1] }, onnx: (g, x) => g.op('Expand', [x.a, g.int64s([2, 3, 4])], 'y'), tfjs: (x) => tf.broadcastTo(x.a, [2, 3, 4]) },
  {
    name: 'Unsqueeze, Squeeze',
    inputs: { a: [2, 3] },
    onnx: (g, x) => g.op('Squeeze', [g.op('Unsqueeze', [x.a, g.int64s([0])], 'u'), g.int64s([0])], 'y'),
    tfjs: (x) => tf.squeeze(tf.expandDims(x.a, 0), [0]),
  },
  {
    name: 'ReduceSum over two axes',
    inputs: { a: [2, 3, 4] },
    onnx: (g, x) => g.op('ReduceSum', [x.a, g.int64s([0, 2])], 'y', { keepdims: int(0) }),
    tfjs: (x) => tf.sum(x.a, [0, 2]),
  },
  {
    name: 'ReduceMean, keeping the axes',
    inputs: { a: [2, 3, 4] },
    onnx: (g, x) => g.op('ReduceMean', [x.a], 'y', { axes: ints([1]), keepdims: int(1) }),
    tfjs: (x) => tf.mean(x.a, [1], true),
  },
  {
    name: 'ReduceSumSquare',
    inputs: { a: [3, 4] },
    onnx: (g, x) => g.op('ReduceSumSquare', [x.a], 'y', { axes: ints([1]), keepdims: int(0) }),
    tfjs: (x) => tf.sum(tf.square(x.a), [1]),
  },
  { name: 'Softmax', inputs: { a: [2, 3, 5] }, onnx: (g, x) => g.op('Softmax', [x.a], 'y', { axis: int(-1) }), tfjs: (x) => tf.softmax(x.a) },
  {
    name: 'Conv 3×3, same padding, with a bias',
    inputs: { x: [2, 3, 5, 5], w: [4, 3, 3, 3], b: [4] },
    onnx: (g, x) => g.conv(x.x, x.w, x.b, 3, 'y'),
    tfjs: (x) => tf.add(nhwcToNchw(conv2d(nchwToNhwc(x.x), tf.transpose(x.w, [2, 3, 1, 0]) as tf.Tensor4D)), tf.reshape(x.b, [1, 4, 1, 1])),
    tolerance: 1e-4,
  },
  {
    name: 'Conv 1×1',
    inputs: { x: [2, 4, 3, 3], w: [2, 4, 1, 1] },
    onnx: (g, x) => g.conv(x.x, x.w, undefined, 1, 'y'),
    tfjs: (x) => nhwcToNchw(conv2d(nchwToNhwc(x.x), tf.transpose(x.w, [2, 3, 1, 0]) as tf.Tensor4D)),
  },
  {
    name: 'AveragePool 2×2',
    inputs: { x: [2, 3, 4, 6] },
    onnx: (g, x) => g.avgPool2x2(x.x, 'y'),
    tfjs: (x) => nhwcToNchw(tf.avgPool(nchwToNhwc(x.x), 2, 2, 'valid')),
  },
  {
    name: 'MaxPool 2×2',
    inputs: { x: [2, 3, 4, 6] },
    onnx: (g, x) => g.maxPool2x2(x.x, 'y'),
    tfjs: (x) => nhwcToNchw(maxPool2x2(nchwToNhwc(x.x))),
    eps: 1e-3,
  },
  {
    name: 'Resize, nearest 2×',
    inputs: { x: [1, 2, 3, 2] },
    onnx: (g, x) => g.upsampleNearest2x(x.x, 'y'),
    tfjs: (x) => nhwcToNchw(upsampleNearest2x(nchwToNhwc(x.x))),
  },
  {
    name: 'a value used three times: the contributions add up',
    inputs: { a: [2, 3], b: [3] },
    onnx: (g, x) => g.add(g.mul(x.a, x.a, 'a²'), g.op('Tanh', [g.add(x.a, x.b, 'a+b')], 'tanh'), 'y'),
    tfjs: (x) => tf.add(tf.mul(x.a, x.a), tf.tanh(tf.add(x.a, x.b))),
  },
]

/** Values in ±[0.1, 1.1] (away from Relu's kink) or [0.5, 1.5]. */
function draw(rng: Random, shape: number[], positive: boolean): Float32Array {
  return Float32Array.from({ length: numel(shape) }, () => {
    const u = rng.uniform()
    if (positive) return 0.5 + u
    return (u < 0.5 ? -1 : 1) * (0.1 + 2 * Math.abs(u - 0.5) * 2 * 0.5)
  })
}

interface Built {
  model: Uint8Array
  outputShape: number[]
}

/** The graph L = Σ op(x) ⊙ R, and ∂L/∂x for every input, as one ONNX model. */
function build(c: Case, weights: Float32Array | undefined, withGradients: boolean): Built {
  const g = new GraphBuilder(c.name)
  const x = Object.fromEntries(Object.entries(c.inputs).map(([name, shape]) => [name, g.input(name, 'float', shape)]))
  const y = c.onnx(g, x)
  const outputShape = [...inferShapes(g.graph()).get(y)!]
  const r = g.weight('R', weights ?? new Float32Array(numel(outputShape)), outputShape)
  const loss = g.op('ReduceSum', [g.mul(y, r, 'y·R')], 'L', { keepdims: int(0) })
  g.output(loss, 'loss', 'float', [])
  if (withGradients) {
    const grads = differentiate(g, loss, Object.values(x))
    for (const [name, shape] of Object.entries(c.inputs)) g.output(grads.get(name)!, `d_${name}`, 'float', shape)
  }
  const bytes = concatChunks(encodeModel({ graph: g.graph(), opset: OPSET, producer: { name: 'test', version: '0' }, docString: '', metadata: {} }))
  return { model: bytes, outputShape }
}

async function run(model: Uint8Array, feeds: Record<string, { data: Float32Array; shape: number[] }>): Promise<Record<string, Float32Array>> {
  const ort = loadOrt()
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 })
  try {
    const inputs = Object.fromEntries(Object.entries(feeds).map(([name, f]) => [name, new ort.Tensor('float32', f.data, f.shape)]))
    const out = await session.run(inputs)
    return Object.fromEntries(Object.entries(out).map(([name, t]) => [name, t.data as Float32Array]))
  } finally {
    await session.release()
  }
}

/** max |a − b| over max(|b|, floor): the worst element, relative to the gradient's scale. */
function relativeError(a: Float32Array, b: Float32Array, floor = 1e-3): number {
  let scale = floor
  for (const v of b) scale = Math.max(scale, Math.abs(v))
  let worst = 0
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / scale)
  return worst
}

beforeAll(async () => {
  await initBackend({}) // BIGGAN_BACKEND: wasm unless the environment asks for cpu
})

describe('the derived backward pass of each op', () => {
  for (const [index, c] of cases.entries()) {
    it(c.name, async () => {
      const rng = new Random(100 + index)
      const values = Object.fromEntries(Object.entries(c.inputs).map(([name, shape]) => [name, draw(rng, shape, c.positive?.includes(name) ?? false)]))
      const { outputShape } = build(c, undefined, false)
      const weights = draw(rng, outputShape, false)
      const feeds = Object.fromEntries(Object.entries(c.inputs).map(([name, shape]) => [name, { data: values[name], shape }]))

      const { model } = build(c, weights, true)
      const result = await run(model, feeds)

      // (b) TensorFlow.js's gradient of the same op
      const expected = tf.tidy(() => {
        const names = Object.keys(c.inputs)
        const loss = (...xs: tf.Tensor[]): tf.Scalar =>
          tf.sum(tf.mul(c.tfjs(Object.fromEntries(names.map((n, i) => [n, xs[i]]))), tf.tensor(weights, outputShape)))
        const grads = tf.grads(loss)(names.map((n) => tf.tensor(values[n], c.inputs[n])))
        return grads.map((t) => t.dataSync() as Float32Array)
      })
      Object.keys(c.inputs).forEach((name, i) => {
        expect(relativeError(result[`d_${name}`], expected[i]), `∂L/∂${name} against TensorFlow.js`).toBeLessThanOrEqual(c.tolerance ?? 1e-5)
      })

      // (a) central finite differences of the loss, at a few elements of each input
      const forward = build(c, weights, false).model
      const eps = c.eps ?? 1e-2
      for (const [name, shape] of Object.entries(c.inputs)) {
        const n = numel(shape)
        for (const k of [0, Math.floor(n / 2), n - 1]) {
          const at = (delta: number): Record<string, { data: Float32Array; shape: number[] }> => {
            const moved = Float32Array.from(values[name])
            moved[k] += delta
            return { ...feeds, [name]: { data: moved, shape } }
          }
          const fd = ((await run(forward, at(eps))).loss[0] - (await run(forward, at(-eps))).loss[0]) / (2 * eps)
          const analytic = result[`d_${name}`][k]
          expect(Math.abs(fd - analytic), `∂L/∂${name}[${k}]: finite difference ${fd}, derived ${analytic}`).toBeLessThanOrEqual(2e-2 * Math.max(1, Math.abs(analytic)))
        }
      }
    })
  }
})

describe('differentiating a graph', () => {
  it('gives zeros for an input the loss does not depend on, and stops at the values it is told to', async () => {
    const g = new GraphBuilder('stop')
    const a = g.input('a', 'float', [3])
    const b = g.input('b', 'float', [3])
    const unused = g.input('c', 'float', [2])
    const stopped = g.op('Identity', [b], 'b.detached')
    const loss = g.op('ReduceSum', [g.mul(a, stopped, 'a·b')], 'L', { keepdims: int(0) })
    g.output(loss, 'loss', 'float', [])
    const grads = differentiate(g, loss, [a, b, unused], { stop: new Set([stopped]) })
    for (const [name, shape] of [['a', [3]], ['b', [3]], ['c', [2]]] as const) g.output(grads.get(name)!, `d_${name}`, 'float', [...shape])
    const model = concatChunks(encodeModel({ graph: g.graph(), opset: OPSET, producer: { name: 'test', version: '0' }, docString: '', metadata: {} }))
    const out = await run(model, {
      a: { data: Float32Array.from([1, 2, 3]), shape: [3] },
      b: { data: Float32Array.from([4, 5, 6]), shape: [3] },
      c: { data: Float32Array.from([7, 8]), shape: [2] },
    })
    expect(Array.from(out.d_a)).toEqual([4, 5, 6])
    expect(Array.from(out.d_b)).toEqual([0, 0, 0]) // b reaches the loss only through the stopped value
    expect(Array.from(out.d_c)).toEqual([0, 0])
  })

  it('names the op it has no rule for', () => {
    const g = new GraphBuilder('unknown')
    const a = g.input('a', 'float', [3])
    const y = g.op('Erf', [a], 'erf')
    expect(() => differentiate(g, g.op('ReduceSum', [y], 'L', { keepdims: int(0) }), [a])).toThrow(/no shape rule for Erf/)
  })
})
