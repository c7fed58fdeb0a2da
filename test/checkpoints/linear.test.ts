// How the readers' work grows with the number of records. Work is counted, not timed (helpers/work.ts): every call
// and block of the readers' code plus the elements the builtins they call scan or copy. Doubling the records must
// roughly double the work; a reader that checks each record against a growing list would quadruple it.

import { describe, expect, it } from 'vitest'
import { unpickle } from '../../main/checkpoints/pickle'
import { readSafetensors } from '../../main/checkpoints/safetensors'
import { pickledToPlain } from '../../main/checkpoints/torchTensors'
import { readTorchLegacy } from '../../main/checkpoints/torchLegacy'
import { readTorchZip } from '../../main/checkpoints/torchZip'
import { readTensorBundle } from '../../main/checkpoints/tf/tensorBundle'
import { bundleWithTensors, configPickle, legacyWithStorages, safetensorsWithTensors, zipWithStorages } from './helpers/manyRecords'
import { workGrowth } from './helpers/work'

/** Doubling the records may cost a little more than twice the work (sorting by offset is n log n), never 4×. */
const doublingBound = 2.25
const records = 100_000
const counted = (g: { small: number; large: number }): string => `work ${g.small} for ${records} records, ${g.large} for twice as many`

describe('reader work grows linearly with the records', () => {
  it('reads a legacy torch file of 10^5 and 2×10^5 empty storages', () => {
    const growth = workGrowth(legacyWithStorages, (b) => readTorchLegacy(b, 'many.bin'), records)
    expect(growth.ratio, counted(growth)).toBeLessThan(doublingBound)
  })

  it('reads a torch zip of 10^5 and 2×10^5 storage records', () => {
    const growth = workGrowth(zipWithStorages, (b) => readTorchZip(b, 'many.pth'), records)
    expect(growth.ratio, counted(growth)).toBeLessThan(doublingBound)
  })

  it('reads a safetensors file of 10^5 and 2×10^5 tensors', () => {
    const growth = workGrowth(safetensorsWithTensors, (b) => readSafetensors(b, 'many.safetensors'), records)
    expect(growth.ratio, counted(growth)).toBeLessThan(doublingBound)
  })

  it('unpickles and converts a config dict of 10^5 and 2×10^5 entries', () => {
    const growth = workGrowth(configPickle, (b) => pickledToPlain(unpickle(b, { file: 'state_dict.pth' }).value), records)
    expect(growth.ratio, counted(growth)).toBeLessThan(doublingBound)
  })

  it('reads a TensorFlow tensor bundle of 10^5 and 2×10^5 tensors', () => {
    const read = (b: Uint8Array): unknown => {
      const n = new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true)
      return readTensorBundle({ index: b.subarray(4, 4 + n), shards: [b.subarray(4 + n)] })
    }
    const growth = workGrowth(bundleWithTensors, read, records)
    expect(growth.ratio, counted(growth)).toBeLessThan(doublingBound)
  })
})
