// Refusals that name what was wrong, where and what to do, whichever reader meets the file: hostile string sizes in a
// pickle, TorchScript archives, weights stored as integers (one rule for the native folder and the importers),
// configs the networks cannot be built from; and no file descriptor left open by a failed open.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importBigganPytorch } from '../../main/checkpoints/importers/bigganPytorch'
import { readTorchCheckpoint } from '../../main/checkpoints/torch'
import { readTorchZip } from '../../main/checkpoints/torchZip'
import { initBackend } from '../../main/backend/backend'
import { importCheckpoint } from '../../main/disk/importCheckpoint'
import { loadModel, saveModel } from '../../main/disk/modelFolder'
import { configFile, writeNativeModel, weightsFile } from '../../main/disk/nativeFormat'
import { openSafetensorsFile, readFileChecked } from '../../main/disk/safetensorsFile'
import { defaultConfig } from '../../main/engine/config'
import { BigGANModel } from '../../main/engine/model'
import { fromFloat32, fromInts } from '../../main/tensors/convert'
import { CheckpointError } from '../../main/tensors/errors'
import type { LazyTensor, TensorMap } from '../../main/tensors/tensor'
import { expectCheckpointError, expectCheckpointErrorAsync } from './helpers/expectError'
import { pickle } from './helpers/pickleBuilder'
import { buildZip } from './helpers/zipBuilder'
import { readTensorBundle } from '../../main/checkpoints/tf/tensorBundle'
import { crc32c, maskCrc } from '../../main/checkpoints/tf/crc32c'
import { proto, sortedTable, writeBundle, type Bundle } from './helpers/bundleWriter'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

/** `{k: {k: … {k: {}} …}}`, 60 dicts deep, every key the same 10 MiB string from the memo. */
function nestedHugeKeys(): Uint8Array {
  const p = pickle().proto(2).emptyDict()
  p.op(0x58, 0, 0, 0xa0, 0).raw(new Uint8Array(10 * 2 ** 20).fill(0x6b)).binput(0).emptyDict()
  for (let i = 1; i < 60; i++) p.binget(0).emptyDict()
  for (let i = 0; i < 60; i++) p.setitem()
  return p.stop().bytes()
}

/** What torch.jit.save writes: data.pkl and, compressed, the model's code and constants. */
function torchScriptArchive(): Uint8Array {
  return buildZip([
    { name: 'archive/data.pkl', data: pickle().proto(2).emptyDict().stop().bytes() },
    { name: 'archive/code/__torch__.py', data: enc('class Model(Module): ...'), method: 8 },
    { name: 'archive/code/__torch__.py.debug_pkl', data: enc('x'), method: 8 },
    { name: 'archive/constants.pkl', data: pickle().proto(2).emptyTuple().stop().bytes() },
    { name: 'archive/version', data: enc('3\n') },
  ], { zip64: true })
}

let dir: string
let tiny: BigGANModel
beforeAll(async () => {
  await initBackend()
  dir = await mkdtemp(join(tmpdir(), 'biggan-refusals-'))
  tiny = BigGANModel.initialise(defaultConfig('biggan', 32, 4, 3, 0), 0)
})
afterAll(async () => {
  tiny?.dispose()
  await rm(dir, { recursive: true, force: true })
})

/** A copy of the tiny model as a native folder, its tensors passed through `edit` before writing. */
async function nativeFolder(name: string, edit: (tensors: LazyTensor[]) => LazyTensor[] = (t) => t): Promise<string> {
  const out = join(dir, name)
  await writeNativeModel(out, { config: tiny.config, provenance: { source: 'init', createdAt: '2026-01-01T00:00:00Z', engineVersion: 'test' } }, edit(tiny.savedTensors()))
  return out
}

/** A BigGAN-PyTorch-like folder whose G.pth is a TorchScript archive. */
async function torchScriptFolder(name: string): Promise<string> {
  const folder = join(dir, name)
  await mkdir(folder, { recursive: true })
  await writeFile(join(folder, 'G.pth'), torchScriptArchive())
  return folder
}

/** The tiny model's first bias (zeros) stored as I32: loaded as floats it would give the same numbers. */
function integerBias(tensors: LazyTensor[]): LazyTensor[] {
  const i = tensors.findIndex((t) => t.name.endsWith('.bias'))
  const t = tensors[i]
  const count = t.shape.reduce((a, b) => a * b, 1)
  const copy = [...tensors]
  copy[i] = { ...t, dtype: 'I32', data: () => fromInts(t.shape, new Array<number>(count).fill(0), 'I32').data }
  return copy
}

describe('hostile sizes in a pickle', () => {
  it('refuses a 10 MiB key reused through 60 nested dicts at its first use, naming the file', () => {
    const zip = buildZip([{ name: 'archive/data.pkl', data: nestedHugeKeys() }], { zip64: true })
    const err = expectCheckpointError(() => readTorchZip(zip, 'G.pth'), 'too-large', /longer than the 1024 characters/)
    expect(err.message).toMatch(/^G\.pth: archive\/data\.pkl: SETITEM at byte \d+: dict key "kkkk/)
    expect(err.message.length).toBeLessThan(400)
  })

  it('refuses dotted names that grow past 1024 characters and tensor names that long in safetensors', () => {
    const p = pickle().proto(2).emptyDict()
    for (let i = 0; i < 40; i++) p.shortUnicode('k'.repeat(40)).emptyDict()
    for (let i = 0; i < 40; i++) p.setitem()
    const zip = buildZip([{ name: 'archive/data.pkl', data: p.stop().bytes() }], { zip64: true })
    expectCheckpointError(() => readTorchZip(zip, 'G.pth'), 'too-large', /^G\.pth: the tensor name kkkk.* grows past 1024/)
  })
})

describe('TorchScript archives', () => {
  it('are named as TorchScript before anything else is judged, compressed code entries included', () => {
    const err = expectCheckpointError(() => readTorchCheckpoint(torchScriptArchive(), 'model.pt'), 'unsafe-pickle')
    expect(err.message).toMatch(/^model\.pt: this is a TorchScript archive \(torch\.jit\.save; it contains code\/__torch__\.py\)/)
    expect(err.message).toMatch(/torch\.save\(model\.state_dict\(\), path\)/)
    expect(err.message).not.toMatch(/compressed/)
  })

  it('are named so when imported as G.pth', async () => {
    const folder = await torchScriptFolder('torchscript')
    await expectCheckpointErrorAsync(() => importCheckpoint(folder), 'unsafe-pickle', /G\.pth: this is a TorchScript archive/)
  })
})

describe('one dtype rule for weights, in every reader', () => {
  it('refuses a native weight stored as I32, naming the file, the tensor and what to do', async () => {
    const folder = await nativeFolder('int-weights', integerBias)
    const err = await expectCheckpointErrorAsync(() => loadModel(folder), 'unsupported')
    expect(err.file).toBe(join(folder, weightsFile))
    expect(err.tensor).toMatch(/\.bias$/)
    expect(err.message).toMatch(/is stored as I32, but weights must be floating point .*re-save the checkpoint with float weights/)
  })

  it('refuses the same thing in the BigGAN-PyTorch importer with the same words', async () => {
    const fixtures = 'test/fixtures/biggan-pytorch'
    const G = { tensors: readTorchCheckpoint(new Uint8Array(readFileSync(`${fixtures}/G_ema.pth`))).tensors, file: 'G_ema.pth' }
    const name = [...G.tensors.keys()].find((k) => k.endsWith('.bias'))!
    const t = G.tensors.get(name)!
    G.tensors.set(name, fromInts(t.shape, new Array<number>(t.shape.reduce((a, b) => a * b, 1)).fill(0), 'I32'))
    const imported = expectCheckpointError(() => importBigganPytorch({ G }), 'unsupported')
    const native = await expectCheckpointErrorAsync(() => loadModel(join(dir, 'int-weights')), 'unsupported')
    const words = (e: CheckpointError): string => e.message.replace(/^.*?tensor '[^']*': /, '')
    expect(words(imported)).toBe(words(native))
  })
})

describe('native configs the networks cannot be built from', () => {
  it('refuses resolution 1024 when the folder is opened, naming config.json and the field', async () => {
    const folder = await nativeFolder('res-1024')
    const manifest = JSON.parse(await readFile(join(folder, configFile), 'utf8'))
    manifest.config.resolution = 1024
    await writeFile(join(folder, configFile), JSON.stringify(manifest))
    const err = await expectCheckpointErrorAsync(() => loadModel(folder), 'unsupported')
    expect(err.file).toBe(join(folder, configFile))
    expect(err.message).toMatch(/config field 'resolution': .*1024×1024.*known resolutions: 32, 64, 128, 256, 512/)
  })
})

const fdDir = '/proc/self/fd'
describe('file descriptors', () => {
  it.skipIf(!existsSync(fdDir))('are all closed after failed opens and imports (counted in /proc/self/fd; Linux only)', async () => {
    const truncated = join(dir, 'truncated')
    await saveModel(tiny, truncated, { source: 'init' })
    const weights = join(truncated, weightsFile)
    writeFileSync(weights, readFileSync(weights).subarray(0, 200))
    const damaged = await nativeFolder('damaged')
    const bytes = readFileSync(join(damaged, weightsFile))
    bytes[bytes.length - 5] ^= 1
    writeFileSync(join(damaged, weightsFile), bytes)
    const torchScript = await torchScriptFolder('ts-import')
    const stop = (): void => {
      throw new Error('stopped')
    }
    const failures: Array<() => Promise<unknown>> = [
      () => loadModel(join(dir, 'res-1024')),
      () => loadModel(join(dir, 'int-weights')),
      () => loadModel(truncated),
      () => loadModel(damaged),
      () => loadModel(join(dir, 'nowhere')),
      () => loadModel(join(dir, 'int-weights'), { checkCancelled: stop }),
      () => openSafetensorsFile(weights),
      () => readFileChecked('test/fixtures/hf-biggan-deep/pytorch_model.bin', stop),
      () => importCheckpoint(torchScript),
      () => importCheckpoint('test/fixtures/hf-biggan-deep', undefined, { checkCancelled: stop }),
    ]
    const open = (): number => readdirSync(fdDir).length
    for (const fail of failures) await fail().catch(() => undefined) // anything opened once and kept (the wasm binary) opens now
    const before = open()
    for (let round = 0; round < 3; round++) {
      for (const fail of failures) await expect(fail()).rejects.toThrow()
    }
    expect(open()).toBe(before)
  })
})

describe('TensorFlow tensor bundles that lie', () => {
  const weights = (): TensorMap => new Map([
    ['Generator/a', fromFloat32([2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]))],
    ['Generator/b', fromFloat32([4], Float32Array.from([7, 8, 9, 10]))],
  ])
  const read = (b: Bundle, shards: (Uint8Array | undefined)[] = [b.data]): unknown =>
    readTensorBundle({ index: b.index, shards, indexFile: 'variables.index', shardFiles: ['variables.data-00000-of-00001'] })
  const edited = (name: string, field: number, value: number | bigint | Uint8Array): Bundle => writeBundle(weights(), {
    editEntry: (n, fields) => {
      if (n !== name) return
      const at = fields.findIndex(([f]) => f === field)
      if (at >= 0) fields[at] = [field, value]
      else fields.push([field, value])
    },
  })

  it('refuses offsets and sizes that run past the shard, and sizes that contradict the shape', () => {
    expectCheckpointError(() => read(edited('Generator/b', 4, 1000)), 'truncated', /Generator\/b.*bytes 1000\.\.1016 lie past the end of variables\.data-00000-of-00001 \(40 bytes\)/)
    expectCheckpointError(() => read(edited('Generator/b', 4, 2n ** 64n - 1n)), 'bad-header', /offset is negative/)
    expectCheckpointError(() => read(edited('Generator/b', 5, 12)), 'bad-header', /gives it 12 bytes, but F32 \[4\] takes 16/)
    expectCheckpointError(() => read(edited('Generator/a', 4, 4)), 'bad-header', /Generator\/a.*CRC-32C/)
  })

  it('refuses huge shapes, unknown dtypes, partitioned variables and shards the header does not have', () => {
    const dims = (...d: (number | bigint)[]): Uint8Array => proto(d.map((x) => [2, proto([[1, x]])]))
    expectCheckpointError(() => read(edited('Generator/b', 2, dims(2 ** 30, 2 ** 30, 2 ** 30))), 'too-large', /more than 2\^53 elements/)
    expectCheckpointError(() => read(edited('Generator/b', 2, dims(2n ** 60n))), 'too-large', /larger than 2\^53/)
    expectCheckpointError(() => read(edited('Generator/b', 2, dims(2n ** 64n - 1n))), 'bad-header', /dimension of -1/)
    expectCheckpointError(() => read(edited('Generator/b', 1, 23)), 'unsupported', /uint64.*cast it to float32/)
    expectCheckpointError(() => read(edited('Generator/b', 1, 99)), 'bad-header', /dtype 99.*not a TensorFlow DataType/)
    expectCheckpointError(() => read(edited('Generator/b', 7, proto([[1, 1]]))), 'unsupported', /partitioned variable/)
    expectCheckpointError(() => read(edited('Generator/b', 3, 1)), 'bad-header', /shard 1, but the header says there are 1/)
  })

  it('refuses a missing shard, a big-endian bundle and a header that is not first', () => {
    expectCheckpointError(() => read(writeBundle(weights()), []), 'missing-key', /Generator\/a.*variables\.data-00000-of-00001, which is missing/)
    expectCheckpointError(() => read(writeBundle(weights(), { numShards: 0 })), 'bad-header', /num_shards is 0/)
    const bigEndian = sortedTable([[new Uint8Array(0), proto([[1, 1], [2, 1]])]])
    expectCheckpointError(() => readTensorBundle({ index: bigEndian, shards: [] }), 'unsupported', /big-endian/)
    const headless = sortedTable([[new TextEncoder().encode('a'), proto([[1, 1]])]])
    expectCheckpointError(() => readTensorBundle({ index: headless, shards: [] }), 'bad-header', /no header entry/)
  })

  it('refuses truncated blocks, bad CRCs, unsorted keys, compressed and back-pointing blocks', () => {
    const b = writeBundle(weights())
    for (const n of [0, 10, 47, b.index.length - 49, b.index.length - 1]) {
      expectCheckpointError(() => read({ ...b, index: b.index.subarray(0, n) }), n < 48 ? 'truncated' : 'bad-magic')
    }
    const flipped = b.index.slice()
    flipped[3] ^= 0x10
    expectCheckpointError(() => read({ ...b, index: flipped }), 'bad-header', /block at offset 0 fails its CRC-32C check/)
    const cut = writeBundle(weights(), { editBlock: (c, w) => (w === 'data' ? c.subarray(0, c.length - 6) : c) })
    expectCheckpointError(() => read(cut), 'bad-header', /data block at offset 0/)
    const restarts = writeBundle(weights(), { editBlock: (c, w) => (w === 'data' ? Uint8Array.from([...c.subarray(0, -4), 0xff, 0xff, 0xff, 0x7f]) : c) })
    expectCheckpointError(() => read(restarts), 'bad-header', /restart points do not fit/)
    const enc = new TextEncoder()
    const unsorted = sortedTable([[new Uint8Array(0), proto([[1, 1]])], [enc.encode('b'), proto([])], [enc.encode('a'), proto([])]])
    expectCheckpointError(() => readTensorBundle({ index: unsorted, shards: [] }), 'bad-header', /"a" is not after "b"/)
    // a table whose only data block (at offset 0) says it is Snappy-compressed, with a CRC that agrees
    const compressed = sortedTable([[new Uint8Array(0), proto([[1, 1]])]])
    const dataLength = 3 + 2 + 8 // one entry (3 varints, a 2-byte value), one restart and the restart count
    compressed[dataLength] = 1
    const crc = maskCrc(crc32c(Uint8Array.of(1), crc32c(compressed.subarray(0, dataLength))))
    new DataView(compressed.buffer).setUint32(dataLength + 1, crc, true)
    expectCheckpointError(() => readTensorBundle({ index: compressed, shards: [] }), 'unsupported', /compressed \(type 1, 1 is Snappy\)/)
    // an index listing the same data block twice would make a small file cost as much work as a large one
    const twice = writeBundle(weights(), {
      editBlock: (c, w) => {
        if (w !== 'index') return c
        const entry = c.subarray(0, c.length - 8)
        return Uint8Array.from([...entry, ...entry, 0, 0, 0, 0, 1, 0, 0, 0])
      },
    })
    expectCheckpointError(() => read(twice), 'bad-header', /data block at offset 0, before the end of the previous one/)
  })

  it('refuses keys that grow without bound by prefix sharing, before building them', () => {
    const entries: Uint8Array[] = []
    // every entry shares all of the previous key and adds one byte: quadratic total length in a small block
    const block = [0, 0xc8, 0x01, 0, ...new Array(200).fill(0x61)] // shared 0, unshared 200 (a 2-byte varint), value 0
    for (let i = 0; i < 2000; i++) block.push(...[0x80 + ((200 + i) & 0x7f), (200 + i) >> 7, 1, 0, 0x62])
    entries.push(Uint8Array.from([...block, 0, 0, 0, 0, 1, 0, 0, 0]))
    const index = sortedTable([[new Uint8Array(0), proto([[1, 1]])]], 4096, (c, w) => (w === 'data' ? entries[0] : c))
    expectCheckpointError(() => readTensorBundle({ index, shards: [] }), 'bad-header', /key of 1025 bytes is longer than the 1024 allowed/)
  })
})
