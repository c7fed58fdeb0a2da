// A restricted, data-only unpickler: the opcodes torch's weights_only loader allows (plus STACK_GLOBAL, FRAME and
// the byte-string opcodes, which only move data), globals from the allowlist in pickleGlobals.ts, and nothing that
// can import or call arbitrary Python. Every failure is a CheckpointError that names the opcode and byte offset.

import { CheckpointError, quoted, type CheckpointErrorCode } from '../tensors/errors'
import type { ReadOptions } from './cancel'
import {
  buildObject, callGlobal, newObject, resolveGlobal, storageFromPid, type PickleContext,
} from './pickleGlobals'
import { maxNameLength, plainBytes } from '../tensors/tensor'
import { isTuple, tuple, type PickleKey, type PickleValue, type StorageRef } from './pickleValues'

export { isTuple, type PickleKey, type PickleValue } from './pickleValues'

export interface UnpickleResult {
  value: PickleValue
  /** offset just past STOP: legacy torch files hold several pickles back to back */
  end: number
  /** every storage the pickle referenced, by key */
  storages: Map<string, StorageRef>
}

export interface UnpickleOptions extends ReadOptions {
  file?: string
  /** where the pickle starts inside `bytes` */
  start?: number
  /** what this pickle is, for messages ("data.pkl", "the legacy magic number") */
  what?: string
}

// Opcodes that can import or run code, named so the error says why: INST/OBJ import and call, EXT* use the
// copyreg registry, PERSID takes a text persistent id, and the protocol-5 buffer opcodes reach outside the stream.
const unsafeOpcodes: Record<number, string> = {
  0x69: 'INST', 0x6f: 'OBJ', 0x82: 'EXT1', 0x83: 'EXT2', 0x84: 'EXT4', 0x50: 'PERSID',
  0x97: 'NEXT_BUFFER', 0x98: 'READONLY_BUFFER',
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Opcodes between two calls of checkCancelled: a few microseconds of work. */
const opcodesPerCheck = 4096

export function unpickle(input: Uint8Array, options: UnpickleOptions = {}): UnpickleResult {
  const bytes = plainBytes(input)
  const { file } = options
  const what = options.what ?? 'pickle'
  const start = options.start ?? 0
  let pos = start
  let opStart = start
  let opName = ''
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  // MARK is kept as a stack height in `marks`, not as a sentinel on the stack, so the stack holds only values.
  const stack: PickleValue[] = []
  const marks: number[] = []
  const memo = new Map<number, PickleValue>()
  let sawProto = false
  let opcodes = 0

  const fail = (code: CheckpointErrorCode, message: string): never => {
    throw new CheckpointError(code, `${what}: ${opName ? `${opName} at byte ${opStart}: ` : ''}${message}`, file)
  }
  const ctx: PickleContext = { file, storages: new Map(), fail }

  const need = (n: number): number => {
    if (n > bytes.byteLength - pos) {
      fail('truncated', `needs ${n} more bytes but the data ends ${bytes.byteLength - pos} bytes later; the file is cut short`)
    }
    const at = pos
    pos += n
    return at
  }
  const u8 = (): number => view.getUint8(need(1))
  const u16 = (): number => view.getUint16(need(2), true)
  const u32 = (): number => view.getUint32(need(4), true)
  const i32 = (): number => view.getInt32(need(4), true)
  const u64 = (): number => {
    const n = view.getBigUint64(need(8), true)
    if (n > BigInt(bytes.byteLength)) fail('truncated', `length ${n} runs past the end of the data`)
    return Number(n)
  }
  const raw = (n: number): Uint8Array => bytes.subarray(need(n), pos)
  const text = (n: number): string => {
    const b = raw(n)
    try {
      return utf8.decode(b)
    } catch {
      return fail('bad-header', 'string is not valid UTF-8')
    }
  }
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos)
    if (end < 0) fail('truncated', 'unterminated line')
    const s = text(end - pos)
    pos++
    return s
  }

  const push = (v: PickleValue): void => {
    stack.push(v)
  }
  const pop = (): PickleValue => {
    if (stack.length === 0 || (marks.length > 0 && stack.length <= marks[marks.length - 1])) {
      fail('bad-header', 'stack underflow')
    }
    return stack.pop() as PickleValue
  }
  const top = (): PickleValue => {
    const v = pop()
    stack.push(v)
    return v
  }
  const popMark = (): PickleValue[] => {
    const m = marks.pop()
    if (m === undefined) return fail('bad-header', 'no MARK to pop to')
    return stack.splice(m)
  }
  const memoGet = (i: number): void => {
    if (!memo.has(i)) fail('bad-header', `memo entry ${i} was never stored`)
    push(memo.get(i) as PickleValue)
  }
  const memoPut = (i: number): void => {
    memo.set(i, top())
  }
  const list = (v: PickleValue): PickleValue[] => {
    if (!Array.isArray(v) || isTuple(v)) return fail('bad-header', 'appends to something that is not a list')
    return v
  }
  const dict = (v: PickleValue): Map<PickleKey, PickleValue> => {
    if (!(v instanceof Map)) return fail('bad-header', 'sets an item on something that is not a dict')
    return v
  }
  const key = (k: PickleValue): PickleKey => {
    if (typeof k === 'string' && k.length > maxNameLength) {
      fail(
        'too-large',
        `dict key ${quoted(k, 40)} is longer than the ${maxNameLength} characters any tensor or setting name takes; ` +
          'the file is damaged or crafted: load it from a source you trust',
      )
    }
    if (k === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof k)) return k as PickleKey
    return fail('unsupported', 'dict key is not a string, number, bool or None')
  }
  const globalName = (s: PickleValue): string => {
    if (typeof s !== 'string') return fail('bad-header', 'STACK_GLOBAL needs two strings')
    return s
  }

  for (;;) {
    if (++opcodes % opcodesPerCheck === 0) options.checkCancelled?.()
    opStart = pos
    opName = ''
    const op = u8()
    switch (op) {
      case 0x80: { // PROTO
        opName = 'PROTO'
        const version = u8()
        if (sawProto || opStart !== start) fail('bad-header', 'PROTO must appear once, at the start')
        if (version > 5) fail('unsupported', `pickle protocol ${version} is newer than 5`)
        sawProto = true
        break
      }
      case 0x95: // FRAME: only a read-ahead hint; check its length and read on
        opName = 'FRAME'
        if (u64() > bytes.byteLength - pos) fail('truncated', 'frame runs past the end of the data')
        break
      case 0x2e: { // STOP
        opName = 'STOP'
        if (marks.length > 0) fail('bad-header', 'a MARK was never closed')
        if (stack.length !== 1) fail('bad-header', `stack holds ${stack.length} items at STOP; expected exactly 1`)
        return { value: stack[0], end: pos, storages: ctx.storages }
      }
      case 0x28: marks.push(stack.length); break // MARK
      case 0x63: { // GLOBAL
        opName = 'GLOBAL'
        const module = line()
        push(resolveGlobal(module, line(), ctx))
        break
      }
      case 0x93: { // STACK_GLOBAL
        opName = 'STACK_GLOBAL'
        const name = globalName(pop())
        push(resolveGlobal(globalName(pop()), name, ctx))
        break
      }
      case 0x52: { // REDUCE
        opName = 'REDUCE'
        const args = pop()
        push(callGlobal(pop(), args, ctx))
        break
      }
      case 0x81: { // NEWOBJ
        opName = 'NEWOBJ'
        const args = pop()
        push(newObject(pop(), args, ctx))
        break
      }
      case 0x62: { // BUILD
        opName = 'BUILD'
        const state = pop()
        buildObject(top(), state, ctx)
        break
      }
      case 0x51: opName = 'BINPERSID'; push(storageFromPid(pop(), ctx)); break
      case 0x68: opName = 'BINGET'; memoGet(u8()); break
      case 0x6a: opName = 'LONG_BINGET'; memoGet(u32()); break
      case 0x71: opName = 'BINPUT'; memoPut(u8()); break
      case 0x72: opName = 'LONG_BINPUT'; memoPut(u32()); break
      case 0x94: opName = 'MEMOIZE'; memoPut(memo.size); break
      case 0x7d: push(new Map()); break // EMPTY_DICT
      case 0x5d: push([]); break // EMPTY_LIST
      case 0x8f: push(new Set()); break // EMPTY_SET
      case 0x29: push(tuple([])); break // EMPTY_TUPLE
      case 0x74: opName = 'TUPLE'; push(tuple(popMark())); break
      case 0x85: opName = 'TUPLE1'; push(tuple([pop()])); break
      case 0x86: { opName = 'TUPLE2'; const b = pop(); push(tuple([pop(), b])); break }
      case 0x87: { opName = 'TUPLE3'; const c = pop(); const b = pop(); push(tuple([pop(), b, c])); break }
      case 0x61: { opName = 'APPEND'; const v = pop(); list(top()).push(v); break }
      case 0x65: { // APPENDS
        opName = 'APPENDS'
        const items = popMark()
        const target = list(top())
        for (const v of items) target.push(v)
        break
      }
      case 0x73: { // SETITEM
        opName = 'SETITEM'
        const v = pop()
        const k = key(pop())
        dict(top()).set(k, v)
        break
      }
      case 0x75: { // SETITEMS
        opName = 'SETITEMS'
        const items = popMark()
        if (items.length % 2) fail('bad-header', 'odd number of items')
        const target = dict(top())
        for (let i = 0; i < items.length; i += 2) target.set(key(items[i]), items[i + 1])
        break
      }
      case 0x4e: push(null); break // NONE
      case 0x88: push(true); break // NEWTRUE
      case 0x89: push(false); break // NEWFALSE
      case 0x4a: opName = 'BININT'; push(i32()); break
      case 0x4b: opName = 'BININT1'; push(u8()); break
      case 0x4d: opName = 'BININT2'; push(u16()); break
      case 0x47: opName = 'BINFLOAT'; push(view.getFloat64(need(8), false)); break
      case 0x8a: opName = 'LONG1'; push(decodeLong(raw(u8()))); break
      case 0x58: opName = 'BINUNICODE'; push(text(u32())); break
      case 0x8c: opName = 'SHORT_BINUNICODE'; push(text(u8())); break
      case 0x55: opName = 'SHORT_BINSTRING'; push(text(u8())); break
      case 0x54: { // BINSTRING: a signed length in Python 2
        opName = 'BINSTRING'
        const n = i32()
        if (n < 0) fail('bad-header', `negative length ${n}`)
        push(text(n))
        break
      }
      case 0x42: opName = 'BINBYTES'; push(raw(u32()).slice()); break
      case 0x43: opName = 'SHORT_BINBYTES'; push(raw(u8()).slice()); break
      default: {
        const name = unsafeOpcodes[op]
        if (name) {
          opName = name
          fail('unsafe-pickle', `opcode ${name} can import or call code and is never allowed; refusing to load (nothing was executed)`)
        }
        fail('bad-header', `opcode 0x${op.toString(16).padStart(2, '0')} is not allowed in a weights-only checkpoint`)
      }
    }
  }
}

/** LONG1 payload: little-endian two's complement; a number when it fits, a bigint otherwise. */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.byteLength === 0) return 0
  let n = 0n
  for (let i = b.byteLength - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i])
  if (b[b.byteLength - 1] & 0x80) n -= 1n << BigInt(8 * b.byteLength)
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n
}
