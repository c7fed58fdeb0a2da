// The leakage matrix: intended × detected counts per truncation, deterministic in the seeds, judged by a classifier
// or by the model's own D, and the same matrix over a run's checkpoints.
import { mkdtemp, mkdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import { argmaxRows } from '../../main/engine/inspect/classifier'
import { imageEvidence } from '../../main/engine/inspect/evidence'
import { matchClasses, type FeatureExtractor } from '../../main/engine/inspect/extractors'
import { leakageMatrix, leakageSamples, quantise } from '../../main/engine/inspect/leakage'
import { checkpointFolders, leakageOverCheckpoints } from '../../main/runs/leakage'
import { tf } from '../../main/engine/tf'
import { testModel } from '../finetune/helpers'
import { saveModel } from '../../main/disk/modelFolder'

let work: string
beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
  work = await mkdtemp(join(tmpdir(), 'leakage-'))
})
afterAll(async () => {
  await rm(work, { recursive: true, force: true })
})

const classes = 3

/** A judge that sees class 0 in every image. */
function alwaysZero(count: number, resolution = 32): FeatureExtractor {
  return {
    name: 'stub:always-0',
    hash: '0'.repeat(64),
    dims: 1,
    resolution,
    classes: { count },
    scoreKind: 'probability',
    features: async (images) => new Float32Array(images.length / (resolution * resolution * 3)),
    classify: async (images) => {
      const n = images.length / (resolution * resolution * 3)
      const p = new Float32Array(n * count)
      for (let i = 0; i < n; i++) p[i * count] = 1
      return p
    },
    dispose: () => undefined,
  }
}

describe('the leakage matrix', () => {
  it('with a judge that always answers class 0, leaks exactly the share of samples whose intended class is not 0', async () => {
    const model = testModel('biggan', classes, 1)
    try {
      const report = await leakageMatrix(model, alwaysZero(classes), { classes: [0, 1, 2], seeds: 3, truncations: [null, 0.5] })
      expect(report.classMatch).toBe('index')
      expect(report.seeds).toEqual([0, 1, 2])
      for (const t of report.truncations) {
        expect(t.leakage).toBeCloseTo(2 / 3, 12)
        expect(t.perClass).toEqual([0, 1, 1])
        expect(t.counts).toEqual([[3, 0, 0], [3, 0, 0], [3, 0, 0]])
        expect(t.seeds[1][0]).toEqual([0, 1, 2])
      }
      expect(report.truncations.map((t) => t.latents)).toEqual([{ kind: 'none' }, { kind: 'paper', threshold: 0.5 }])
    } finally {
      model.dispose()
    }
  })

  it("judged by the model's own D: counts sum to seeds × classes per truncation, repeat exactly, agree with D's evidence, and leave no tensor", async () => {
    const model = testModel('biggan', classes, 2)
    try {
      const options = { classes: [2, 0], seeds: 4, firstSeed: 10, truncations: [1, 0.4], batch: 3 }
      const before = tf.memory().numTensors
      const first = await leakageMatrix(model, 'discriminator', options)
      expect(tf.memory().numTensors).toBe(before)
      const again = await leakageMatrix(model, 'discriminator', options)
      expect(again).toEqual(first)
      expect(first.classMatch).toBe('identity')
      expect(first.classes.map((c) => c.column)).toEqual([2, 0])
      for (const t of first.truncations) {
        expect(t.counts.flat().reduce((a, b) => a + b, 0)).toBe(options.seeds * options.classes.length)
        for (const [row, cells] of t.seeds.entries()) {
          expect(cells.flat().sort((a, b) => a - b)).toEqual([10, 11, 12, 13])
          cells.forEach((seeds, column) => expect(seeds.length).toBe(t.counts[row][column]))
        }
      }
      // a cell's images regenerate from (class, seeds, truncation) and D's evidence puts them in that cell
      const t = first.truncations[1]
      for (const [row, cls] of options.classes.entries()) {
        for (const [column, seeds] of t.seeds[row].entries()) {
          if (seeds.length === 0) continue
          const images = quantise(await leakageSamples(model, cls, seeds, t.truncation))
          const detected = argmaxRows(await imageEvidence(model, images, seeds.length), classes)
          expect(Array.from(detected)).toEqual(seeds.map(() => column))
        }
      }
    } finally {
      model.dispose()
    }
  })

  it('names what is wrong: a judge that cannot take the images, or a class it does not know', async () => {
    const model = testModel('biggan', classes, 3, { config: { classNames: ['cat', 'dog', 'fox'] } })
    try {
      await expect(leakageMatrix(model, alwaysZero(classes, 28), { classes: [0], seeds: 1, truncations: [null] })).rejects.toThrow(
        /takes 28×28 images, but the model makes 32×32/,
      )
      const named: FeatureExtractor = { ...alwaysZero(2), classes: { count: 2, names: ['Dog', 'Cat'] } }
      const report = await leakageMatrix(model, named, { classes: [0, 1], seeds: 2, truncations: [null] })
      expect(report.classMatch).toBe('name')
      expect(report.classes.map((c) => c.column)).toEqual([1, 0])
      expect(report.truncations[0].perClass).toEqual([1, 0]) // 'cat' is column 1, and the stub sees column 0 (Dog)
      await expect(leakageMatrix(model, named, { classes: [2], seeds: 1, truncations: [null] })).rejects.toThrow(/'fox'.*no counterpart/)
    } finally {
      model.dispose()
    }
  })

  it('matches class names ignoring case, spaces and punctuation', () => {
    const m = matchClasses(['Ankle boot', 'T-shirt-top', 'Frog'], ['T-shirt/top', 'Trouser', 'ankle  boot'], 3)
    expect(m.by).toBe('name')
    expect(Array.from(m.map)).toEqual([2, 0, -1])
    expect(() => matchClasses(undefined, undefined, 5)).not.toThrow()
    expect(() => matchClasses(['a', 'b'], undefined, 3)).toThrow(/2 classes and the classifier 3/)
  })
})

describe('leakage over checkpoints', () => {
  it("runs the same matrix over a run's step-N checkpoints, oldest first, with each checkpoint's step", async () => {
    const run = join(work, 'run')
    for (const [step, seed] of [[20, 4], [100, 5]]) {
      const model = testModel('biggan', classes, seed)
      await mkdir(join(run, 'checkpoints'), { recursive: true })
      await saveModel(model, join(run, 'checkpoints', `step-${String(step).padStart(6, '0')}`), { source: 'init' }, { step })
      model.dispose()
    }
    const dirs = await checkpointFolders(run)
    expect(dirs.map((d) => d.slice(run.length))).toEqual(['/checkpoints/step-000020', '/checkpoints/step-000100'])
    expect(await checkpointFolders(dirs[0])).toEqual([dirs[0]])
    const results = await leakageOverCheckpoints(dirs, alwaysZero(classes), { classes: [0, 1], seeds: 2, truncations: [null, 1] })
    expect(results.map((r) => r.step)).toEqual([20, 100])
    for (const r of results) {
      expect(r.leakage).toEqual([0.5, 0.5])
      expect(r.contentHash).toMatch(/^[0-9a-f]{64}$/)
    }
    await expect(checkpointFolders(work)).rejects.toThrow(/neither a model folder/)
  })
})
