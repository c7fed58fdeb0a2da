// A tiny ONNX graph builder: values are names, each op call appends one node and returns its output's name.
// Node names carry the engine's layer names (e.g. G.blocks.3.conv1), so onnxruntime's profile reads per layer.
import type { Attribute, ElemType, Graph, Node, Tensor, ValueInfo } from './proto.ts'

export const OPSET = 17

export const int = (value: number): Attribute => ({ kind: 'int', value })
export const ints = (value: number[]): Attribute => ({ kind: 'ints', value })
export const float = (value: number): Attribute => ({ kind: 'float', value })
export const str = (value: string): Attribute => ({ kind: 'string', value })

export class GraphBuilder {
  private readonly nodes: Node[] = []
  private readonly initializers: Tensor[] = []
  private readonly inputs: ValueInfo[] = []
  private readonly outputs: ValueInfo[] = []
  private readonly used = new Set<string>()
  private readonly shapeConstants = new Map<string, string>()
  private scales2x?: string

  constructor(readonly name: string) {}

  input(name: string, elemType: ElemType, shape: (number | string)[]): string {
    this.claim(name)
    this.inputs.push({ name, elemType, shape })
    return name
  }

  /** Marks `value` as the graph output `name` (an Identity node renames it). */
  output(value: string, name: string, elemType: ElemType, shape: (number | string)[]): void {
    this.claim(name)
    this.nodes.push({ opType: 'Identity', inputs: [value], outputs: [name], name, attributes: {} })
    this.outputs.push({ name, elemType, shape })
  }

  /** A float32 weight, stored in the file. */
  weight(name: string, data: Float32Array, dims: number[]): string {
    const count = dims.reduce((a, b) => a * b, 1)
    if (count !== data.length) throw new Error(`ONNX export: ${name} has ${data.length} values, not ${count} for [${dims}]`)
    const unique = this.fresh(name)
    this.initializers.push({ name: unique, dims, elemType: 'float', data })
    return unique
  }

  /** An int64 vector (shapes, axes, split sizes), shared between the nodes that use the same values. */
  int64s(values: number[]): string {
    const key = values.join(',')
    const known = this.shapeConstants.get(key)
    if (known) return known
    const name = this.fresh(`const.i64[${key}]`)
    this.initializers.push({ name, dims: [values.length], elemType: 'int64', data: BigInt64Array.from(values.map(BigInt)) })
    this.shapeConstants.set(key, name)
    return name
  }

  /** A float scalar constant, shared like int64s. */
  scalar(value: number): string {
    const key = `f32:${value}`
    const known = this.shapeConstants.get(key)
    if (known) return known
    const name = this.weight(`const.f32(${value})`, new Float32Array([value]), [])
    this.shapeConstants.set(key, name)
    return name
  }

  /** One node with one output; returns the output's name. */
  op(opType: string, inputs: string[], name: string, attributes: Record<string, Attribute> = {}): string {
    return this.opMulti(opType, inputs, 1, name, attributes)[0]
  }

  opMulti(opType: string, inputs: string[], outputs: number, name: string, attributes: Record<string, Attribute> = {}): string[] {
    const nodeName = this.fresh(name)
    const names = outputs === 1 ? [nodeName] : Array.from({ length: outputs }, (_, i) => this.fresh(`${nodeName}:${i}`))
    this.nodes.push({ opType, inputs, outputs: names, name: nodeName, attributes })
    return names
  }

  graph(): Graph {
    return { name: this.name, nodes: this.nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs }
  }

  // ─── ops, NCHW ───

  add(a: string, b: string, name: string): string {
    return this.op('Add', [a, b], name)
  }

  sub(a: string, b: string, name: string): string {
    return this.op('Sub', [a, b], name)
  }

  mul(a: string, b: string, name: string): string {
    return this.op('Mul', [a, b], name)
  }

  relu(x: string, name: string): string {
    return this.op('Relu', [x], name)
  }

  matMul(a: string, b: string, name: string): string {
    return this.op('MatMul', [a, b], name)
  }

  reshape(x: string, shape: number[], name: string): string {
    return this.op('Reshape', [x, this.int64s(shape)], name)
  }

  transpose(x: string, perm: number[], name: string): string {
    return this.op('Transpose', [x], name, { perm: ints(perm) })
  }

  /** Slice along one axis, [start, end). */
  slice(x: string, axis: number, start: number, end: number, name: string): string {
    return this.op('Slice', [x, this.int64s([start]), this.int64s([end]), this.int64s([axis])], name)
  }

  /** [batch, C, h, w] → [batch, C, 2h, 2w], each pixel repeated in a 2×2 block (nearest, as F.interpolate). */
  upsampleNearest2x(x: string, name: string): string {
    this.scales2x ??= this.weight('const.scales2x', new Float32Array([1, 1, 2, 2]), [4])
    return this.op('Resize', [x, '', this.scales2x], name, {
      mode: str('nearest'),
      coordinate_transformation_mode: str('asymmetric'),
      nearest_mode: str('floor'),
    })
  }

  avgPool2x2(x: string, name: string): string {
    return this.op('AveragePool', [x], name, { kernel_shape: ints([2, 2]), strides: ints([2, 2]) })
  }

  maxPool2x2(x: string, name: string): string {
    return this.op('MaxPool', [x], name, { kernel_shape: ints([2, 2]), strides: ints([2, 2]) })
  }

  /** Stride 1, 'same' padding; weight OIHW [out, in, k, k], bias [out] or none. */
  conv(x: string, weight: string, bias: string | undefined, kernel: number, name: string): string {
    const p = (kernel - 1) / 2
    return this.op('Conv', bias ? [x, weight, bias] : [x, weight], name, { kernel_shape: ints([kernel, kernel]), pads: ints([p, p, p, p]) })
  }

  private claim(name: string): void {
    if (this.used.has(name)) throw new Error(`ONNX export: the name ${name} is used twice`)
    this.used.add(name)
  }

  /** `base`, or `base#2`, `base#3`, … where it is taken. */
  private fresh(base: string): string {
    let name = base
    for (let i = 2; this.used.has(name); i++) name = `${base}#${i}`
    this.used.add(name)
    return name
  }
}
