// The ONNX file format, written by hand: the few protobuf messages a model needs (ModelProto, GraphProto, NodeProto,
// AttributeProto, TensorProto, ValueInfoProto), as onnx/onnx.proto numbers their fields. Protobuf's wire format is
// small: each field is a varint key (field number << 3 | wire type) followed by a varint, 4 bytes (fixed32) or a
// varint length and that many bytes (strings, bytes and nested messages). No dependency, no Python.
//
// A message is kept as a list of byte chunks with their total length, so a 200 MB model is never copied while it
// is assembled: weight bytes enter as views and leave in the same chunks (written to a file one after another).

const VARINT = 0
const FIXED32 = 5
const LENGTH_DELIMITED = 2

/** TensorProto.DataType */
export const DataType = { float: 1, int64: 7 } as const
export type ElemType = keyof typeof DataType

/** A protobuf message under construction. */
export class Message {
  private readonly chunks: Uint8Array[] = []
  private pending: number[] = [] // small writes, flushed into one chunk before a large one
  private total = 0

  get length(): number {
    return this.total + this.pending.length
  }

  varint(field: number, value: number | bigint): this {
    this.key(field, VARINT)
    this.writeVarint(value)
    return this
  }

  float(field: number, value: number): this {
    this.key(field, FIXED32)
    const bytes = new Uint8Array(new Float32Array([value]).buffer)
    for (const b of littleEndian(bytes, 4)) this.pending.push(b)
    return this
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value))
  }

  /** A length-delimited field. Large byte arrays are kept as views, not copied. */
  bytes(field: number, value: Uint8Array): this {
    this.key(field, LENGTH_DELIMITED)
    this.writeVarint(value.length)
    this.append(value)
    return this
  }

  message(field: number, value: Message): this {
    this.key(field, LENGTH_DELIMITED)
    this.writeVarint(value.length)
    for (const chunk of value.finish()) this.append(chunk)
    return this
  }

  /** The encoded message as chunks to be concatenated in order. */
  finish(): Uint8Array[] {
    this.flush()
    return this.chunks
  }

  private key(field: number, wireType: number): void {
    this.writeVarint((field << 3) | wireType)
  }

  /** Protobuf varints: 7 bits a byte, low bits first; negative int64s as their 64-bit two's complement. */
  private writeVarint(value: number | bigint): void {
    let v = BigInt.asUintN(64, BigInt(value))
    if (typeof value === 'number' && !Number.isSafeInteger(value)) throw new Error(`varint ${value} is not a safe integer`)
    while (v >= 0x80n) {
      this.pending.push(Number(v & 0x7fn) | 0x80)
      v >>= 7n
    }
    this.pending.push(Number(v))
  }

  private append(bytes: Uint8Array): void {
    if (bytes.length < 256) {
      for (const b of bytes) this.pending.push(b)
      return
    }
    this.flush()
    this.chunks.push(bytes)
    this.total += bytes.length
  }

  private flush(): void {
    if (this.pending.length === 0) return
    this.chunks.push(Uint8Array.from(this.pending))
    this.total += this.pending.length
    this.pending = []
  }
}

const hostIsLittleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/** Bytes of a typed array in little-endian order (ONNX's raw_data): a view on little-endian hosts. */
function littleEndian(bytes: Uint8Array, itemSize: number): Uint8Array {
  if (hostIsLittleEndian || itemSize === 1) return bytes
  const out = new Uint8Array(bytes.length)
  for (let i = 0; i < bytes.length; i += itemSize) for (let j = 0; j < itemSize; j++) out[i + j] = bytes[i + itemSize - 1 - j]
  return out
}

// ───────────────────────────────────────────── ONNX messages ─────────────────────────────────────────────

export interface Tensor {
  name: string
  dims: number[]
  elemType: ElemType
  data: Float32Array | BigInt64Array
}

/** An attribute value with its ONNX type (AttributeProto.AttributeType). */
export type Attribute =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] }

export interface Node {
  opType: string
  inputs: string[]
  outputs: string[]
  name: string
  attributes: Record<string, Attribute>
}

export interface ValueInfo {
  name: string
  elemType: ElemType
  /** a number for a fixed size, a name (e.g. 'batch') for a symbolic one */
  shape: (number | string)[]
}

export interface Graph {
  name: string
  nodes: Node[]
  initializers: Tensor[]
  inputs: ValueInfo[]
  outputs: ValueInfo[]
}

export interface Model {
  graph: Graph
  opset: number
  producer: { name: string; version: string }
  docString: string
  /** free-form key/value pairs (ModelProto.metadata_props) */
  metadata: Record<string, string>
}

/** IR version that goes with opsets up to 17 (onnx/docs/Versioning.md) */
const IR_VERSION = 8

const attributeType: Record<Attribute['kind'], number> = { float: 1, int: 2, string: 3, floats: 6, ints: 7 }

/** Where large initializers go instead of raw_data: a file beside the model (ONNX external data), which
 *  onnxruntime maps into memory instead of copying. */
export interface ExternalData {
  /** the data file's name, relative to the model file */
  location: string
  /** tensors of at least this many bytes go there */
  threshold: number
  /** filled while encoding: the data file's chunks, each tensor at a page-aligned offset */
  chunks: Uint8Array[]
  length: number
}

const PAGE = 4096

export function encodeTensor(t: Tensor, external?: ExternalData): Message {
  const m = new Message()
  for (const d of t.dims) m.varint(1, d)
  m.varint(2, DataType[t.elemType])
  m.string(8, t.name)
  const bytes = littleEndian(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), t.data.BYTES_PER_ELEMENT)
  if (!external || bytes.length < external.threshold) return m.bytes(9, bytes)
  const padding = (PAGE - (external.length % PAGE)) % PAGE
  if (padding > 0) external.chunks.push(new Uint8Array(padding))
  const offset = external.length + padding
  external.chunks.push(bytes)
  external.length = offset + bytes.length
  const entry = (key: string, value: string): Message => new Message().string(1, key).string(2, value)
  m.message(13, entry('location', external.location))
  m.message(13, entry('offset', String(offset)))
  m.message(13, entry('length', String(bytes.length)))
  return m.varint(14, 1) // data_location: EXTERNAL
}

function encodeAttribute(name: string, a: Attribute): Message {
  const m = new Message().string(1, name)
  switch (a.kind) {
    case 'float':
      m.float(2, a.value)
      break
    case 'int':
      m.varint(3, a.value)
      break
    case 'string':
      m.string(4, a.value)
      break
    case 'floats':
      for (const v of a.value) m.float(7, v)
      break
    case 'ints':
      for (const v of a.value) m.varint(8, v)
      break
  }
  return m.varint(20, attributeType[a.kind])
}

function encodeNode(n: Node): Message {
  const m = new Message()
  for (const i of n.inputs) m.string(1, i)
  for (const o of n.outputs) m.string(2, o)
  m.string(3, n.name)
  m.string(4, n.opType)
  for (const [name, a] of Object.entries(n.attributes)) m.message(5, encodeAttribute(name, a))
  return m
}

function encodeValueInfo(v: ValueInfo): Message {
  const shape = new Message()
  for (const d of v.shape) shape.message(1, typeof d === 'number' ? new Message().varint(1, d) : new Message().string(2, d))
  const tensorType = new Message().varint(1, DataType[v.elemType]).message(2, shape)
  return new Message().string(1, v.name).message(2, new Message().message(1, tensorType))
}

function encodeGraph(g: Graph, external?: ExternalData): Message {
  const m = new Message()
  for (const n of g.nodes) m.message(1, encodeNode(n))
  m.string(2, g.name)
  for (const t of g.initializers) m.message(5, encodeTensor(t, external))
  for (const v of g.inputs) m.message(11, encodeValueInfo(v))
  for (const v of g.outputs) m.message(12, encodeValueInfo(v))
  return m
}

/** A ModelProto as byte chunks, in order. With `external`, large initializers go to its chunks instead. */
export function encodeModel(model: Model, external?: ExternalData): Uint8Array[] {
  const m = new Message()
    .varint(1, IR_VERSION)
    .string(2, model.producer.name)
    .string(3, model.producer.version)
    .string(6, model.docString)
    .message(7, encodeGraph(model.graph, external))
    .message(8, new Message().string(1, '').varint(2, model.opset))
  for (const [key, value] of Object.entries(model.metadata)) {
    m.message(14, new Message().string(1, key).string(2, value))
  }
  return m.finish()
}

/** Chunks joined into one array (for small models and tests; large ones are written chunk by chunk). */
export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let offset = 0
  for (const c of chunks) {
    out.set(c, offset)
    offset += c.length
  }
  return out
}
