// Static shapes of every value in a graph the engine builds. The backward pass needs them: a gradient flowing into a
// broadcast operand must be summed back to that operand's shape, a Slice's gradient padded back to its input's, and
// so on. The training graphs have fixed sizes (one batch size per compiled step), so every shape is known from the
// inputs and the initializers; an op this file does not know, or a symbolic size, is an error that names the node.
import type { Attribute, Graph, Node, Tensor } from '../proto.ts'

export type Shape = readonly number[]

/** Every value's shape: the graph's inputs and initializers, then each node's outputs in order. */
export function inferShapes(graph: Graph): Map<string, Shape> {
  const shapes = new Map<string, Shape>()
  const constants = new Map<string, Tensor>()
  for (const input of graph.inputs) {
    if (!input.shape.every((d): d is number => typeof d === 'number')) {
      throw new Error(`graph input ${input.name} has a symbolic size [${input.shape}]: a differentiated graph needs fixed sizes`)
    }
    shapes.set(input.name, input.shape)
  }
  for (const t of graph.initializers) {
    shapes.set(t.name, t.dims)
    constants.set(t.name, t)
  }
  for (const node of graph.nodes) {
    const inputs = node.inputs.map((name) => (name === '' ? undefined : shapes.get(name)))
    const missing = node.inputs.findIndex((name, i) => name !== '' && inputs[i] === undefined)
    if (missing >= 0) throw new Error(`${node.opType} node ${node.name}: no shape for its input ${node.inputs[missing]}`)
    const outputs = outputShapes(node, inputs, (name) => constants.get(name))
    node.outputs.forEach((name, i) => shapes.set(name, outputs[i]))
  }
  return shapes
}

/** The shape of a broadcast of `a` and `b` (numpy rules: aligned at the right, size 1 stretches). */
export function broadcast(a: Shape, b: Shape, where = 'broadcast'): Shape {
  const n = Math.max(a.length, b.length)
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1
    const y = b[b.length - n + i] ?? 1
    if (x !== y && x !== 1 && y !== 1) throw new Error(`${where}: shapes [${a}] and [${b}] do not broadcast`)
    out.push(x === 1 ? y : x)
  }
  return out
}

export const numel = (s: Shape): number => s.reduce((a, b) => a * b, 1)

/** Attribute kinds by the type of their value. */
type AttributeValue = { int: number; float: number; string: string; ints: number[]; floats: number[] }

/** An attribute's value, or `fallback` where the node has none. */
export function attr<K extends Attribute['kind']>(node: Node, name: string, kind: K, fallback: AttributeValue[K]): AttributeValue[K] {
  const a = node.attributes[name]
  if (!a) return fallback
  if (a.kind !== kind) throw new Error(`${node.opType} node ${node.name}: attribute ${name} is ${a.kind}, not ${kind}`)
  return a.value as AttributeValue[K]
}

/** An int64 constant input's values (shapes, axes, slice bounds). */
export function int64Values(node: Node, index: number, constant: (name: string) => Tensor | undefined): number[] {
  const t = constant(node.inputs[index])
  if (!t || t.elemType !== 'int64') {
    throw new Error(`${node.opType} node ${node.name}: input ${index} (${node.inputs[index]}) must be an int64 constant for a differentiated graph`)
  }
  return Array.from(t.data as BigInt64Array, Number)
}

const normalise = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis)

function outputShapes(node: Node, inputs: (Shape | undefined)[], constant: (name: string) => Tensor | undefined): Shape[] {
  const fail = (why: string): never => {
    throw new Error(`${node.opType} node ${node.name}: ${why}`)
  }
  const x = inputs[0] ?? fail('it has no first input')
  switch (node.opType) {
    case 'Identity':
    case 'Relu':
    case 'Tanh':
    case 'Sigmoid':
    case 'Exp':
    case 'Log':
    case 'Neg':
    case 'Abs':
    case 'Sign':
    case 'Sqrt':
    case 'Reciprocal':
    case 'Softmax':
      return [x]
    case 'Add':
    case 'Sub':
    case 'Mul':
    case 'Div':
    case 'Pow':
    case 'Max':
    case 'Min':
    case 'Equal':
    case 'Greater':
    case 'Less':
      return [broadcast(x, inputs[1]!, `${node.opType} node ${node.name}`)]
    case 'Where':
      return [broadcast(broadcast(x, inputs[1]!), inputs[2]!, `Where node ${node.name}`)]
    case 'Sum':
      return [inputs.reduce((s: Shape, t) => broadcast(s, t!, `Sum node ${node.name}`), [])]
    case 'MatMul': {
      const b = inputs[1]!
      if (x.length < 2 || b.length < 2) fail('MatMul needs matrices (rank ≥ 2) here')
      if (x[x.length - 1] !== b[b.length - 2]) fail(`[${x}] × [${b}]: inner sizes differ`)
      const batch = broadcast(x.slice(0, -2), b.slice(0, -2), `MatMul node ${node.name}`)
      return [[...batch, x[x.length - 2], b[b.length - 1]]]
    }
    case 'Gemm': {
      const b = inputs[1]!
      const [m, k] = attr(node, 'transA', 'int', 0) ? [x[1], x[0]] : [x[0], x[1]]
      const [k2, n] = attr(node, 'transB', 'int', 0) ? [b[1], b[0]] : [b[0], b[1]]
      if (k !== k2) fail(`[${x}] × [${b}]: inner sizes differ`)
      return [[m, n]]
    }
    case 'Reshape': {
      const target = int64Values(node, 1, constant)
      const out = target.map((d, i) => (d === 0 ? x[i] : d))
      const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1)
      const filled = out.map((d) => (d === -1 ? numel(x) / known : d))
      if (numel(filled) !== numel(x) || !filled.every(Number.isInteger)) fail(`cannot reshape [${x}] to [${target}]`)
      return [filled]
    }
    case 'Transpose': {
      const perm = attr(node, 'perm', 'ints', x.map((_, i) => x.length - 1 - i))
      return [perm.map((p) => x[p])]
    }
    case 'Slice': {
      const starts = int64Values(node, 1, constant)
      const ends = int64Values(node, 2, constant)
      const axes = node.inputs[3] ? int64Values(node, 3, constant) : starts.map((_, i) => i)
      if (node.inputs[4]) fail('Slice with steps is not differentiated here')
      const out = [...x]
      axes.forEach((a, i) => {
        const axis = normalise(a, x.length)
        const clamp = (v: number): number => Math.min(x[axis], Math.max(0, v < 0 ? v + x[axis] : v))
        out[axis] = Math.max(0, clamp(ends[i]) - clamp(starts[i]))
      })
      return [out]
    }
    case 'Concat': {
      const axis = normalise(attr(node, 'axis', 'int', 0), x.length)
      const out = [...x]
      out[axis] = inputs.reduce((n, s) => n + s![axis], 0)
      return [out]
    }
    case 'Split': {
      const axis = normalise(attr(node, 'axis', 'int', 0), x.length)
      const sizes = node.inputs[1] ? int64Values(node, 1, constant) : new Array(node.outputs.length).fill(x[axis] / node.outputs.length)
      if (sizes.reduce((a, b) => a + b, 0) !== x[axis]) fail(`split sizes [${sizes}] do not add up to ${x[axis]}`)
      return sizes.map((size) => x.map((d, i) => (i === axis ? size : d)))
    }
    case 'ReduceSum':
    case 'ReduceMean':
    case 'ReduceSumSquare':
    case 'ReduceMax': {
      // opset 17: ReduceSum takes its axes as an input, the others as an attribute
      const axes = node.opType === 'ReduceSum'
        ? (node.inputs[1] ? int64Values(node, 1, constant) : [])
        : attr(node, 'axes', 'ints', [])
      const all = axes.length === 0 ? x.map((_, i) => i) : axes.map((a) => normalise(a, x.length))
      const keep = attr(node, 'keepdims', 'int', 1) === 1
      return [keep ? x.map((d, i) => (all.includes(i) ? 1 : d)) : x.filter((_, i) => !all.includes(i))]
    }
    case 'Unsqueeze': {
      const axes = int64Values(node, 1, constant)
      const rank = x.length + axes.length
      const at = axes.map((a) => normalise(a, rank))
      const out: number[] = []
      let k = 0
      for (let i = 0; i < rank; i++) out.push(at.includes(i) ? 1 : x[k++])
      return [out]
    }
    case 'Squeeze': {
      const axes = node.inputs[1] ? int64Values(node, 1, constant).map((a) => normalise(a, x.length)) : x.flatMap((d, i) => (d === 1 ? [i] : []))
      return [x.filter((_, i) => !axes.includes(i))]
    }
    case 'Conv': {
      const w = inputs[1]!
      const [kh, kw] = [w[2], w[3]]
      const pads = attr(node, 'pads', 'ints', [0, 0, 0, 0])
      const strides = attr(node, 'strides', 'ints', [1, 1])
      if (attr(node, 'group', 'int', 1) !== 1) fail('grouped convolutions are not differentiated here')
      const h = Math.floor((x[2] + pads[0] + pads[2] - kh) / strides[0]) + 1
      const ww = Math.floor((x[3] + pads[1] + pads[3] - kw) / strides[1]) + 1
      return [[x[0], w[0], h, ww]]
    }
    case 'ConvTranspose': {
      const w = inputs[1]!
      const pads = attr(node, 'pads', 'ints', [0, 0, 0, 0])
      return [[x[0], w[1], x[2] + w[2] - 1 - pads[0] - pads[2], x[3] + w[3] - 1 - pads[1] - pads[3]]]
    }
    case 'AveragePool':
    case 'MaxPool': {
      const [kh, kw] = attr(node, 'kernel_shape', 'ints', [1, 1])
      const [sh, sw] = attr(node, 'strides', 'ints', [1, 1])
      return [[x[0], x[1], Math.floor((x[2] - kh) / sh) + 1, Math.floor((x[3] - kw) / sw) + 1]]
    }
    case 'Resize': {
      const scales = constant(node.inputs[2])
      if (!scales || scales.elemType !== 'float') fail('Resize needs constant float scales here')
      const s = Array.from(scales!.data as Float32Array)
      return [x.map((d, i) => Math.floor(d * s[i]))]
    }
    case 'Pad': {
      const pads = int64Values(node, 1, constant)
      return [x.map((d, i) => d + pads[i] + pads[i + x.length])]
    }
    case 'Expand': {
      return [broadcast(x, int64Values(node, 1, constant), `Expand node ${node.name}`)]
    }
    case 'Cast':
      return [x]
    default:
      return fail(`no shape rule for ${node.opType}: add it to main/onnx/grad/shapes.ts before differentiating a graph that uses it`)
  }
}
