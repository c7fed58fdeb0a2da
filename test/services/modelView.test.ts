// The model as the renderer sees it: every fact of the worker's record, nothing lost between the two.
import { describe, expect, it } from 'vitest'
import type { ModelRecord } from '../../main/engine-host/protocol/engine.ts'
import { modelView } from '../../main/services/modelView.ts'
import { contract } from '../../preload/contract/index.ts'

const record: ModelRecord = {
  hash: 'ab'.repeat(32),
  name: 'tiny',
  path: '/models/tiny',
  arch: 'biggan',
  resolution: 32,
  ch: 4,
  numClasses: 2,
  zDim: 80,
  zChunks: [20, 20, 20, 20],
  zChunkLabels: ['linear', 'block 1 (4→8)', 'block 2 (8→16)', 'block 3 (16→32)'],
  semantics: 'released',
  truncation: { default: 0.4, min: 0.02, max: 1, above: 0, atMost: 1 },
  classNames: ['goldfish', 'tench'],
  classIds: ['n01443537', 'n01440764'],
  parameters: { G: 1234, D: 567 },
  hasDiscriminator: true,
  hasEma: false,
  provenance: 'randomly initialised on 2026-01-01, engine 0.1.0',
  isDefault: false,
  isRandom: true,
}

describe('the model as the contract shows it', () => {
  it("carries every field of the worker's record, as the contract parses it", () => {
    expect(contract['models:current'].output.parse(modelView(record))).toEqual(record)
    const { classIds: _ids, ...withoutIds } = record
    expect(contract['models:current'].output.parse(modelView(withoutIds))).toEqual(withoutIds)
  })
})
