// Generator metrics in the studio, as a renderer sees them: metrics:* through the router and buildStudioApi,
// with the real engine worker holding a tiny model and a tiny folder of real images written here, checked against the
// engine's own functions run here on the same model folder, folder and seed.
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelInfo, StudioApi, StudioEvent } from '../../preload/contract/index.ts'
import { loadImageFolder } from '../../main/data/dataset'
import { initBackend } from '../../main/backend/backend'
import { discriminatorExtractor } from '../../main/engine/inspect/extractors'
import { defaultResourcesDir } from '../../main/disk/resources'
import { diversityFidelityCurve, realFeatures } from '../../main/engine/inspect/generatorMetrics'
import { chooseRealImages } from '../../main/engine/inspect/realImages'
import { BigGANModel } from '../../main/engine/model'
import { Random } from '../../main/engine/sampling/random'
import { encodePng } from '../../main/images/png'
import type { Studio } from '../../main/services/studio'
import { Library } from '../../main/store/index'
import { tempDir, tinyModelFolder } from '../engine-host/helpers'
import { failure, openStudio } from './harness'
import { loadModel } from '../../main/disk/modelFolder'

let temp: Awaited<ReturnType<typeof tempDir>>
let library: Library
let studio: Studio
let api: StudioApi
let events: StudioEvent[]
let info: ModelInfo
let modelDir: string
let resourcesDir: string
let reals: string // 'class 0'/ and 'class 1'/, 8 PNGs each

beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
  temp = await tempDir('metrics-studio')
  const tiny = await tinyModelFolder(temp.dir)
  tiny.model.dispose()
  modelDir = tiny.dir
  // the app's resources: the bundled classifier, and the same tiny model as the bundled (read-only) default model
  resourcesDir = join(temp.dir, 'resources')
  mkdirSync(resourcesDir)
  symlinkSync(join(defaultResourcesDir(), 'fashion-mnist-classifier'), join(resourcesDir, 'fashion-mnist-classifier'))
  ;(await tinyModelFolder(resourcesDir, 'default-model')).model.dispose()
  reals = join(temp.dir, 'reals')
  const rng = new Random(5)
  for (const cls of ['class 0', 'class 1']) {
    mkdirSync(join(reals, cls), { recursive: true })
    for (let i = 0; i < 8; i++) {
      const rgb = Uint8Array.from({ length: 32 * 32 * 3 }, () => Math.floor(rng.uniform() * 256))
      writeFileSync(join(reals, cls, `${i}.png`), encodePng(rgb, 32, 32))
    }
  }
  library = Library.open(join(temp.dir, 'data', 'library.sqlite'))
  ;({ studio, api, events } = openStudio(join(temp.dir, 'data'), library, resourcesDir))
  info = await api.models.open({ path: modelDir })
})

afterAll(async () => {
  await studio?.close()
  library?.close()
  await temp?.remove()
})

const request = { realFolder: '', n: 8, truncations: [null, 0.5], seed: 3, kidSubsets: 5 }

describe('generator metrics in the studio', () => {
  it('stores the numbers the engine computes for the same model, folder and seed, with the extractor hash and the counts', async () => {
    const since = events.length
    const record = await api.metrics.compute({ ...request, realFolder: reals, extractor: 'discriminator' })

    const local = await loadModel(modelDir)
    try {
      const extractor = discriminatorExtractor(local)
      const dataset = await loadImageFolder(reals, { resolution: 32, seed: 3, heldOut: { fraction: 0, min: 0, max: 0 } })
      const chosen = chooseRealImages(dataset, { limit: 8, seed: 3 })
      const real = await realFeatures(extractor, chosen.pixels, chosen.count)
      const direct = await diversityFidelityCurve(local, extractor, real, {
        n: 8,
        classes: [0, 1, 2],
        seed: 3,
        truncations: [null, 0.5],
        realSource: { source: dataset.dir, contentHash: dataset.contentHash },
        comparison: { kid: { subsets: 5, seed: 3 } },
      })
      expect(record.points).toEqual(
        direct.points.map((p) => ({
          truncation: p.truncation,
          fd: p.fid,
          kid: p.kid,
          precision: p.precision,
          recall: p.recall,
          density: p.density,
          coverage: p.coverage,
        })),
      )
      expect(record).toMatchObject({
        kind: 'curve',
        model: { hash: info.hash, path: info.path, name: info.name },
        extractor: { kind: 'discriminator', name: 'discriminator', hash: extractor.hash, dims: extractor.dims },
        real: { path: dataset.dir, hash: dataset.contentHash, count: 8 },
        fakeCount: 8,
        class: null,
        settings: { truncations: [null, 0.5], seed: 3, realLimit: 8, kidSubsets: 5, k: { precisionRecall: 3, densityCoverage: 5 } },
        note: direct.note,
        saveNote: null,
      })
    } finally {
      local.dispose()
    }
    expect(record.note).toMatch(/not comparable with published FID/)
    expect(await api.metrics.list({})).toEqual([record])
    const saved = JSON.parse(readFileSync(record.savedTo as string, 'utf8'))
    expect(record.savedTo?.startsWith(join(modelDir, 'metrics'))).toBe(true)
    expect(saved.extractorHash).toBe(record.extractor.hash)
    expect(saved.points.map((p: { fid: number }) => p.fid)).toEqual(record.points.map((p) => p.fd))
    const progress = events.slice(since).filter((e) => e.type === 'progress' && e.job === 'metrics:compute')
    expect(progress.some((e) => e.label === 'images generated and measured' && e.done === 16 && e.total === 16)).toBe(true)
  })

  it("measures with D by default for a model the bundled classifier does not know, and one class against its subfolder", async () => {
    expect(await api.metrics.defaultExtractor()).toEqual({ extractor: 'discriminator' })
    const record = await api.metrics.compute({ ...request, realFolder: reals, truncations: [1], class: 1 })
    expect(record).toMatchObject({ kind: 'metrics', class: 1, extractor: { kind: 'discriminator' }, real: { count: 8 } })
    const list = await api.metrics.list({ modelHash: info.hash })
    expect(list[0].id).toBe(record.id)
    expect(await api.metrics.delete({ id: record.id })).toEqual({ deleted: true })
    expect((await api.metrics.list({})).map((r) => r.id)).not.toContain(record.id)
  })

  it("keeps a bundled model's numbers in the library only, and measures with the bundled classifier", async () => {
    const bundled = await api.models.openDefault()
    try {
      expect(bundled.isDefault && !bundled.isRandom).toBe(true)
      const record = await api.metrics.compute({ ...request, realFolder: reals, truncations: [1], extractor: 'classifier' })
      expect(record.extractor).toMatchObject({ kind: 'classifier', name: 'fashion-mnist-classifier', dims: 128 })
      expect(record.savedTo).toBeNull()
      expect(record.saveNote).toMatch(/read-only/)
      expect(existsSync(join(resourcesDir, 'default-model', 'metrics'))).toBe(false)
    } finally {
      info = await api.models.open({ path: modelDir })
    }
  })

  it('stops a running measurement when its job is cancelled, stores nothing, and serves the next request', async () => {
    const before = (await api.metrics.list({})).length
    const generating = new Promise<void>((resolve) => {
      const off = studio.subscribe((e) => {
        if (e.type === 'progress' && e.job === 'metrics:compute' && e.label === 'images generated and measured') {
          off()
          resolve()
        }
      })
    })
    const running = api.metrics.compute({ ...request, realFolder: reals, extractor: 'discriminator', n: 5000, truncations: [1, 0.8, 0.6] })
    await generating
    expect(await api.jobs.cancel({ job: 'metrics:compute' })).toEqual({ cancelled: true })
    expect((await failure(running)).code).toBe('cancelled')
    expect(await api.metrics.list({})).toHaveLength(before)
    const after = await api.metrics.compute({ ...request, realFolder: reals, extractor: 'discriminator', truncations: [1] })
    expect(after.points).toHaveLength(1)
  })

  it('says what is wrong with the folder, the extractor or the request, and what to do', async () => {
    const missing = await failure(api.metrics.compute({ ...request, realFolder: join(temp.dir, 'nowhere') }))
    expect(missing.message).toMatch(/image folder not found: .*nowhere/)

    const empty = join(temp.dir, 'empty')
    mkdirSync(empty)
    writeFileSync(join(empty, 'notes.txt'), 'no images here')
    expect((await failure(api.metrics.compute({ ...request, realFolder: empty }))).message).toMatch(/no images in .*empty/)

    const notAModel = join(temp.dir, 'not-a-model')
    mkdirSync(notAModel)
    writeFileSync(join(notAModel, 'weights.bin'), 'x')
    const notModel = await failure(api.metrics.compute({ ...request, realFolder: reals, extractor: { folder: notAModel } }))
    expect(notModel.message).toMatch(/extractor in .*not-a-model could not be opened/)
    expect(notModel.message).toMatch(/model\.json/)
    const noFolder = await failure(api.metrics.compute({ ...request, realFolder: reals, extractor: { folder: join(temp.dir, 'absent') } }))
    expect(noFolder.message).toMatch(/there is no folder .*absent/)

    const noSubfolder = await failure(api.metrics.compute({ ...request, realFolder: reals, class: 2 }))
    expect(noSubfolder.message).toMatch(/no subfolder for class 'class 2'/)
    const few = join(temp.dir, 'few')
    mkdirSync(few)
    for (let i = 0; i < 4; i++) writeFileSync(join(few, `${i}.png`), encodePng(new Uint8Array(32 * 32 * 3).fill(40 * i), 32, 32))
    expect((await failure(api.metrics.compute({ ...request, realFolder: few }))).message).toMatch(/has 4 usable real image\(s\).*at least 6/)

    expect((await failure(api.metrics.compute({ ...request, realFolder: reals, class: 5 }))).code).toBe('bad-input')
    expect((await failure(api.metrics.compute({ ...request, realFolder: reals, truncations: [] }))).code).toBe('bad-input')
    expect((await failure(api.metrics.compute({ ...request, realFolder: reals, truncations: [0.5, 0.5] }))).code).toBe('bad-input')
    expect((await failure(api.metrics.compute({ ...request, realFolder: reals, n: 3 }))).code).toBe('bad-input')
  })
})
