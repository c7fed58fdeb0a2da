// The fine-tune view's back end end to end, as a renderer drives it: scan a folder, plan, start a run on its own
// worker, watch its events, pause and resume it, read its run folder (the CLI's), open its best checkpoint as a
// model, render favourites with its checkpoints, and survive a crashed worker and a restarted studio.
// Tiny model and folder; a handful of steps per run.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelInfo, Run, StudioEvent } from '../../preload/contract/index.ts'
import { chooseMethod } from '../../main/engine/finetune/chooseMethod'
import { RunFolder } from '../../main/runs/folder'
import { encodePng } from '../../main/images/png'
import { Library } from '../../main/store/index'
import { biggan } from '../cli/inProcess'
import { failure, openStudio, type Harness } from '../services/harness'
import { CLASS_NAMES, tinyImageFolder, tinyModelFolder, training } from './helpers'

let work: string
let dataDir: string
let images: string
let parent: { dir: string; hash: string }
let library: Library
let h: Harness
let model: ModelInfo

/** Settings that make every step count: a checkpoint, preview and copying check every 2 steps, spectra too. */
/** A run's computesOn under 'auto': on wasm (the tests' backend unless BIGGAN_BACKEND says otherwise) the faster of
 *  the step compiled for onnxruntime, on the training-threads setting's threads, and TensorFlow.js's (timed once). */
function expectComputesOn(computesOn: string | null, threads: number): void {
  if ((process.env.BIGGAN_BACKEND ?? 'wasm') === 'wasm') {
    if (computesOn?.startsWith('TensorFlow.js')) expect(computesOn).toMatch(/^TensorFlow\.js \(wasm, \d+ threads?\)$/)
    else expect(computesOn).toBe(`onnxruntime (CPU, ${threads} thread${threads === 1 ? '' : 's'})`)
  } else expect(computesOn).toMatch(/^(TensorFlow\.js|onnxruntime)/)
}

const quick = {
  batchSize: 4,
  checkpointEvery: 2,
  previewEvery: 2,
  previewCount: 4,
  logEvery: 1,
  spectraEvery: 2,
  memorisationEvery: 2,
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'biggan-finetune-studio-'))
  dataDir = join(work, 'app-data')
  images = await tinyImageFolder(join(work, 'flowers'))
  parent = await tinyModelFolder(join(work, 'tiny'))
  library = Library.open(join(dataDir, 'library.sqlite'))
  h = openStudio(dataDir, library)
  model = await h.api.models.open({ path: parent.dir })
})

afterAll(async () => {
  await h?.studio.close()
  library?.close()
  await rm(work, { recursive: true, force: true })
})


const isPng = (bytes: Uint8Array): boolean => bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47
const pngSide = (bytes: Uint8Array): number => Buffer.from(bytes).readUInt32BE(16)
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0

describe('reading a folder and planning a fine-tune', () => {
  it('scans a folder: counts per class, the failed and the ignored file and why, thumbnails and the held-out split', async () => {
    const since = h.events.length
    const scan = await h.api.data.scan({ path: images })
    expect(scan.resolution).toBe(model.resolution)
    expect(scan.classes.map((c) => c.name)).toEqual(['blue', 'red'])
    expect(scan.classes.map((c) => c.train + c.heldOut)).toEqual([6, 6])
    expect(scan.classes.map((c) => c.failed)).toEqual([0, 1])
    expect(scan.failed).toEqual([{ relPath: 'red/broken.png', reason: expect.stringMatching(/cannot decode/) }])
    expect(scan.failedCount).toBe(1)
    expect(scan.ignored).toBe(1)
    expect(scan.ignoredFiles).toEqual([{ relPath: 'notes.txt', reason: 'not an image: only .jpg, .jpeg, .png and .webp files are read' }])
    expect(scan.train + scan.heldOut).toBe(12)
    expect(scan.heldOut).toBe(4) // a third at most of 12 images
    expect(scan.warnings.join('\n')).toMatch(/only 12 usable image/)
    expect(scan.contentHash).toMatch(/^[0-9a-f]{64}$/)
    for (const c of scan.classes) {
      expect(c.thumbnails.length).toBe(4)
      for (const png of c.thumbnails) {
        expect(isPng(png)).toBe(true)
        expect(pngSide(png)).toBeLessThanOrEqual(64)
      }
    }
    expect(h.events.slice(since).some((e) => e.type === 'progress' && e.job === 'data:scan')).toBe(true)
  })

  it("plans the method the engine and the CLI choose, with the CLI's reason", async () => {
    const plan = await h.api.finetune.plan({ data: images, target: { kind: 'folder' }, steps: 10 })
    const choice = chooseMethod({
      hasDiscriminator: true,
      imageCount: plan.trainImages,
      folderClasses: ['blue', 'red'],
      modelClasses: CLASS_NAMES,
      discriminatorBlocks: 4,
    })
    expect(plan).toMatchObject({ defaultMethod: choice.method, method: choice.method, reason: choice.reason, newClasses: [] })
    expect(plan.defaultMethod).toBe('bsa') // 8 training images
    expect(plan.classes).toEqual([
      { folder: 'blue', name: 'blue', modelClass: 1 },
      { folder: 'red', name: 'red', modelClass: 0 },
    ])
    expect(plan.bsa).toMatchObject({ steps: 10, batchSize: plan.trainImages })
    const cli = await biggan('finetune', '--model', parent.dir, '--data', images, '--steps', '1', '--out', join(work, 'cli-bsa'))
    expect(cli.code, cli.err).toBe(0)
    expect(cli.err).toContain(plan.reason)
  })

  it('resolves every setting of the chosen method for the advanced fold, overrides included', async () => {
    const plan = await h.api.finetune.plan({ data: images, target: { kind: 'folder' }, method: 'adversarial', steps: 10, advanced: { lrG: 1e-5 } })
    expect(plan.method).toBe('adversarial')
    expect(plan.defaultMethod).toBe('bsa')
    expect(plan.bsa).toBeNull()
    expect(plan.hyperparameters).toMatchObject({
      steps: 10,
      warmupSteps: 0,
      batchSize: 8,
      lrG: 1e-5,
      lrD: 8e-5,
      orthogonalRegularisation: 0,
      freezeD: 3, // FreezeD: 4 under 500 images, kept below D's 4 blocks
      augmentPolicies: ['color', 'translation', 'cutout'],
      augmentAdaptive: true,
      // the EMA's half-life: at most a tenth of the run's images (10 steps × 8), so it follows G within the run
      emaDecay: 0.5 ** (8 / Math.min(10_000, 0.1 * 10 * 8)),
      emaStart: 0,
      keepCheckpoints: 10,
      classStepFactor: null,
    })
  })

  it('says what to change when a target does not fit the folder', async () => {
    const err = await failure(h.api.finetune.plan({ data: images, target: { kind: 'new', name: 'tulip' }, steps: 10 }))
    expect(err.message).toMatch(/one-class folder, but this folder has 2 classes/)
    const newClass = await h.api.finetune.plan({ data: join(images, 'red'), target: { kind: 'new', name: 'tulip' }, method: 'adversarial', steps: 10 })
    expect(newClass).toMatchObject({ method: 'new-class', newClasses: ['tulip'], classes: [{ folder: 'red', name: 'tulip', modelClass: null }] })
    expect(newClass.hyperparameters?.classStepFactor).toBe(10)
  })
})

describe('a fine-tuning run', () => {
  let run: Run

  it('starts on its own worker and reports progress, metrics with spectra, previews and checkpoints', async () => {
    run = await h.api.finetune.start({ data: images, target: { kind: 'folder' }, method: 'adversarial', steps: 6, advanced: quick, name: 'flowers' })
    expect(run).toMatchObject({ status: 'running', active: true, method: 'adversarial', step: 0, steps: 6, name: 'flowers' })
    expect(run.parent).toEqual({ hash: model.hash, path: model.path, name: model.name })
    expect(run.runDir).toBe(join(dataDir, 'runs', `${run.id}-flowers`))
    expect(run.hyperparameters).toMatchObject({ steps: 6, batchSize: 4, checkpointEvery: 2 })

    const refused = await failure(h.api.finetune.start({ data: images, target: { kind: 'folder' }, method: 'adversarial', steps: 2 }))
    expect(refused.message).toMatch(/is training .* one run trains at a time/)
    const kept = await failure(h.api.runs.delete({ id: run.id }))
    expect(kept.message).toMatch(/is training: cancel it first, then delete it/)

    // previews keep working while it trains
    const { z } = await h.api.latents.sample({ seed: 1, count: 1, truncation: 1 })
    const frame = await h.api.images.render({ view: 'explore', points: [{ z, y: new Float32Array([1, 0, 0]), truncation: 1 }] })
    expect(frame.count).toBe(1)

    await h.next(training(run.id, 'checkpoint'))
    const paused = await h.api.finetune.pause({ id: run.id })
    expect(paused).toMatchObject({ status: 'paused', active: false })
    expect(paused.step).toBeGreaterThanOrEqual(2)
    expect(paused.step).toBeLessThan(6)

    const seen = h.events.filter((e) => e.training?.runId === run.id).map((e) => e.training!)
    const progress = seen.find((t) => t.kind === 'progress')!.progress!
    expect(progress).toMatchObject({ step: 1, steps: 6 })
    expect(Number.isFinite(progress.losses.dLoss) && Number.isFinite(progress.losses.gLoss)).toBe(true)
    expect(progress.imagesPerSecond).toBeGreaterThan(0)
    const withSpectra = seen.find((t) => t.kind === 'metrics' && t.metrics?.spectra)!.metrics!
    expect(withSpectra.step).toBe(2)
    const layer = withSpectra.spectra!.find((l) => l.net === 'G')!
    expect(layer.sigma).toHaveLength(3)
    expect(withSpectra.spectra!.some((l) => l.net === 'D')).toBe(true)
    expect(seen.filter((t) => t.kind === 'preview').map((t) => t.step)).toEqual(expect.arrayContaining([0, 2]))
    expect(seen.some((t) => t.kind === 'memorisation' && t.step === 2)).toBe(true)
    expect(seen.find((t) => t.kind === 'checkpoint')).toMatchObject({ step: 2, best: true })
    expect(seen.filter((t) => t.kind === 'status').map((t) => t.status)).toEqual(['running', 'paused'])
    expect(library.getRun(run.id)).toMatchObject({ status: 'paused', step: paused.step })
  })

  it('resumes to the steps it was started with, and the run folder is the one the CLI writes', async () => {
    const since = h.events.length
    const resumed = await h.api.finetune.resume({ id: run.id })
    expect(resumed).toMatchObject({ status: 'running', active: true })
    await h.next(training(run.id, 'status', 'completed'), since)
    const done = (await h.api.runs.list()).find((r) => r.id === run.id)!
    expect(done).toMatchObject({ status: 'completed', step: 6, steps: 6, active: false })
    expect(done.bestStep).not.toBeNull()

    const folder = await RunFolder.open(run.runDir)
    await folder.close()
    expect(folder.info).toMatchObject({ kind: 'finetune', method: 'adversarial', status: 'completed', step: 6, parent: { dir: parent.dir, contentHash: parent.hash } })
    const steps = readFileSync(join(run.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step)
    expect(steps).toEqual([1, 2, 3, 4, 5, 6]) // what the pause logged past its checkpoint was dropped on resume
    const info = await biggan('info', '--model', join(run.runDir, 'latest'))
    expect(info.code, info.err).toBe(0)
    expect(info.out).toMatch(/source\s+finetune/)
    expect(info.out).toMatch(/classes\s+3: red; blue; green/)
  })

  it('lists its metrics, checkpoints, previews and copying checks, and serves their files', async () => {
    const detail = await h.api.runs.get({ id: run.id })
    expect(detail.run.status).toBe('completed')
    expect(detail.metrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6])
    expect(detail.metricsTotal).toBe(6)
    expect(detail.metrics.filter((m) => m.spectra).map((m) => m.step)).toEqual([2, 4, 6])
    expect(detail.checkpoints.map((c) => c.step)).toEqual(expect.arrayContaining([2, 4, 6]))
    expect(detail.checkpoints.find((c) => c.step === 6)).toMatchObject({ latest: true })
    expect(detail.checkpoints.filter((c) => c.best).map((c) => c.step)).toEqual([detail.run.bestStep])
    expect(detail.previews).toEqual(expect.arrayContaining([0, 2, 4, 6]))
    expect(detail.memorisation).toEqual(expect.arrayContaining([2, 4, 6]))

    const { png, grid } = await h.api.runs.preview({ id: run.id, step: 2 })
    expect(isPng(png)).toBe(true)
    // 4 samples of 32 px in 2 columns, with a 2 px gap: the layout the engine tiled, sized as the PNG is
    expect(grid).toEqual({ count: 4, columns: 2, rows: 2, cell: 32, gap: 2, width: 70, height: 70 })
    expect([Buffer.from(png).readUInt32BE(16), Buffer.from(png).readUInt32BE(20)]).toEqual([grid.width, grid.height])
    // a preview written before the layout was recorded: the default layout of its samples, sized by its width
    const older = encodePng(new Uint8Array(70 * 70 * 3), 70, 70, { 'biggan-preview': JSON.stringify({ step: 99, seed: 0, classes: [0, 1, 2, 3] }) })
    writeFileSync(join(run.runDir, 'previews', 'step-000099.png'), older)
    expect((await h.api.runs.preview({ id: run.id, step: 99 })).grid).toEqual(grid)
    const memo = await h.api.runs.memorisation({ id: run.id, step: 2 })
    expect(memo.samples).toHaveLength(4)
    const named = new Set(memo.samples.flatMap((s) => s.pixels.map((n) => n.relPath)))
    expect(named.size).toBeGreaterThan(0)
    expect(memo.thumbnails.map((t) => t.relPath).sort()).toEqual([...new Set([...named, ...memo.samples.flatMap((s) => (s.features ?? []).map((n) => n.relPath))])].sort())
    expect(memo.thumbnails.every((t) => isPng(t.png) && pngSide(t.png) <= 64)).toBe(true)
    expect(memo.missing).toEqual([])

    const missing = await failure(h.api.runs.preview({ id: run.id, step: 5 }))
    expect(missing.message).toMatch(/no preview at step 5/)
  })

  it('renders favourites with a checkpoint: the same step twice alike, two steps apart different', async () => {
    const point = async (seed: number, cls: number) => {
      const { z } = await h.api.latents.sample({ seed, count: 1, truncation: 1 })
      const y = new Float32Array(3)
      y[cls] = 1
      return { z, y, truncation: 1, seed }
    }
    const a = await h.api.favourites.save({ point: await point(3, 0), name: 'a red one', tags: [], notes: '', rating: 0 })
    const b = await h.api.favourites.save({ point: await point(4, 1), name: 'a blue one', tags: [], notes: '', rating: 0 })
    // of another model: two classes (padded with a zero), and a z this model does not take
    const fewerClasses = library.saveFavourite({
      ...a, name: 'older model', parentId: null, modelHash: 'other', y: new Float32Array([0, 1]), seed: undefined,
    })
    const otherZ = library.saveFavourite({ ...a, name: 'other z', parentId: null, modelHash: 'other', z: new Float32Array(7), seed: undefined })
    const ids = [a.id, b.id, fewerClasses.id, otherZ.id, 999_999]

    const first = await h.api.runs.watch({ id: run.id, step: 2, favouriteIds: ids })
    expect(first.rendered).toEqual([a.id, b.id, fewerClasses.id])
    expect(first.skipped.map((s) => s.id).sort()).toEqual([otherZ.id, 999_999].sort())
    expect(first.skipped.find((s) => s.id === otherZ.id)!.reason).toMatch(/z has 7 values/)
    expect(first.images).toMatchObject({ width: 32, height: 32, count: 3 })
    expect(first.images.pixels.length).toBe(3 * 32 * 32 * 4)

    const [again, later] = await Promise.all([
      h.api.runs.watch({ id: run.id, step: 2, favouriteIds: ids }),
      h.api.runs.watch({ id: run.id, step: 6, favouriteIds: ids }),
    ])
    expect(same(again.images.pixels, first.images.pixels)).toBe(true)
    expect(same(later.images.pixels, first.images.pixels)).toBe(false)
    const size = 32 * 32 * 4
    // the padded favourite is class 1 (blue) with a's z: not a's image
    expect(same(first.images.pixels.subarray(2 * size, 3 * size), first.images.pixels.subarray(0, size))).toBe(false)

    const gone = await failure(h.api.runs.watch({ id: run.id, step: 5, favouriteIds: ids }))
    expect(gone.message).toMatch(/no checkpoint at step 5/)
  })

  it('opens its best checkpoint as the current model, with provenance', async () => {
    const detail = await h.api.runs.get({ id: run.id })
    const since = h.events.length
    const opened = await h.api.runs.open({ id: run.id, which: 'best' })
    expect(opened.model.path).toBe(join(run.runDir, 'best'))
    expect(opened.model.name).toBe(`${run.id}-flowers best`)
    expect(opened.step).toBe(detail.run.bestStep)
    expect(opened.provenance).toMatchObject({
      parent: { hash: parent.hash, path: parent.dir },
      data: { path: detail.run.data.path, contentHash: detail.run.data.contentHash },
      method: 'adversarial',
      hyperparameters: { steps: 6 },
    })
    expect(opened.model.provenance).toMatch(/^fine-tuned with BigGAN Studio from .*tiny/)
    expect(opened.model.provenance).toContain(`parent model ${parent.hash.slice(0, 8)}`)
    expect(opened.model.provenance).toContain(detail.run.data.contentHash.slice(0, 12))
    expect(await h.api.models.current()).toEqual(opened.model)
    expect((await h.api.models.recent()).map((m) => m.path)).toContain(join(run.runDir, 'best'))
    expect(h.events.slice(since).some((e: StudioEvent) => e.type === 'model' && e.model?.path === opened.model.path)).toBe(true)
    const holding = await failure(h.api.runs.delete({ id: run.id }))
    expect(holding.message).toMatch(/holds the open model .*: open another model first/)
    model = await h.api.models.open({ path: parent.dir }) // back to the parent for the runs below
  })
})

describe('a BSA run, the default for a small folder', () => {
  it('pauses at a step with a checkpoint, resumes to its last step, and its latest/ and best/ open as a model', async () => {
    const since = h.events.length
    const run = await h.api.finetune.start({ data: images, target: { kind: 'folder' }, steps: 24 })
    expect(run).toMatchObject({ method: 'bsa', status: 'running', steps: 24, hyperparameters: null, bsa: { steps: 24, batchSize: 8 } })
    await h.next(training(run.id, 'progress'), since)
    const paused = await h.api.finetune.pause({ id: run.id })
    expect(paused).toMatchObject({ status: 'paused', active: false })
    expect(paused.step).toBeGreaterThan(0)
    expect(paused.step).toBeLessThan(24)
    expect(paused.bestStep).toBe(paused.step)
    const progress = h.events.slice(since).find(training(run.id, 'progress'))!.training!.progress!
    expect(Number.isFinite(progress.losses.total)).toBe(true)

    // what computes its steps, on the training-threads setting's threads; a resume keeps both (the same kernels
    // continue it bit for bit), whatever the setting says by then
    const threads = Math.max(1, availableParallelism() - 1)
    expectComputesOn(paused.computesOn, threads)
    await h.api.settings.set({ training: { threads: 2, executor: 'auto' } })
    const resumed = await h.api.finetune.resume({ id: run.id })
    await h.api.settings.set({ training: { threads: 'auto', executor: 'auto' } })
    expect(resumed).toMatchObject({ status: 'running', active: true, step: paused.step })
    expectComputesOn(resumed.computesOn, threads)
    await h.next(training(run.id, 'status', 'completed'), since)
    const statuses = h.events.slice(since).filter(training(run.id, 'status')).map((e) => e.training!.status)
    expect(statuses).toEqual(['running', 'paused', 'running', 'completed'])
    const detail = await h.api.runs.get({ id: run.id })
    expect(detail.run).toMatchObject({ status: 'completed', step: 24, bestStep: 24 })
    expect(detail.checkpoints).toEqual([{ step: paused.step, best: false, latest: false }, { step: 24, best: true, latest: true }])
    // its reconstruction losses, one record a step across the pause, as they came live: the charts after a restart
    expect(detail.metrics.map((m) => m.step)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1))
    expect(detail.metrics.every((m) => Number.isFinite(m.reconstruction?.total) && Number.isFinite(m.reconstruction?.l1))).toBe(true)
    const live = h.events.slice(since).filter(training(run.id, 'metrics')).map((e) => e.training!.metrics)
    expect(live).toEqual(detail.metrics)
    const opened = await h.api.runs.open({ id: run.id, which: 'latest' })
    expect(opened.model.provenance).toMatch(/method bsa/)
    model = await h.api.models.open({ path: parent.dir })
  })
})

describe('what computes the steps', () => {
  it("follows the studio's setting: onnxruntime's compiled step trains the run, the run says so, and its resume keeps it", async () => {
    const since = h.events.length
    await h.api.settings.set({ training: { threads: 1, executor: 'onnx' } })
    try {
      const run = await h.api.finetune.start({
        data: images, target: { kind: 'folder' }, method: 'adversarial', steps: 4, advanced: quick, name: 'compiled',
      })
      expect(run.computesOn).toBe('onnxruntime (CPU, 1 thread)')
      await h.next(training(run.id, 'checkpoint'), since)
      const paused = await h.api.finetune.pause({ id: run.id })
      expect(paused.step).toBeLessThan(4)
      // the setting changes, the run keeps what it started on: the same kernels continue it bit for bit
      await h.api.settings.set({ training: { threads: 1, executor: 'tfjs' } })
      const resumed = await h.api.finetune.resume({ id: run.id })
      expect(resumed.computesOn).toBe('onnxruntime (CPU, 1 thread)')
      await h.next(training(run.id, 'status', 'completed'), since)
      const folder = await RunFolder.open(run.runDir)
      await folder.close()
      expect(folder.info.executor).toMatchObject({ name: 'onnx', label: 'onnxruntime (CPU, 1 thread)', reason: 'asked for (the studio setting)' })
    } finally {
      await h.api.settings.set({ training: { threads: 'auto', executor: 'auto' } })
    }
  })
})

describe('runs that stop unexpectedly', () => {
  let id: number

  it('marks a run whose worker crashed interrupted, keeping its checkpoints', async () => {
    const run = await h.api.finetune.start({
      data: images, target: { kind: 'folder' }, method: 'adversarial', steps: 4,
      advanced: { ...quick, checkpointEvery: 1, memorisationEvery: 0 }, name: 'crashy',
    })
    id = run.id
    await h.next(training(id, 'checkpoint'))
    h.studio.finetune.crashRunForTesting()
    const event = await h.next(training(id, 'status', 'interrupted'))
    expect(event.training!.message).toMatch(/stopped unexpectedly/)
    expect(library.getRun(id)).toMatchObject({ status: 'interrupted' })
    expect(readdirSync(join(run.runDir, 'checkpoints')).some((n) => n.startsWith('step-'))).toBe(true)
  })

  it("marks a row left 'running' by an app that stopped interrupted when the studio starts, and resumes it", async () => {
    await h.studio.close()
    library.updateRun(id, { status: 'running', lastError: null }) // what a process killed mid-run leaves behind
    h = openStudio(dataDir, library)
    const row = (await h.api.runs.list()).find((r) => r.id === id)!
    expect(row).toMatchObject({ status: 'interrupted', active: false, lastError: expect.stringMatching(/app stopped/) })

    // no model open: resuming needs only the run folder
    const resumed = await h.api.finetune.resume({ id })
    expect(resumed).toMatchObject({ status: 'running', active: true })
    await h.next(training(id, 'status', 'completed'))
    expect(library.getRun(id)).toMatchObject({ status: 'completed', step: 4 })
  })

  it('cancels a run for good, keeping its checkpoints, and refuses to cancel it twice', async () => {
    const since = h.events.length
    const more = await h.api.finetune.resume({ id, steps: 8 })
    expect(more).toMatchObject({ status: 'running', steps: 8 })
    await h.next(training(id, 'checkpoint'), since)
    const cancelled = await h.api.finetune.cancel({ id })
    expect(cancelled).toMatchObject({ status: 'cancelled', active: false })
    expect(cancelled.step).toBeGreaterThan(4)
    const detail = await h.api.runs.get({ id })
    expect(detail.checkpoints.length).toBeGreaterThan(0)
    expect(existsSync(join(detail.run.runDir, 'latest', 'config.json'))).toBe(true)
    const twice = await failure(h.api.finetune.cancel({ id }))
    expect(twice.message).toMatch(/cancelled already/)
  })

  it('deletes a cancelled run: its row and its run folder', async () => {
    const { run: { runDir } } = await h.api.runs.get({ id })
    expect(await h.api.runs.delete({ id })).toEqual({ id, runDir, folderRemoved: true })
    expect(existsSync(runDir)).toBe(false)
    expect((await h.api.runs.list()).some((r) => r.id === id)).toBe(false)
    expect((await failure(h.api.runs.get({ id }))).message).toMatch(new RegExp(`${id}`))
  })
})
