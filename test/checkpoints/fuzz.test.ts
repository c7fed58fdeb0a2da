// Bounded, seeded fuzzing of every checkpoint reader. The oracle (helpers/fuzzOracle.ts): a result or a
// CheckpointError, nothing else, and no input that runs for seconds. Structured mutators keep zip CRCs and the
// safetensors header length right, so mutated inputs reach the pickle and JSON parsers instead of dying at the
// first checksum.

import { readdirSync, readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromFloat32, fromFloat64, fromInts } from '../../main/tensors/convert'
import { writeSafetensors } from '../../main/checkpoints/safetensors'
import { readZip } from '../../main/checkpoints/zip'
import { badOutcome, corpusDir, describeOutcome } from './helpers/fuzzOracle'
import { mutateAll, mutations } from './helpers/mutate'
import { randomPickle } from './helpers/pickleGen'
import { concat, stateDictPickle, tinyTensors, tinyTorchLegacy, tinyTorchZip } from './helpers/torchBuilder'
import { buildZip } from './helpers/zipBuilder'
import { parseBundleIndex } from '../../main/checkpoints/tf/tensorBundle'
import { proto, sortedTable, tinyBundle } from './helpers/bundleWriter'
import { savedModelWithStacks } from './helpers/hubModule'

const seed = 20261127

function fuzz(arb: fc.Arbitrary<Uint8Array>, numRuns: number, readerNames?: string[]): void {
  const result = fc.check(fc.property(arb, (bytes) => badOutcome(bytes, readerNames, false) === undefined), { seed, numRuns })
  if (result.failed && result.counterexample) {
    const bytes = result.counterexample[0]
    expect.fail(`fuzz input of ${bytes.byteLength} bytes (saved to ${corpusDir}): ${describeOutcome(badOutcome(bytes, readerNames, true))}`)
  }
  expect(result.failed).toBe(false)
}

const tinySafetensors = writeSafetensors([
  ['z', fromFloat32([2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]))],
  ['__proto__', fromFloat64([1], Float64Array.from([0.02]))],
  ['classes', fromInts([2], [207, 999])],
  ['h', fromFloat32([2], Float32Array.from([1, -1]), 'F16')],
], { note: 'seed' })
const seeds = [tinyTorchZip(), tinyTorchLegacy(), tinySafetensors]

// About 15 500 mutated inputs in all (plus 5 000 generated pickles and the truncation sweeps), a few seconds on an
// idle 2-core machine; the timeout is for loaded CI boxes.
const slow = { timeout: 60_000 }

describe('fuzzing the checkpoint readers', slow, () => {
  it('survives byte-level mutations of tiny zip, legacy and safetensors seeds in every reader', () => {
    fuzz(fc.tuple(fc.constantFrom(...seeds), mutations).map(([s, ms]) => mutateAll(s, ms)), 3600)
  })

  it('survives splices between seeds', () => {
    const arb = fc.tuple(fc.constantFrom(...seeds), fc.constantFrom(...seeds), fc.nat(), fc.nat())
      .map(([a, b, i, j]) => concat([a.subarray(0, i % a.length), b.subarray(j % b.length)]))
    fuzz(arb, 900)
  })

  it('survives mutated data.pkl inside a zip with correct CRCs', () => {
    const pkl = stateDictPickle(tinyTensors())
    const arb = mutations.map((ms) => tinyTorchZip(undefined, { pkl: mutateAll(pkl, ms) }))
    fuzz(arb, 3000, ['torch', 'torchZip'])
  })

  it('survives random pickles built from the allowed opcodes and globals, alone and inside a zip', () => {
    fuzz(randomPickle, 4000, ['pickle'])
    fuzz(randomPickle.map((pkl) => tinyTorchZip(undefined, { pkl })), 1000, ['torchZip'])
  })

  it('survives mutated object pickles inside a legacy stream', () => {
    const pkl = stateDictPickle(tinyTensors(), true)
    fuzz(mutations.map((ms) => tinyTorchLegacy(undefined, { pkl: mutateAll(pkl, ms) })), 3000, ['torch', 'torchLegacy'])
  })

  it('survives mutated safetensors headers with the length field fixed up', () => {
    const n = Number(new DataView(tinySafetensors.buffer).getBigUint64(0, true))
    const json = tinySafetensors.subarray(8, 8 + n)
    const data = tinySafetensors.subarray(8 + n)
    const withN = (h: Uint8Array): Uint8Array => {
      const len = new Uint8Array(8)
      new DataView(len.buffer).setBigUint64(0, BigInt(h.byteLength), true)
      return concat([len, h, data])
    }
    fuzz(mutations.map((ms) => withN(mutateAll(json, ms))), 4500, ['safetensors'])
    // token-level edits: every number in the header replaced by an edge value
    const text = new TextDecoder().decode(json)
    const edges = ['-1', '0', '1.5', '1e400', '9007199254740993', '18446744073709551615', '"x"', '[]', 'null', '{}']
    const numbers = [...text.matchAll(/-?\d+/g)]
    const arb = fc.tuple(fc.nat({ max: numbers.length - 1 }), fc.constantFrom(...edges)).map(([i, e]) => {
      const m = numbers[i]
      return withN(new TextEncoder().encode(text.slice(0, m.index) + e + text.slice((m.index ?? 0) + m[0].length)))
    })
    fuzz(arb, 400, ['safetensors'])
  })
})

describe('fuzzing with the real fixtures', slow, () => {
  const hf = new Uint8Array(readFileSync('test/fixtures/hf-biggan-deep/pytorch_model.bin'))
  const gEma = new Uint8Array(readFileSync('test/fixtures/biggan-pytorch/G_ema.pth'))
  const ref = new Uint8Array(readFileSync('test/fixtures/hf-biggan-deep/reference.safetensors'))

  it('refuses every fixture truncated at hundreds of points with a CheckpointError', () => {
    for (const bytes of [hf, gEma, ref]) {
      const points = new Set<number>()
      for (let n = 0; n < 300; n++) points.add(n) // every byte of the headers
      for (let n = 0; n < 90_000 && n < bytes.length; n += 2999) points.add(n) // across all of the HF pickles
      for (let k = 0; k < 16; k++) points.add(Math.floor((bytes.length * k) / 16))
      if (bytes === gEma) for (let n = bytes.length - 2000; n < bytes.length; n += 17) points.add(n) // the zip directory
      const bad = [...points].map((n) => [n, badOutcome(bytes.subarray(0, n))] as const).filter(([, o]) => o)
      expect(bad.map(([n, o]) => `${n}: ${describeOutcome(o)}`)).toEqual([])
    }
  })

  it('survives mutations inside the HF legacy pickles', () => {
    fuzz(mutations.map((ms) => mutateAll(hf, ms, [0, 88_625])), 75, ['torch'])
  })

  it('survives mutations of the real G_ema data.pkl repacked with correct CRCs', () => {
    const entries = [...readZip(gEma).values()].map((e) => ({ name: e.name, data: e.data }))
    const arb = mutations.map((ms) => buildZip(entries.map((e) => (e.name.endsWith('data.pkl') ? { ...e, data: mutateAll(e.data, ms) } : e)), { zip64: true }))
    fuzz(arb, 45, ['torchZip'])
  })
})

describe('fuzz corpus', () => {
  it('replays every saved failing input through every reader', () => {
    const files = readdirSync(corpusDir).filter((f) => !f.endsWith('.md'))
    const bad = files.map((f) => [f, badOutcome(new Uint8Array(readFileSync(`${corpusDir}/${f}`)), undefined, false)] as const)
    expect(bad.filter(([, o]) => o).map(([f, o]) => `${f}: ${describeOutcome(o)}`)).toEqual([])
  })
})

describe('fuzzing the TensorFlow readers', slow, () => {
  const tfIndex = new Uint8Array(readFileSync('test/fixtures/tf-bundle/variables/variables.index'))
  const entryOf = (index: Uint8Array): [Uint8Array, Uint8Array][] => {
    const { entries } = parseBundleIndex(index)
    return [[new Uint8Array(0), proto([[1, 1]])], ...entries.map((e): [Uint8Array, Uint8Array] => [
      new TextEncoder().encode(e.name),
      proto([[1, e.tfDType], [2, proto(e.shape.map((d) => [2, proto([[1, d]])]))], [4, e.offset], [5, e.size], [6, { fixed32: e.crc32c }]]),
    ])]
  }

  it('survives byte-level mutations of a tiny bundle\'s index and shard', () => {
    fuzz(mutations.map((ms) => mutateAll(tinyBundle.index, ms)), 1500, ['tfBundleIndex'])
    fuzz(mutations.map((ms) => mutateAll(tinyBundle.data, ms)), 500, ['tfBundleShard'])
  })

  it('survives mutated entries and blocks written with correct CRCs, so the parsers behind the checksums are reached', () => {
    const entries = entryOf(tinyBundle.index)
    const arb = fc.tuple(fc.nat({ max: entries.length - 1 }), mutations).map(([i, ms]) =>
      sortedTable(entries.map(([k, v], j): [Uint8Array, Uint8Array] => [k, j === i ? mutateAll(v, ms) : v]), 64))
    fuzz(arb, 1500, ['tfBundleIndex'])
    const blocks = fc.tuple(fc.constantFrom('data' as const, 'meta' as const, 'index' as const), mutations)
      .map(([which, ms]) => sortedTable(entries, 64, (c, w) => (w === which ? mutateAll(c, ms) : c)))
    fuzz(blocks, 1500, ['tfBundleIndex'])
  })

  it('survives the real index truncated at every byte and its entries mutated behind correct CRCs', () => {
    const bad = [...Array(tfIndex.length + 1).keys()].map((n) => [n, badOutcome(tfIndex.subarray(0, n), ['tfBundleIndex'])] as const).filter(([, o]) => o)
    expect(bad.map(([n, o]) => `${n}: ${describeOutcome(o)}`)).toEqual([])
    const entries = entryOf(tfIndex)
    const arb = fc.tuple(fc.nat({ max: entries.length - 1 }), mutations).map(([i, ms]) =>
      sortedTable(entries.map(([k, v], j): [Uint8Array, Uint8Array] => [j === i ? mutateAll(k, ms) : k, j === i ? mutateAll(v, ms) : v])))
    fuzz(arb, 300, ['tfBundleIndex'])
  })

  it('survives mutated SavedModel graphs holding stacked statistics', () => {
    const stats = { dtype: 'F32' as const, shape: [3, 2], data: new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer) }
    const graph = savedModelWithStacks([stats, stats])
    fuzz(mutations.map((ms) => mutateAll(graph, ms)), 1500, ['savedModel'])
  })
})
