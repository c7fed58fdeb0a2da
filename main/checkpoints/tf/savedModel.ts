// Constants in a SavedModel's graph (saved_model.pb), read as data: the TF-Hub BigGAN-deep modules keep their
// per-truncation BatchNorm statistics there rather than in variables, as tensors the graph stacks (`stack_N`,
// Pack ops over Const nodes). Only Const, Pack (axis 0) and Identity nodes are followed, and only float32 values
// are read; nothing in the graph is run. Pure: bytes in, tensors out.

import { CheckpointError } from '../../tensors/errors.ts'
import { checkedNumel, plainBytes, type RawTensor } from '../../tensors/tensor.ts'
import type { ReadOptions } from '../cancel.ts'
import { Message } from './protobuf.ts'

interface NodeDef {
  name: string
  op: string
  inputs: string[]
  attrs: Map<string, Uint8Array>
}

export interface GraphStacks {
  /** stack node name (without the `module_apply_default/` scope) → its value */
  stacks: Map<string, RawTensor>
  /** stack nodes that are not float constants, with the reason */
  unreadable: Map<string, string>
}

const stackName = /^(?:module_apply_default\/)?(stack_\d+)$/
/** How deep Identity/Pack chains are followed (the statistics are one Pack over Consts), how many nodes one stack
 *  may visit and how many bytes it may hold: a hostile graph could otherwise stack the same constant over and over. */
const maxDepth = 8
const maxVisits = 100_000
const maxStackBytes = 2 ** 30

function readNode(bytes: Uint8Array, file?: string): NodeDef {
  const m = new Message(bytes, 'a graph node', file)
  const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b ?? new Uint8Array(0))
  const attrs = new Map<string, Uint8Array>()
  for (const entry of m.repeatedBytes(5, 'attr')) {
    const e = new Message(entry, 'a node attribute', file)
    attrs.set(text(e.bytes(1, 'key')), e.bytes(2, 'value') ?? new Uint8Array(0))
  }
  return {
    name: text(m.bytes(1, 'name')),
    op: text(m.bytes(2, 'op')),
    inputs: m.repeatedBytes(3, 'input').map(text),
    attrs,
  }
}

/** A float32 TensorProto: tensor_content, or float_val (the last value repeated to fill, as TensorFlow does). */
function floatTensor(bytes: Uint8Array, what: string, file?: string): RawTensor | string {
  const t = new Message(bytes, what, file)
  if (t.varint(1, 'dtype') !== 1n) return `${what} is not float32 (dtype ${t.varint(1, 'dtype')})`
  const shape: number[] = []
  const shapeBytes = t.bytes(2, 'tensor_shape')
  if (shapeBytes) {
    for (const dim of new Message(shapeBytes, `${what}'s shape`, file).repeatedBytes(2, 'dim')) {
      shape.push(new Message(dim, `${what}'s dimension`, file).count(1, 'size'))
    }
  }
  const count = checkedNumel(shape)
  if (count === null || count > 2 ** 28) {
    throw new CheckpointError('too-large', `${what} has shape [${shape}], more than a statistics constant holds`, file)
  }
  const content = t.bytes(4, 'tensor_content')
  if (content) {
    if (content.byteLength !== count * 4) {
      throw new CheckpointError('bad-header', `${what} holds ${content.byteLength} bytes for float32 [${shape}]`, file)
    }
    return { dtype: 'F32', shape, data: content.slice() }
  }
  const values: number[] = []
  for (const f of t.fields) {
    if (f.field !== 5) continue
    if (f.wire === 5) values.push(f.fixed32)
    else if (f.wire === 2) {
      if (f.bytes.byteLength % 4 !== 0) throw new CheckpointError('bad-header', `${what}'s float_val is not whole floats`, file)
      const view = new DataView(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength)
      for (let i = 0; i < f.bytes.byteLength; i += 4) values.push(view.getUint32(i, true))
    }
    if (values.length > count) throw new CheckpointError('bad-header', `${what} lists more values than [${shape}] holds`, file)
  }
  const bits = new Uint32Array(count)
  for (let i = 0; i < count; i++) bits[i] = values.length === 0 ? 0 : values[Math.min(i, values.length - 1)]
  return { dtype: 'F32', shape, data: new Uint8Array(bits.buffer) }
}

/** Finds the graph's `stack_N` nodes and reads those that are float constants. */
export function readGraphStacks(savedModel: Uint8Array, file?: string, options: ReadOptions = {}): GraphStacks {
  const root = new Message(plainBytes(savedModel), 'saved_model.pb', file)
  const metaGraphs = root.repeatedBytes(2, 'meta_graphs')
  if (metaGraphs.length === 0) {
    throw new CheckpointError('bad-header', 'saved_model.pb holds no graph; this is not a SavedModel', file)
  }
  for (const metaGraph of metaGraphs) {
    const graph = new Message(metaGraph, 'a meta graph', file).bytes(2, 'graph_def')
    if (!graph) continue
    const nodes = new Map<string, NodeDef>()
    for (const bytes of new Message(graph, 'the graph', file).repeatedBytes(1, 'node')) {
      options.checkCancelled?.()
      const node = readNode(bytes, file)
      nodes.set(node.name, node)
    }
    const found: GraphStacks = { stacks: new Map(), unreadable: new Map() }
    for (const node of nodes.values()) {
      const m = stackName.exec(node.name)
      if (!m) continue
      options.checkCancelled?.()
      const value = resolve(node, nodes, 0, { visits: 0 }, file)
      if (typeof value === 'string') found.unreadable.set(m[1], value)
      else found.stacks.set(m[1], value)
    }
    if (found.stacks.size > 0 || found.unreadable.size > 0) return found
  }
  return { stacks: new Map(), unreadable: new Map() }
}

function resolve(
  node: NodeDef, nodes: Map<string, NodeDef>, depth: number, work: { visits: number }, file?: string,
): RawTensor | string {
  if (depth > maxDepth) return `${node.name} is deeper than ${maxDepth} nodes from a constant`
  if (++work.visits > maxVisits) return `${node.name} reaches more than ${maxVisits} nodes`
  const input = (i: number): RawTensor | string => {
    const name = node.inputs[i].replace(/:0$/, '')
    const next = nodes.get(name)
    if (!next) return `${node.name} reads ${node.inputs[i]}, which is not a node of the graph (or not output 0)`
    return resolve(next, nodes, depth + 1, work, file)
  }
  const data = node.inputs.filter((n) => !n.startsWith('^'))
  switch (node.op) {
    case 'Const': {
      const value = node.attrs.get('value')
      if (!value) return `${node.name} is a Const without a value`
      const tensor = new Message(value, `${node.name}'s value`, file).bytes(8, 'tensor')
      if (!tensor) return `${node.name}'s value is not a tensor`
      return floatTensor(tensor, `constant ${node.name}`, file)
    }
    case 'Identity':
      return data.length === 1 ? input(0) : `${node.name} is an Identity of ${data.length} inputs`
    case 'Pack': {
      const axis = node.attrs.get('axis')
      if (axis && new Message(axis, `${node.name}'s axis`, file).varint(3, 'i') !== 0n) return `${node.name} stacks along an axis other than 0`
      if (data.length === 0) return `${node.name} stacks nothing`
      const parts: RawTensor[] = []
      for (let i = 0; i < data.length; i++) {
        const part = input(i)
        if (typeof part === 'string') return part
        if (parts.length > 0 && (part.shape.length !== parts[0].shape.length || part.shape.some((d, k) => d !== parts[0].shape[k]))) {
          return `${node.name} stacks tensors of shapes [${parts[0].shape}] and [${part.shape}]`
        }
        parts.push(part)
        if (parts.length * part.data.byteLength > maxStackBytes) return `${node.name} stacks more than ${maxStackBytes} bytes`
      }
      const out = new Uint8Array(parts.reduce((n, p) => n + p.data.byteLength, 0))
      let at = 0
      for (const p of parts) {
        out.set(p.data, at)
        at += p.data.byteLength
      }
      return { dtype: 'F32', shape: [parts.length, ...parts[0].shape], data: out }
    }
    default:
      return `${node.name} is computed by a ${node.op} op, not stacked from constants`
  }
}
