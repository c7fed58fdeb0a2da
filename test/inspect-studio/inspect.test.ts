// Class-leakage inspection in the studio, as a renderer sees it: inspect:* through the router and
// buildStudioApi, with the real engine worker holding a tiny model, checked against the engine's own functions run
// here on the same model folder.
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelInfo, Point, StudioApi, StudioEvent } from '../../preload/contract/index.ts'
import { initBackend } from '../../main/backend/backend'
import { imageEvidence, topClasses } from '../../main/engine/inspect/evidence'
import { leakageMatrix } from '../../main/engine/inspect/leakage'
import { leakageOverCheckpoints } from '../../main/runs/leakage'
import { BigGANModel } from '../../main/engine/model'
import { rgbaToRgb } from '../../main/images/raster'
import type { Studio } from '../../main/services/studio'
import { Library } from '../../main/store/index'
import { failure, openStudio } from '../services/harness'
import { tempDir, tinyConfig, tinyModelFolder } from '../engine-host/helpers'
import { loadModel, saveModel } from '../../main/disk/modelFolder'

let temp: Awaited<ReturnType<typeof tempDir>>
let library: Library
let studio: Studio
let api: StudioApi
let info: ModelInfo
let local: BigGANModel
let modelDir: string
let events: StudioEvent[]

beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
  temp = await tempDir('inspect-studio')
  const tiny = await tinyModelFolder(temp.dir)
  tiny.model.dispose()
  modelDir = tiny.dir
  local = await loadModel(modelDir)
  library = Library.open(join(temp.dir, 'data', 'library.sqlite'))
  ;({ studio, api, events } = openStudio(join(temp.dir, 'data'), library, join(temp.dir, 'resources')))
  info = await api.models.open({ path: modelDir })
})

afterAll(async () => {
  await studio?.close()
  library?.close()
  local?.dispose()
  await temp?.remove()
})


async function pointOf(seed: number, cls: number, truncation = 1): Promise<Point> {
  const { z } = await api.latents.sample({ seed, count: 1, truncation })
  const y = new Float32Array(info.numClasses)
  y[cls] = 1
  return { z, y, truncation, seed }
}

const options = { classes: [0, 1, 2], seeds: 4, firstSeed: 3, truncations: [1, 0.5] }

describe('class-leakage inspection in the studio', () => {
  it("returns the leakage matrix the engine's leakageMatrix computes for the same model, judged by D", async () => {
    const fromStudio = await api.inspect.leakage({ ...options, judge: 'discriminator' })
    const direct = await leakageMatrix(local, 'discriminator', options)
    expect(fromStudio.judge).toEqual({ ...direct.judge, scoreKind: 'evidence' })
    expect(fromStudio.classes).toEqual(direct.classes)
    expect(fromStudio.classMatch).toBe('identity')
    expect(fromStudio.seeds).toEqual([3, 4, 5, 6])
    expect(fromStudio.truncations).toEqual(
      direct.truncations.map((t) => ({ truncation: t.truncation, counts: t.counts, seeds: t.seeds, leakage: t.leakage, perClass: t.perClass })),
    )
    expect(events.some((e) => e.type === 'progress' && e.job === 'inspect:leakage' && e.done === e.total)).toBe(true)
  })

  it('judges by D by default when no bundled classifier knows the classes', async () => {
    const report = await api.inspect.leakage({ classes: [1], seeds: 2, truncations: [1] })
    expect(report.judge.name).toBe('discriminator')
    expect(report.judge.hash).toBe(info.hash)
  })

  it('measures each checkpoint of a run folder, oldest first, as leakageOverCheckpoints does', async () => {
    const run = join(temp.dir, 'run')
    await mkdir(join(run, 'checkpoints'), { recursive: true })
    for (const [step, seed] of [[2, 5], [10, 6]]) {
      const m = BigGANModel.initialise(tinyConfig(), seed)
      await saveModel(m, join(run, 'checkpoints', `step-${step}`), { source: 'init', notes: 'checkpoint' }, { step })
      m.dispose()
    }
    const request = { classes: [0, 2], seeds: 3, truncations: [1] }
    const fromStudio = await api.inspect.leakageCheckpoints({ ...request, folders: [run], judge: 'discriminator' })
    const direct = await leakageOverCheckpoints(
      [join(run, 'checkpoints', 'step-2'), join(run, 'checkpoints', 'step-10')],
      'discriminator',
      request,
    )
    expect(fromStudio.truncations).toEqual([1])
    expect(fromStudio.checkpoints.map((c) => c.dir)).toEqual(direct.map((c) => c.dir))
    expect(fromStudio.checkpoints.map((c) => c.step)).toEqual([2, 10])
    expect(fromStudio.checkpoints.map((c) => c.leakage)).toEqual(direct.map((c) => c.leakage))
    expect(fromStudio.checkpoints.map((c) => c.report.truncations[0].counts)).toEqual(direct.map((c) => c.report.truncations[0].counts))

    // a run of the library names the same folder
    const row = library.createRun(
      {
        name: 'leaky',
        status: 'completed',
        method: 'adversarial',
        parent: { hash: info.hash, path: modelDir, name: 'tiny' },
        data: { path: '/images', contentHash: 'b'.repeat(64) },
        target: JSON.stringify({ kind: 'folder' }),
        settings: JSON.stringify({ hyperparameters: null, bsa: null }),
        steps: 10,
      },
      () => run,
    )
    const byRun = await api.inspect.leakageCheckpoints({ ...request, runId: row.id, judge: 'discriminator' })
    expect(byRun.checkpoints.map((c) => c.leakage)).toEqual(fromStudio.checkpoints.map((c) => c.leakage))
    expect((await failure(api.inspect.leakageCheckpoints({ ...request, runId: 999 }))).message).toMatch(/run 999/)
  })

  it("gives a point's top-k classes by D's evidence, as imageEvidence scores the rendered image", async () => {
    const point = await pointOf(7, 1)
    const { top, scores, judge } = await api.inspect.evidence({ point, k: 2 })
    const rendered = await api.images.render({ view: 'test', points: [point] })
    const evidence = await imageEvidence(local, rgbaToRgb(rendered.pixels), 1)
    expect(judge.name).toBe('discriminator')
    expect(Array.from(scores)).toEqual(Array.from(evidence))
    expect(top).toEqual(topClasses(evidence, info.classNames, 2))
  })

  it("ranks the point's own class among all of the judge's classes, also below the top k, and none for a blend", async () => {
    const point = await pointOf(7, 2)
    const { scores, intended } = await api.inspect.evidence({ point, k: 1, judge: 'discriminator' })
    const above = Array.from(scores).filter((v, i) => v > scores[2] || (v === scores[2] && i < 2)).length
    expect(intended).toEqual({ class: 2, name: info.classNames[2], column: 2, rank: above + 1 })
    const blend = { ...point, y: Float32Array.from(point.y, (_, i) => (i < 2 ? 0.5 : 0)) }
    expect((await api.inspect.evidence({ point: blend, judge: 'discriminator' })).intended).toBeNull()
  })

  it('says a generator-only model has no class evidence, and what to use instead', async () => {
    const full = BigGANModel.initialise(tinyConfig(), 3)
    const tensors = full.tensors()
    full.dispose()
    const gOnly = BigGANModel.fromTensors(tinyConfig(), { G: tensors.G })
    const dir = join(temp.dir, 'g-only')
    await saveModel(gOnly, dir, { source: 'init', notes: 'generator only' })
    gOnly.dispose()
    const opened = await api.models.open({ path: dir })
    try {
      expect(opened.hasDiscriminator).toBe(false)
      const point = await pointOf(1, 0)
      const err = await failure(api.inspect.evidence({ point }))
      expect(err.message).toMatch(/generator-only/)
      expect(err.message).toMatch(/classifier/)
    } finally {
      info = await api.models.open({ path: modelDir })
    }
  })

  it('gives a saliency map of R·R values in [0, 1] for a point and for a leakage sample', async () => {
    const point = await pointOf(2, 0)
    const a = await api.inspect.saliency({ point, class: 2, judge: 'discriminator' })
    const b = await api.inspect.saliency({ sample: { class: 0, seed: 2, truncation: 1 }, class: 2 })
    for (const s of [a, b]) {
      expect(s.resolution).toBe(32)
      expect(s.map.length).toBe(32 * 32)
      expect(Math.min(...s.map)).toBeGreaterThanOrEqual(0)
      expect(Math.max(...s.map)).toBeCloseTo(1, 6)
      expect(s.class).toBe(2)
      expect(Number.isFinite(s.score)).toBe(true)
    }
    const err = await failure(api.inspect.saliency({ class: 0 }))
    expect(err.code).toBe('bad-input')
  })

  it("renders a cell's samples with the class the matrix detected for each", async () => {
    const report = await api.inspect.leakage({ ...options, truncations: [0.5], judge: 'discriminator' })
    const row = 1
    const cells = report.truncations[0].seeds[row]
    const detected = cells.findIndex((s) => s.length > 0)
    const cell = await api.inspect.cell({ class: options.classes[row], seeds: cells[detected], truncation: 0.5, k: 3, judge: 'discriminator' })
    expect(cell.images).toMatchObject({ width: 32, height: 32, count: cells[detected].length })
    expect(cell.images.pixels.length).toBe(cells[detected].length * 32 * 32 * 4)
    expect(cell.detected).toEqual(cells[detected].map(() => detected))
    expect(cell.top.every((t) => t.length === 3 && t[0].class === detected)).toBe(true)
  })

  it("measures with no truncation ('none', z ~ N(0, I)) as the engine does, and renders its cells and saliency alike", async () => {
    const none = { classes: [0, 1], seeds: 3, firstSeed: 5, truncations: [null, 1] }
    const fromStudio = await api.inspect.leakage({ ...none, judge: 'discriminator' })
    const direct = await leakageMatrix(local, 'discriminator', none)
    expect(fromStudio.truncations.map((t) => t.truncation)).toEqual([null, 1])
    expect(fromStudio.truncations.map((t) => t.counts)).toEqual(direct.truncations.map((t) => t.counts))
    const row = fromStudio.truncations[0].seeds[1]
    const detected = row.findIndex((s) => s.length > 0)
    const cell = await api.inspect.cell({ class: 1, seeds: row[detected], truncation: null, k: 1, judge: 'discriminator' })
    expect(cell.detected).toEqual(row[detected].map(() => detected))
    const s = await api.inspect.saliency({ sample: { class: 1, seed: row[detected][0], truncation: null }, class: detected, judge: 'discriminator' })
    expect(s.map.length).toBe(32 * 32)
  })

  it('stops a running leakage matrix when its job is cancelled, and serves the next request', async () => {
    const seen = new Promise<void>((resolve) => {
      const off = studio.subscribe((e) => {
        if (e.type === 'progress' && e.job === 'inspect:leakage') {
          off()
          resolve()
        }
      })
    })
    const running = api.inspect.leakage({ classes: [0, 1, 2], seeds: 400, truncations: [1, 0.8, 0.6], judge: 'discriminator' })
    await seen
    expect(await api.jobs.cancel({ job: 'inspect:leakage' })).toEqual({ cancelled: true })
    const err = await failure(running)
    expect(err.code).toBe('cancelled')
    const after = await api.inspect.leakage({ classes: [0], seeds: 1, truncations: [1], judge: 'discriminator' })
    expect(after.truncations[0].counts[0].reduce((a, b) => a + b, 0)).toBe(1)
  })

  it('rejects classes the model does not have, and truncations outside the contract', async () => {
    expect((await failure(api.inspect.leakage({ classes: [5], seeds: 1, truncations: [1] }))).code).toBe('bad-input')
    expect((await failure(api.inspect.leakage({ classes: [0], seeds: 1, truncations: [9] }))).code).toBe('bad-input')
    expect((await failure(api.inspect.leakage({ classes: [0], seeds: 1, truncations: [1], judge: { folder: join(temp.dir, 'nothing') } }))).message).toMatch(
      /not an extractor|judge/,
    )
  })
})
