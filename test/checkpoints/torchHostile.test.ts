import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { CheckpointError } from '../../main/tensors/errors'
import { readTorchCheckpoint } from '../../main/checkpoints/torch'
import { readTorchLegacy } from '../../main/checkpoints/torchLegacy'
import { readTorchZip } from '../../main/checkpoints/torchZip'
import { expectCheckpointError } from './helpers/expectError'
import { pickle } from './helpers/pickleBuilder'
import { concat, stateDictPickle, tinyTensors, tinyTorchLegacy, tinyTorchZip } from './helpers/torchBuilder'
import { buildZip, type ZipInput } from './helpers/zipBuilder'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const okEntries = (): ZipInput[] => {
  const t = tinyTensors()
  return [
    { name: 'archive/data.pkl', data: stateDictPickle(t) },
    { name: 'archive/data/0', data: new Uint8Array(t[0].values.slice().buffer) },
    { name: 'archive/data/1', data: new Uint8Array(t[1].values.slice().buffer) },
  ]
}
const zipWith = (edit: (e: ZipInput[]) => void, options = {}): Uint8Array => {
  const e = okEntries()
  edit(e)
  return buildZip(e, options)
}

describe('hostile torch zips (traversal, overlaps, bombs, lying sizes, TorchScript)', () => {
  it('accepts the unmodified tiny zip the hostile cases start from', () => {
    expect(readTorchCheckpoint(zipWith(() => undefined)).tensors.size).toBe(3)
  })

  it('refuses TorchScript archives (constants.pkl, code/) before unpickling anything', () => {
    for (const name of ['archive/constants.pkl', 'archive/code/__torch__.py']) {
      const bytes = zipWith((e) => e.push({ name, data: enc('x') }))
      expectCheckpointError(() => readTorchCheckpoint(bytes, 'ts.pt'), 'unsafe-pickle', /TorchScript.*state_dict/)
    }
  })

  it('refuses a zip without data.pkl, with two top-level folders, or with an entry outside the prefix', () => {
    expectCheckpointError(() => readTorchZip(zipWith((e) => e.shift())), 'bad-header', /no archive\/data\.pkl/)
    expectCheckpointError(
      () => readTorchZip(zipWith((e) => e.push({ name: 'other/data.pkl', data: enc('x') }))), 'bad-header', /one top-level folder/,
    )
    expectCheckpointError(() => readTorchZip(zipWith((e) => e.push({ name: 'loose', data: enc('x') }))), 'bad-header', /one top-level/)
  })

  it('refuses entry names with .., a leading /, a backslash or NUL', () => {
    for (const name of ['archive/../../etc/passwd', '/archive/x', 'archive\\x', 'archive/x\0y', 'C:/archive']) {
      expectCheckpointError(() => readTorchZip(zipWith((e) => e.push({ name, data: enc('x') }))), 'bad-header', /not a safe relative path/)
    }
  })

  it('refuses a storage record shorter or longer than numel × itemsize (CVE-2026-24747)', () => {
    expectCheckpointError(
      () => readTorchZip(zipWith((e) => { e[2].data = new Uint8Array(4) })), 'bad-header', /data\/1 holds 4 bytes but .* declares 2 F32/,
    )
    expectCheckpointError(() => readTorchZip(zipWith((e) => { e[2].data = new Uint8Array(12) })), 'bad-header', /holds 12 bytes/)
  })

  it('refuses a persistent id whose record is missing', () => {
    expectCheckpointError(() => readTorchZip(zipWith((e) => e.pop())), 'bad-header', /storage 1 is referenced but archive\/data\/1 is missing/)
  })

  it('refuses a local header that disagrees with the central directory (picklescan CVE-2025-1944)', () => {
    expectCheckpointError(
      () => readTorchZip(zipWith((e) => { e[0].localName = 'archive/data.pkx' })), 'bad-header', /local header name disagrees/,
    )
    expectCheckpointError(() => readTorchZip(zipWith((e) => { e[1].crc = 1234 })), 'bad-header', /CRC-32/)
  })

  it('refuses encrypted entries, unknown flag bits and compressed entries (CVE-2025-1945, zip bombs)', () => {
    expectCheckpointError(() => readTorchZip(zipWith((e) => { e[1].flags = 0x0801 })), 'unsupported', /encrypted/)
    expectCheckpointError(() => readTorchZip(zipWith((e) => { e[1].flags = 0x0802 })), 'bad-header', /flag bits 0x802/)
    expectCheckpointError(() => readTorchZip(zipWith((e) => { e[1].method = 8 })), 'unsupported', /compressed \(method 8\)/)
  })

  it('refuses a CRC mismatch after the stored bytes change', () => {
    const bytes = zipWith(() => undefined)
    const at = bytes.indexOf(0x3f, 200) // a byte inside a float32 storage record (1.0 = 00 00 80 3f)
    bytes[at] ^= 1
    expectCheckpointError(() => readTorchZip(bytes), 'bad-header', /CRC-32/)
  })

  it('refuses overlapping entries and a payload prepended before the first entry', () => {
    const bytes = zipWith(() => undefined)
    // point entry 2's central record at entry 1's local header: both names then fail to match, or they overlap
    const cd = findAll(bytes, [0x50, 0x4b, 0x01, 0x02])
    const dv = new DataView(bytes.buffer)
    dv.setUint32(cd[2] + 42, dv.getUint32(cd[1] + 42, true), true)
    expectCheckpointError(() => readTorchZip(bytes), 'bad-header')
    const prefixed = buildZip(okEntries(), { prefix: enc('#!/bin/sh\nrm -rf /\n') })
    expectCheckpointError(() => readTorchZip(prefixed), 'bad-header')
  })

  it('refuses a central directory past EOF, zip64 values beyond the file, and a fake end record in the comment', () => {
    const bytes = zipWith(() => undefined, { zip64: true })
    const eocd = bytes.byteLength - 22
    const cut = new Uint8Array(bytes)
    new DataView(cut.buffer).setUint32(eocd + 16, bytes.byteLength + 100, true)
    expectCheckpointError(() => readTorchZip(cut), 'bad-header')
    const z64 = findAll(bytes, [0x50, 0x4b, 0x06, 0x06])[0]
    const big = new Uint8Array(bytes)
    new DataView(big.buffer).setBigUint64(z64 + 48, 2n ** 63n, true)
    expectCheckpointError(() => readTorchZip(big), 'bad-header', /zip64 value 9223372036854775808/)
    // a comment ending in a second end record (pointing at nothing): two readers could pick different ones
    const fake = new Uint8Array(22)
    new DataView(fake.buffer).setUint32(0, 0x06054b50, true)
    expectCheckpointError(() => readTorchZip(buildZip(okEntries(), { comment: fake })), 'bad-header', /two end records/)
    expect(readTorchZip(buildZip(okEntries(), { comment: enc('a harmless comment') })).tensors.size).toBe(3)
  })

  it('refuses a zip truncated anywhere', () => {
    const bytes = zipWith(() => undefined, { zip64: true })
    for (let n = 0; n < bytes.byteLength; n += 7) {
      expect(() => readTorchCheckpoint(bytes.subarray(0, n))).toThrow(CheckpointError)
    }
  })

  it('refuses a byteorder record that is neither little nor big', () => {
    const bytes = zipWith((e) => e.push({ name: 'archive/byteorder', data: enc('middle') }))
    expectCheckpointError(() => readTorchZip(bytes), 'bad-header', /byteorder record says "middle"/)
  })

  it('refuses data.pkl with junk after STOP (payload first, corrupt bytes after)', () => {
    const bytes = zipWith((e) => { e[0].data = concat([e[0].data, enc('junk')]) })
    expectCheckpointError(() => readTorchZip(bytes), 'bad-header', /4 bytes after STOP/)
  })
})

describe('hostile legacy torch streams (truncated and oversized storages)', () => {
  it('refuses a wrong magic number and a protocol other than 1001', () => {
    const bytes = tinyTorchLegacy()
    const wrong = new Uint8Array(bytes)
    wrong[5] ^= 1
    expectCheckpointError(() => readTorchCheckpoint(wrong), 'bad-magic', /without the torch legacy magic number/)
    const proto = new Uint8Array(bytes)
    proto[18] = 0xea // 1001 → 1002
    expectCheckpointError(() => readTorchLegacy(proto), 'bad-header', /protocol version 1002/)
  })

  it('refuses per-storage counts that disagree with the pickle, including terabyte claims', () => {
    expectCheckpointError(
      () => readTorchLegacy(tinyTorchLegacy(undefined, { counts: new Map([['1', 3]]) })), 'bad-header', /storage 1 holds 3 elements but the pickle declares 2/,
    )
    expectCheckpointError(
      () => readTorchLegacy(tinyTorchLegacy(undefined, { counts: new Map([['0', 2 ** 40]]) })), 'bad-header', /1099511627776 elements/,
    )
    const t = tinyTensors()
    t[1].numel = 2 ** 40
    expectCheckpointError(() => readTorchLegacy(tinyTorchLegacy(t)), 'bad-header', /reaches past|holds 2 elements|declares/)
  })

  it('refuses key lists out of order, with unreferenced or missing keys', () => {
    expectCheckpointError(
      () => readTorchLegacy(tinyTorchLegacy(undefined, { keys: ['1', '0'], dataKeys: ['0', '1'] })),
      'bad-header', /storage 1 holds 6 elements/,
    )
    expect(readTorchLegacy(tinyTorchLegacy(undefined, { keys: ['1', '0'] })).tensors.size).toBe(3)
    expectCheckpointError(() => readTorchLegacy(tinyTorchLegacy(undefined, { keys: ['0'] })), 'bad-header', /storage 1 is referenced but has no data/)
    expectCheckpointError(() => readTorchLegacy(tinyTorchLegacy(undefined, { keys: ['0', '1', '2'] })), 'bad-header', /storage 2 has data/)
  })

  it('refuses trailing bytes after the last storage (a polyglot zip appended to a legacy file)', () => {
    const polyglot = concat([tinyTorchLegacy(), tinyTorchZip()])
    expectCheckpointError(() => readTorchCheckpoint(polyglot), 'bad-header', /unexpected bytes after the last storage/)
  })

  it('refuses a file saved on a big-endian machine', () => {
    expectCheckpointError(() => readTorchLegacy(tinyTorchLegacy(undefined, { littleEndian: false })), 'unsupported', /big-endian/)
  })

  it('refuses a legacy stream whose object pickle calls os.system, naming the global', () => {
    const evil = pickle().proto(2).global('os', 'system').unicode('touch /tmp/x').tuple1().reduce().stop().bytes()
    expectCheckpointError(() => readTorchCheckpoint(tinyTorchLegacy(undefined, { pkl: evil }), 'evil.bin'), 'unsafe-pickle', /evil\.bin: .*"os\.system"/)
  })

  it('refuses the HF fixture truncated at many points with typed errors', () => {
    const bytes = readFileSync('test/fixtures/hf-biggan-deep/pytorch_model.bin')
    const points = [0, 1, 13, 14, 15, 20, 21, 100, 1000, 79767, 79768, 88624, 88625, 88633, bytes.byteLength - 1]
    for (const n of points) expect(() => readTorchCheckpoint(bytes.subarray(0, n))).toThrow(CheckpointError)
  })
})

describe('format detection', () => {
  it('refuses safetensors, bare (even hostile) pickles, tar archives and empty files with a message saying what they are', () => {
    const st = readFileSync('test/fixtures/hf-biggan-deep/reference.safetensors')
    expectCheckpointError(() => readTorchCheckpoint(st, 'ref.safetensors'), 'bad-magic', /safetensors file/)
    expectCheckpointError(() => readTorchCheckpoint(pickle().proto(2).int(1).stop().bytes()), 'bad-magic', /not a torch\.save\(\) checkpoint/)
    const evil = pickle().proto(2).global('os', 'system').unicode('touch /tmp/x').tuple1().reduce().stop().bytes()
    expectCheckpointError(() => readTorchCheckpoint(evil), 'unsafe-pickle', /"os\.system"/)
    const tar = new Uint8Array(600)
    tar.set(enc('ustar'), 257)
    expectCheckpointError(() => readTorchCheckpoint(tar), 'bad-magic', /tar archive/)
    expectCheckpointError(() => readTorchCheckpoint(new Uint8Array(0)), 'truncated', /empty/)
  })
})

function findAll(bytes: Uint8Array, pattern: number[]): number[] {
  const out: number[] = []
  for (let i = 0; i + pattern.length <= bytes.length; i++) {
    if (pattern.every((b, j) => bytes[i + j] === b)) out.push(i)
  }
  return out
}
