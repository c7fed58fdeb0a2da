// Cancelling a read: every reader calls checkCancelled between records, stops at the first call that throws, and
// lets that error through as it is (the engine worker's 'cancelled' must not turn into a damaged-file error).

import { describe, expect, it } from 'vitest'
import { unpickle } from '../../main/checkpoints/pickle'
import { readSafetensors } from '../../main/checkpoints/safetensors'
import { readTorchCheckpoint } from '../../main/checkpoints/torch'
import { importCheckpoint } from '../../main/disk/importCheckpoint'
import { readFileChecked } from '../../main/disk/safetensorsFile'
import { readTensorBundle } from '../../main/checkpoints/tf/tensorBundle'
import { bundleWithTensors, configPickle, legacyWithStorages, safetensorsWithTensors, zipWithStorages } from './helpers/manyRecords'

class Stop extends Error {}

/** A checkCancelled that counts its calls and throws a Stop on call `stopAt` (never, by default). */
function counter(stopAt = Infinity): { calls: number; check: () => void; stop: Stop } {
  const c = {
    calls: 0,
    stop: new Stop('cancelled by the test'),
    check: () => {
      c.calls++
      if (c.calls >= stopAt) throw c.stop
    },
  }
  return c
}

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected the read to stop')
}

const records = 2000
const readers: Array<[string, Uint8Array, (bytes: Uint8Array, check: () => void) => unknown]> = [
  ['a legacy torch file (one call per storage)', legacyWithStorages(records), (b, check) => readTorchCheckpoint(b, 'x.bin', { checkCancelled: check })],
  ['a torch zip (one call per entry)', zipWithStorages(records), (b, check) => readTorchCheckpoint(b, 'x.pth', { checkCancelled: check })],
  ['a safetensors file (one call per tensor)', safetensorsWithTensors(records), (b, check) => readSafetensors(b, 'x.safetensors', { checkCancelled: check })],
  ['a TensorFlow tensor bundle (calls per index entry and per tensor)', bundleWithTensors(records), (b, check) => {
    const n = new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true)
    return readTensorBundle({ index: b.subarray(4, 4 + n), shards: [b.subarray(4 + n)] }, { checkCancelled: check })
  }],
]

describe('cancelling the readers', () => {
  it.each(readers)('checks between the records of %s', (_what, bytes, read) => {
    const c = counter()
    read(bytes, c.check)
    expect(c.calls).toBeGreaterThanOrEqual(records)
  })

  it.each(readers)('stops %s at the first check that throws, passing its error on', (_what, bytes, read) => {
    const c = counter(records / 2)
    expect(thrown(() => read(bytes, c.check))).toBe(c.stop)
    expect(c.calls).toBe(records / 2)
  })

  it('checks every few thousand opcodes of a long pickle', () => {
    const c = counter()
    unpickle(configPickle(100_000), { checkCancelled: c.check })
    expect(c.calls).toBeGreaterThanOrEqual(40) // 200 000 opcodes and more
    const stop = counter(3)
    expect(thrown(() => unpickle(configPickle(100_000), { checkCancelled: stop.check }))).toBe(stop.stop)
    expect(stop.calls).toBe(3)
  })
})

describe('cancelling an import from disk', () => {
  const hf = 'test/fixtures/hf-biggan-deep'

  it('reads a file in chunks, checking before each', async () => {
    const c = counter()
    expect((await readFileChecked(`${hf}/pytorch_model.bin`, c.check)).byteLength).toBeGreaterThan(0)
    expect(c.calls).toBeGreaterThanOrEqual(1)
    const stop = counter(1)
    await expect(readFileChecked(`${hf}/pytorch_model.bin`, stop.check)).rejects.toBe(stop.stop)
  })

  it.each([
    ['a pytorch-pretrained-BigGAN folder', hf],
    ['a BigGAN-PyTorch folder', 'test/fixtures/biggan-pytorch'],
  ])('stops importing %s at any check, passing its error on', async (_what, dir) => {
    const all = counter()
    await importCheckpoint(dir, () => undefined, { checkCancelled: all.check })
    expect(all.calls).toBeGreaterThan(100) // the storages, tensors and rows of the fixture
    for (const at of [1, 2, Math.floor(all.calls / 2), all.calls]) {
      const c = counter(at)
      await expect(importCheckpoint(dir, () => undefined, { checkCancelled: c.check })).rejects.toBe(c.stop)
      expect(c.calls).toBe(at)
    }
  })
})
