// The protocol-buffer wire format, read field by field: enough for TensorFlow's BundleHeaderProto,
// BundleEntryProto and the SavedModel graph, with no schema compiler and no generated code. Every length is checked
// against the bytes that remain before anything is sliced, and a malformed field is a CheckpointError naming the
// message it sits in.

import { CheckpointError } from '../../tensors/errors.ts'

/** One field as it sits on the wire. Varints stay BigInt: an int64 offset must not round on its way to a number. */
export type WireField =
  | { field: number; wire: 0; varint: bigint }
  | { field: number; wire: 1; fixed64: bigint }
  | { field: number; wire: 2; bytes: Uint8Array }
  | { field: number; wire: 5; fixed32: number }

/** A cursor over bytes that reads varints and fixed-width integers, refusing to run past the end. */
export class WireReader {
  pos = 0
  constructor(
    readonly bytes: Uint8Array,
    private readonly what: string,
    private readonly file?: string,
  ) {}

  get done(): boolean {
    return this.pos >= this.bytes.byteLength
  }

  fail(message: string): never {
    throw new CheckpointError('bad-header', `${this.what}: ${message}`, this.file)
  }

  varint(): bigint {
    let result = 0n
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.bytes.byteLength) this.fail('a varint runs past the end; the data is cut short or corrupt')
      const b = this.bytes[this.pos++]
      result |= BigInt(b & 0x7f) << shift
      if ((b & 0x80) === 0) {
        if (result >= 1n << 64n) this.fail('a varint is wider than 64 bits')
        return result
      }
    }
    return this.fail('a varint is longer than 10 bytes')
  }

  /** A varint that must be a non-negative safe integer (a length, an offset, a count). */
  size(name: string): number {
    const v = this.varint()
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${name} ${v} is larger than 2^53`)
    return Number(v)
  }

  take(n: number, name: string): Uint8Array {
    if (n > this.bytes.byteLength - this.pos) {
      this.fail(`${name} of ${n} bytes runs past the end (${this.bytes.byteLength - this.pos} left)`)
    }
    const out = this.bytes.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  fixed32(): number {
    const b = this.take(4, 'a 32-bit field')
    return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0
  }

  fixed64(): bigint {
    const lo = BigInt(this.fixed32())
    return lo | (BigInt(this.fixed32()) << 32n)
  }
}

/** Every field of one message, in wire order. Groups (wire types 3 and 4, long deprecated) are refused. */
export function readFields(bytes: Uint8Array, what: string, file?: string): WireField[] {
  const r = new WireReader(bytes, what, file)
  const fields: WireField[] = []
  while (!r.done) {
    const tag = r.varint()
    const field = Number(tag >> 3n)
    const wire = Number(tag & 7n)
    if (field === 0 || tag >> 3n > 0x1fffffffn) r.fail(`field number ${tag >> 3n} is not a valid protobuf field`)
    switch (wire) {
      case 0:
        fields.push({ field, wire, varint: r.varint() })
        break
      case 1:
        fields.push({ field, wire, fixed64: r.fixed64() })
        break
      case 2:
        fields.push({ field, wire, bytes: r.take(r.size('a length'), `field ${field}`) })
        break
      case 5:
        fields.push({ field, wire, fixed32: r.fixed32() })
        break
      default:
        r.fail(`field ${field} has wire type ${wire}, which these messages never use`)
    }
  }
  return fields
}

/** Typed access to a message's fields; `what` names the message in errors. The last occurrence of a singular field
 *  wins, as protobuf specifies. */
export class Message {
  readonly fields: WireField[]
  constructor(
    bytes: Uint8Array,
    readonly what: string,
    readonly file?: string,
  ) {
    this.fields = readFields(bytes, what, file)
  }

  fail(message: string): never {
    throw new CheckpointError('bad-header', `${this.what}: ${message}`, this.file)
  }

  private last(field: number): WireField | undefined {
    for (let i = this.fields.length - 1; i >= 0; i--) if (this.fields[i].field === field) return this.fields[i]
    return undefined
  }

  has(field: number): boolean {
    return this.last(field) !== undefined
  }

  /** A varint field (int32, int64, enum, bool) as BigInt, 0n when absent. */
  varint(field: number, name: string): bigint {
    const f = this.last(field)
    if (!f) return 0n
    if (f.wire !== 0) this.fail(`${name} (field ${field}) has wire type ${f.wire}, expected a varint`)
    return f.varint
  }

  /** A non-negative integer field that must fit a safe JS number (offsets, sizes, counts, ids). */
  count(field: number, name: string): number {
    const v = this.varint(field, name)
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      this.fail(v >= 1n << 63n ? `${name} is negative (${v - (1n << 64n)})` : `${name} ${v} is larger than 2^53`)
    }
    return Number(v)
  }

  fixed32(field: number, name: string): number {
    const f = this.last(field)
    if (!f) return 0
    if (f.wire !== 5) this.fail(`${name} (field ${field}) has wire type ${f.wire}, expected 32 bits`)
    return f.fixed32
  }

  bytes(field: number, name: string): Uint8Array | undefined {
    const f = this.last(field)
    if (!f) return undefined
    if (f.wire !== 2) this.fail(`${name} (field ${field}) has wire type ${f.wire}, expected bytes`)
    return f.bytes
  }

  /** Every occurrence of a length-delimited field (a repeated message or string). */
  repeatedBytes(field: number, name: string): Uint8Array[] {
    return this.fields.filter((f) => f.field === field).map((f) => {
      if (f.wire !== 2) this.fail(`${name} (field ${field}) has wire type ${f.wire}, expected bytes`)
      return f.bytes
    })
  }
}
