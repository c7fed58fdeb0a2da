// The TensorFlow tensor-bundle reader on a bundle TensorFlow itself wrote (test/fixtures/tf-bundle, a Keras MNIST
// model): every tensor with its dtype and shape, values TensorFlow's own CRC-32C vouches for, and the bytes tiling
// the data shard exactly.

import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parseBundleIndex, readTensorBundle } from '../../main/checkpoints/tf/tensorBundle'
import { crc32c, maskCrc, unmaskCrc } from '../../main/checkpoints/tf/crc32c'
import { expectCheckpointError } from './helpers/expectError'

const dir = 'test/fixtures/tf-bundle/variables'
const index = new Uint8Array(readFileSync(`${dir}/variables.index`))
const shard = new Uint8Array(readFileSync(`${dir}/variables.data-00000-of-00001`))
const read = (shards = [shard], idx = index) => readTensorBundle({ index: idx, shards })

const value = '/.ATTRIBUTES/VARIABLE_VALUE'
const slots = ['', '/.OPTIMIZER_SLOT/optimizer/m', '/.OPTIMIZER_SLOT/optimizer/v']
/** The Keras model's variables by layer, shapes as the fixture's README gives them; Adam keeps m and v for each. */
function expectedShapes(): Map<string, number[]> {
  const out = new Map<string, number[]>()
  const trainable = (layer: number, name: string, shape: number[]): void => {
    for (const s of slots) out.set(`layer_with_weights-${layer}/${name}${s}${value}`, shape)
  }
  const conv = (layer: number, kernel: number[]): void => {
    trainable(layer, 'kernel', kernel)
    trainable(layer, 'bias', [kernel[3]])
  }
  const batchNorm = (layer: number, c: number): void => {
    trainable(layer, 'gamma', [c])
    trainable(layer, 'beta', [c])
    out.set(`layer_with_weights-${layer}/moving_mean${value}`, [c])
    out.set(`layer_with_weights-${layer}/moving_variance${value}`, [c])
  }
  conv(0, [3, 3, 1, 32])
  batchNorm(1, 32)
  conv(2, [3, 3, 32, 64])
  batchNorm(3, 64)
  conv(4, [3, 3, 64, 64])
  batchNorm(5, 64)
  trainable(6, 'kernel', [576, 128])
  trainable(6, 'bias', [128])
  trainable(7, 'kernel', [128, 10])
  trainable(7, 'bias', [10])
  for (const n of ['beta_1', 'beta_2', 'decay', 'learning_rate']) out.set(`optimizer/${n}${value}`, [])
  for (const m of [0, 1]) for (const n of ['count', 'total']) out.set(`keras_api/metrics/${m}/${n}${value}`, [])
  return out
}

const scalar = (bytes: Uint8Array): number => new DataView(bytes.buffer, bytes.byteOffset, 4).getFloat32(0, true)

describe('TensorFlow tensor bundles', () => {
  it('reads every tensor of a real TensorFlow bundle with its dtype and shape', () => {
    const bundle = read()
    const expected = expectedShapes()
    const iter = `optimizer/iter${value}`
    expect(new Set(bundle.tensors.keys())).toEqual(new Set([...expected.keys(), iter]))
    for (const [name, shape] of expected) expect({ name, dtype: bundle.tensors.get(name)!.dtype, shape: bundle.tensors.get(name)!.shape }).toEqual({ name, dtype: 'F32', shape })
    expect(bundle.tensors.get(iter)).toMatchObject({ dtype: 'I64', shape: [] })
    expect([...bundle.strings.keys()]).toEqual(['_CHECKPOINTABLE_OBJECT_GRAPH'])
    expect(bundle.numShards).toBe(1)
  })

  it('hands over the exact bytes: TensorFlow\'s own CRC-32C of each tensor holds and the tensors tile the shard', () => {
    const { entries } = parseBundleIndex(index)
    const bundle = read()
    for (const e of entries) {
      const data = bundle.tensors.get(e.name)?.data
      if (data) expect(maskCrc(crc32c(data)), e.name).toBe(e.crc32c)
    }
    const sorted = [...entries].sort((a, b) => a.offset - b.offset)
    let end = 0
    for (const e of sorted) {
      expect(e.offset, e.name).toBe(end)
      end = e.offset + e.size
    }
    expect(end).toBe(shard.byteLength)
  })

  it('reads values Keras is known to have saved: Adam\'s betas, the step count, the test-set counter', () => {
    const t = read().tensors
    expect(scalar(t.get(`optimizer/beta_1${value}`)!.data)).toBe(Math.fround(0.9))
    expect(scalar(t.get(`optimizer/beta_2${value}`)!.data)).toBe(Math.fround(0.999))
    expect(scalar(t.get(`optimizer/decay${value}`)!.data)).toBe(0)
    const iter = t.get(`optimizer/iter${value}`)!.data
    expect(new DataView(iter.buffer, iter.byteOffset, 8).getBigInt64(0, true)).toBe(63750n)
    // the accuracy metric's count: the 10 000 MNIST test images
    expect(scalar(t.get(`keras_api/metrics/0/count${value}`)!.data)).toBe(10000)
    const variance = t.get(`layer_with_weights-1/moving_variance${value}`)!.data
    const v = new Float32Array(variance.slice().buffer)
    expect(v.every((x) => x > 0 && Number.isFinite(x))).toBe(true)
  })

  it('reads the string tensor: the object graph proto, checksummed', () => {
    const graph = read().strings.get('_CHECKPOINTABLE_OBJECT_GRAPH')!
    expect(graph.shape).toEqual([])
    expect(graph.values).toHaveLength(1)
    expect(new TextDecoder().decode(graph.values[0])).toContain('layer_with_weights-0')
  })

  it('masks and unmasks CRCs as LevelDB does (CRC-32C of "123456789" is 0xe3069283)', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283)
    expect(unmaskCrc(maskCrc(0xdeadbeef))).toBe(0xdeadbeef)
  })

  it('refuses a flipped bit in a tensor, naming the tensor and the shard', () => {
    const { entries } = parseBundleIndex(index)
    const kernel = entries.find((e) => e.name === `layer_with_weights-4/kernel${value}`)!
    const bad = shard.slice()
    bad[kernel.offset + 100] ^= 4
    expectCheckpointError(() => read([bad]), 'bad-header', /layer_with_weights-4\/kernel.*CRC-32C/)
  })

  it('refuses a missing shard and a shard cut short, saying what to copy', () => {
    expectCheckpointError(() => read([]), 'missing-key', /shard 0, which is missing; copy every \.data-NNNNN-of-00001/)
    expectCheckpointError(() => read([shard.subarray(0, 1000)]), 'truncated', /past the end of shard 0 \(1000 bytes\)/)
  })

  it('refuses a flipped bit in the index with the block\'s CRC, and a file that is not an index', () => {
    const bad = index.slice()
    bad[40] ^= 1
    expectCheckpointError(() => read([shard], bad), 'bad-header', /block at offset 0 fails its CRC-32C/)
    expectCheckpointError(() => read([shard], shard.subarray(0, 4096)), 'bad-magic', /not a TensorFlow variables\.index/)
    expectCheckpointError(() => read([shard], index.subarray(0, 20)), 'truncated', /too short/)
  })
})
