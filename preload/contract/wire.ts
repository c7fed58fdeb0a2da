// Web mode's binary frame: the contract's messages over a WebSocket, with pixels and latents as raw bytes rather
// than base64 or lists of numbers. Shared by the server (main/web) and the browser (renderer/lib/webTransport.ts),
// so it uses no Node API. decodeFrame reads bytes from the network: every length is checked before it is used.
//
//   offset 0   'BGW1'                         magic
//   offset 4   u32 LE  J                      length of the JSON
//   offset 8   J bytes of UTF-8 JSON          {"v": value, "b": [[kind, offset, byteLength], …]}
//   D = 8+J rounded up to 8: the binary sections, in the order of "b", each at D + offset, offsets multiples of 8,
//   each section padded with zeros to a multiple of 8; the frame ends with the last section's padding
//
// Inside "v" every Uint8Array or Float32Array is replaced by {"$bin": i}, i indexing "b"; kind is 'u8' or 'f32'.
// Float32 values cross in the host's byte order, little-endian on every platform the studio runs on.

/** What one side sends the other. Requests go to the server; replies and events come back. */
export interface WireRequest {
  id: number
  channel: string
  input: unknown
}
export interface WireReply {
  id: number
  reply: unknown
}
export interface WireEvent {
  event: unknown
}

export class WireError extends Error {
  override readonly name = 'WireError'
}

export interface WireLimits {
  /** the whole frame */
  maxFrameBytes: number
  /** the JSON part */
  maxJsonBytes: number
  /** binary sections per frame */
  maxSections: number
  /** nesting of objects and arrays */
  maxDepth: number
}

export const WIRE_LIMITS: WireLimits = {
  maxFrameBytes: 512 * 1024 * 1024,
  maxJsonBytes: 64 * 1024 * 1024,
  maxSections: 65_536,
  maxDepth: 64,
}

const MAGIC = [0x42, 0x47, 0x57, 0x31] // 'BGW1'
const HEADER = 8
const ALIGN = 8
const BIN = '$bin'
// Keys that could reach an object's prototype if a consumer ever merged a decoded object into another.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

type Kind = 'u8' | 'f32'

const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN

export function encodeFrame(value: unknown): Uint8Array {
  const sections: { kind: Kind; bytes: Uint8Array }[] = []
  // A function replacer sees the holder as `this`, so it meets each typed array before toJSON (Node's Buffer has
  // one that would turn it into a list of numbers).
  function replacer(this: unknown, key: string, current: unknown): unknown {
    const raw = (this as Record<string, unknown>)[key]
    if (raw instanceof Uint8Array || raw instanceof Float32Array) {
      const kind: Kind = raw instanceof Uint8Array ? 'u8' : 'f32'
      sections.push({ kind, bytes: new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength) })
      return { [BIN]: sections.length - 1 }
    }
    if (ArrayBuffer.isView(raw) || raw instanceof ArrayBuffer) {
      throw new WireError(`cannot send ${raw.constructor.name} at '${key}': only Uint8Array and Float32Array cross`)
    }
    if (typeof current === 'object' && current !== null && !Array.isArray(current) && Object.hasOwn(current, BIN)) {
      throw new WireError(`cannot send an object with the reserved key '${BIN}'`)
    }
    return current
  }
  let json: string | undefined
  try {
    json = JSON.stringify(value, replacer)
  } catch (e) {
    if (e instanceof WireError) throw e
    throw new WireError(`cannot encode the message: ${e instanceof Error ? e.message : String(e)}`)
  }
  const table: [Kind, number, number][] = []
  let dataLength = 0
  for (const { kind, bytes } of sections) {
    table.push([kind, dataLength, bytes.byteLength])
    dataLength = align(dataLength + bytes.byteLength)
  }
  const parts = json === undefined ? [] : [`"v":${json}`]
  if (table.length) parts.push(`"b":${JSON.stringify(table)}`)
  const body = new TextEncoder().encode(`{${parts.join(',')}}`)
  const dataStart = table.length ? align(HEADER + body.length) : HEADER + body.length
  const frame = new Uint8Array(dataStart + dataLength)
  frame.set(MAGIC, 0)
  new DataView(frame.buffer).setUint32(4, body.length, true)
  frame.set(body, HEADER)
  sections.forEach(({ bytes }, i) => frame.set(bytes, dataStart + table[i][1]))
  return frame
}

export function decodeFrame(bytes: Uint8Array, limits: WireLimits = WIRE_LIMITS): unknown {
  if (!(bytes instanceof Uint8Array)) throw new WireError('a frame must be bytes')
  if (bytes.length < HEADER) throw new WireError(`a frame needs at least ${HEADER} bytes, got ${bytes.length}`)
  if (bytes.length > limits.maxFrameBytes) {
    throw new WireError(`a frame of ${bytes.length} bytes is over the limit of ${limits.maxFrameBytes}`)
  }
  if (MAGIC.some((b, i) => bytes[i] !== b)) throw new WireError('not a BigGAN Studio frame (bad magic)')
  const jsonLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true)
  if (jsonLength > limits.maxJsonBytes) {
    throw new WireError(`the frame's JSON of ${jsonLength} bytes is over the limit of ${limits.maxJsonBytes}`)
  }
  if (HEADER + jsonLength > bytes.length) {
    throw new WireError(`the frame's JSON length ${jsonLength} runs past its end (${bytes.length} bytes)`)
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(HEADER, HEADER + jsonLength))
  } catch {
    throw new WireError("the frame's JSON is not valid UTF-8")
  }
  let envelope: unknown
  try {
    envelope = JSON.parse(text)
  } catch (e) {
    throw new WireError(`the frame's JSON does not parse: ${e instanceof Error ? e.message : String(e)}`)
  }
  if (!isPlainRecord(envelope)) throw new WireError("the frame's JSON must be an object {v, b}")
  for (const key of Object.keys(envelope)) {
    if (key !== 'v' && key !== 'b') throw new WireError(`the frame's JSON has an unknown key '${key.slice(0, 40)}'`)
  }
  const sections = readSections(envelope.b, HEADER + jsonLength, bytes.length, limits)
  const used = new Uint8Array(sections.length)
  const value = revive(envelope.v, { bytes, sections, used, maxDepth: limits.maxDepth }, 0)
  const unused = used.indexOf(0)
  if (unused >= 0) throw new WireError(`binary section ${unused} is never referenced`)
  return value
}

interface Section {
  kind: Kind
  /** absolute byte range in the frame */
  start: number
  end: number
}

// The section table, checked against the frame: sections in order, aligned, not overlapping, inside the frame,
// and nothing after the last one but its padding.
function readSections(raw: unknown, jsonEnd: number, frameLength: number, limits: WireLimits): Section[] {
  if (raw === undefined) {
    if (frameLength !== jsonEnd) throw new WireError(`${frameLength - jsonEnd} stray bytes after the frame's JSON`)
    return []
  }
  if (!Array.isArray(raw)) throw new WireError("the frame's section table must be an array")
  if (raw.length > limits.maxSections) {
    throw new WireError(`${raw.length} binary sections is over the limit of ${limits.maxSections}`)
  }
  const dataStart = align(jsonEnd)
  const dataLength = frameLength - dataStart
  if (dataLength < 0) throw new WireError(`the frame ends inside its JSON's padding (${frameLength} bytes)`)
  const out: Section[] = []
  let next = 0 // relative to dataStart
  for (let i = 0; i < raw.length; i++) {
    const entry: unknown = raw[i]
    if (!Array.isArray(entry) || entry.length !== 3) throw new WireError(`section ${i}: expected [kind, offset, length]`)
    const [kind, offset, length] = entry as unknown[]
    if (kind !== 'u8' && kind !== 'f32') throw new WireError(`section ${i}: unknown kind ${JSON.stringify(kind)}`)
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || (offset as number) < 0 || (length as number) < 0) {
      throw new WireError(`section ${i}: offset and length must be non-negative integers`)
    }
    const at = offset as number
    const n = length as number
    if (at % ALIGN !== 0) throw new WireError(`section ${i}: offset ${at} is not a multiple of ${ALIGN}`)
    if (at < next) throw new WireError(`section ${i}: offset ${at} overlaps the section before it (which ends at ${next})`)
    if (at > dataLength || n > dataLength - at) {
      throw new WireError(`section ${i}: ${n} bytes at offset ${at} run past the frame's end (${dataLength} bytes of data)`)
    }
    if (kind === 'f32' && n % 4 !== 0) throw new WireError(`section ${i}: ${n} bytes is not a whole number of float32s`)
    out.push({ kind, start: dataStart + at, end: dataStart + at + n })
    next = align(at + n)
  }
  if (next !== dataLength) throw new WireError(`the frame has ${dataLength - next} stray bytes after its last section`)
  return out
}

interface Revival {
  bytes: Uint8Array
  sections: Section[]
  /** 1 where a section has been referenced */
  used: Uint8Array
  maxDepth: number
}

// Replaces each {"$bin": i} by a copy of section i (its own buffer, aligned, aliasing nothing) and refuses keys
// that could reach a prototype. Each section is used once: a frame cannot multiply its size by repeating one.
function revive(value: unknown, at: Revival, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value
  if (depth >= at.maxDepth) throw new WireError(`the message nests deeper than ${at.maxDepth} levels`)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i], at, depth + 1)
    return value
  }
  const record = value as Record<string, unknown>
  if (Object.hasOwn(record, BIN)) return sectionFor(record, at)
  for (const key of Object.keys(record)) {
    if (FORBIDDEN_KEYS.has(key)) throw new WireError(`the message has a forbidden key '${key}'`)
    record[key] = revive(record[key], at, depth + 1)
  }
  return record
}

function sectionFor(record: Record<string, unknown>, at: Revival): Uint8Array | Float32Array {
  const index = record[BIN]
  if (Object.keys(record).length !== 1) throw new WireError(`a '${BIN}' placeholder must have no other keys`)
  if (!Number.isInteger(index) || (index as number) < 0 || (index as number) >= at.sections.length) {
    throw new WireError(`a '${BIN}' placeholder names section ${JSON.stringify(index)}, which does not exist`)
  }
  const i = index as number
  if (at.used[i]) throw new WireError(`binary section ${i} is referenced more than once`)
  at.used[i] = 1
  const { kind, start, end } = at.sections[i]
  // A fresh buffer (not slice: on a Node Buffer that returns a view of the same memory).
  const copy = new Uint8Array(end - start)
  copy.set(at.bytes.subarray(start, end))
  return kind === 'u8' ? copy : new Float32Array(copy.buffer, 0, copy.byteLength / 4)
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A decoded frame read as a request, or a WireError saying what is wrong with it. */
export function readRequest(message: unknown): WireRequest {
  if (!isPlainRecord(message)) throw new WireError('a request must be an object {id, channel, input}')
  const { id, channel } = message
  if (!isRequestId(id)) throw new WireError('a request needs an id: a non-negative integer')
  if (typeof channel !== 'string' || channel.length > 64) {
    throw new WireError(`request ${id}: the channel must be a string of at most 64 characters`)
  }
  return { id, channel, input: message.input }
}

/** A decoded frame read as what the server sends: a reply to request `id`, or an event. */
export function readServerMessage(message: unknown): WireReply | WireEvent {
  if (!isPlainRecord(message)) throw new WireError('a server message must be an object')
  if (Object.hasOwn(message, 'event')) return { event: message.event }
  if (!isRequestId(message.id)) throw new WireError('a reply needs the id of its request')
  return { id: message.id, reply: message.reply }
}

export function isRequestId(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0
}
