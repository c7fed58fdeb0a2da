// The fuzz oracle: every reader on every input, and the only allowed outcomes are a result or a CheckpointError.
// Anything else (TypeError, RangeError, a slow input) is saved to test/fixtures/fuzz-corpus/ and reported.

import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { CheckpointError } from '../../../main/tensors/errors'
import { unpickle } from '../../../main/checkpoints/pickle'
import { readSafetensors } from '../../../main/checkpoints/safetensors'
import { readTorchCheckpoint } from '../../../main/checkpoints/torch'
import { readTorchLegacy } from '../../../main/checkpoints/torchLegacy'
import { pickledToPlain } from '../../../main/checkpoints/torchTensors'
import { readTorchZip } from '../../../main/checkpoints/torchZip'
import { readGraphStacks } from '../../../main/checkpoints/tf/savedModel'
import { readTensorBundle } from '../../../main/checkpoints/tf/tensorBundle'
import { tinyBundle } from './bundleWriter'

export const corpusDir = 'test/fixtures/fuzz-corpus'
/** Far above any honest input here (the largest fixture reads in ~100 ms); a slower one is treated as a hang. */
const slowMs = 2000

export const readers: Record<string, (b: Uint8Array) => unknown> = {
  safetensors: (b) => readSafetensors(b, 'fuzz'),
  torch: (b) => readTorchCheckpoint(b, 'fuzz'),
  torchZip: (b) => readTorchZip(b, 'fuzz'),
  torchLegacy: (b) => readTorchLegacy(b, 'fuzz'),
  pickle: (b) => pickledToPlain(unpickle(b, { file: 'fuzz' }).value),
  // a tensor bundle's index with a fixed shard, and a shard with a fixed index
  tfBundleIndex: (b) => readTensorBundle({ index: b, shards: [tinyBundle.data] }),
  tfBundleShard: (b) => readTensorBundle({ index: tinyBundle.index, shards: [b] }),
  savedModel: (b) => readGraphStacks(b, 'fuzz'),
}

export interface Outcome {
  reader: string
  error?: unknown
  ms: number
}

/** Runs `bytes` through the named readers (all by default); returns the first bad outcome, saving the input. */
export function badOutcome(bytes: Uint8Array, names = Object.keys(readers), save = true): Outcome | undefined {
  for (const reader of names) {
    const start = performance.now()
    let error: unknown
    try {
      readers[reader](bytes)
    } catch (err) {
      if (!(err instanceof CheckpointError)) error = err
    }
    const ms = performance.now() - start
    if (error !== undefined || ms > slowMs) {
      if (save) {
        mkdirSync(corpusDir, { recursive: true })
        const hash = createHash('sha1').update(bytes).digest('hex').slice(0, 16)
        writeFileSync(`${corpusDir}/${reader}-${hash}.bin`, bytes)
      }
      return { reader, error, ms }
    }
  }
  return undefined
}

export function describeOutcome(o: Outcome | undefined): string {
  if (!o) return 'ok'
  return `${o.reader}: ${o.error instanceof Error ? `${o.error.name}: ${o.error.message}` : `took ${o.ms.toFixed(0)} ms`}`
}
