// Exact resume: a run cancelled half-way and resumed from its checkpoint ends with the same
// G, D, EMA and optimiser tensors, the same session state and the same metrics log as a run that never stopped.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend.ts'
import { BigGANModel } from '../../main/engine/model.ts'
import { RunFolder, type NewRunInfo } from '../../main/runs/folder.ts'
import { trainRun } from '../../main/runs/run.ts'
import { TrainingSession, type SessionState } from '../../main/engine/train/session.ts'
import { discriminatorBlocks, resolveTrainSettings, type TrainSettings } from '../../main/engine/train/settings.ts'
import { differing, tinyData, tinyModel } from '../train/helpers.ts'
import { loadCheckpoint, loadModel } from '../../main/disk/modelFolder.ts'

let work: string
beforeAll(async () => {
  await initBackend({}) // BIGGAN_BACKEND: wasm unless the environment asks for cpu
  work = mkdtempSync(join(tmpdir(), 'biggan-resume-'))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

function settings(model: BigGANModel): TrainSettings {
  const dBlocks = discriminatorBlocks(model.D!.specs().map((s) => s.name))
  // augmentation at p 0.5 and orthogonal regularisation on, EMA averaging from step 2: every stream matters
  return resolveTrainSettings(
    'train',
    { steps: 6, batchSize: 4, augmentP: 0.5, emaStart: 2, logEvery: 1, spectraEvery: 3, checkpointEvery: 100, previewEvery: 100, previewCount: 4, seed: 11 },
    { trainImages: 12, dBlocks },
  )
}

function info(s: TrainSettings): NewRunInfo {
  return {
    kind: 'train',
    settings: s,
    data: { dir: 'memory', contentHash: 'test', classes: ['c0', 'c1'], classMap: [0, 1], train: 12, heldOut: 4 },
    parent: null,
    model: { arch: 'biggan', resolution: 32, gChannels: 4, dChannels: 4, numClasses: 2 },
  }
}

/** metrics lines without the wall-clock rate */
function metrics(dir: string): unknown[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => {
    const { imagesPerSecond: _, ...rest } = JSON.parse(l) as Record<string, unknown>
    return rest
  })
}

describe('cancelling and resuming a run', () => {
  it('cancelling finishes the current step and leaves a usable checkpoint in latest/', async () => {
    // B: cancelled while step 3 reports its progress: the loop finishes the step, writes a checkpoint, returns
    const modelB = tinyModel()
    const b = TrainingSession.create(modelB, tinyData(), settings(modelB))
    const runB = await RunFolder.create(join(work, 'B'), info(b.settings))
    const stop = new AbortController()
    const cancelled = await trainRun(runB, b, { signal: stop.signal, onProgress: (p) => p.step === 3 && stop.abort() })
    expect(cancelled).toMatchObject({ status: 'cancelled', step: 3 })
    await b.dispose()
    modelB.dispose()

    // the cancelled run's latest/ is a usable model folder, and run.json says what happened
    const latest = await loadModel(join(work, 'B', 'latest'))
    expect((latest.manifest!.state as unknown as SessionState).step).toBe(3)
    latest.dispose()
    expect(JSON.parse(readFileSync(join(work, 'B', 'run.json'), 'utf8'))).toMatchObject({ status: 'cancelled', step: 3 })
  })

  it('resumes an interrupted run to the same weights as an uninterrupted run', async () => {
    // A: six steps straight
    const modelA = tinyModel()
    const a = TrainingSession.create(modelA, tinyData(), settings(modelA))
    const runA = await RunFolder.create(join(work, 'A'), info(a.settings))
    expect((await trainRun(runA, a)).status).toBe('completed')

    // B (cancelled at step 3 above), resumed from its newest checkpoint
    const reopened = await RunFolder.open(join(work, 'B'))
    const [newest] = await reopened.checkpoints()
    expect(newest.step).toBe(3)
    const { model: modelC, optimiser } = await loadCheckpoint(newest.dir)
    const c = TrainingSession.restore(modelC, optimiser, tinyData(), modelC.manifest!.state as unknown as SessionState)
    await reopened.truncateMetrics(c.step)
    expect((await trainRun(reopened, c)).status).toBe('completed')

    // every G, D, EMA and optimiser tensor bit for bit, the session state (random streams, batch order, ADA,
    // monitor) and the metrics log
    const ta = modelA.tensors()
    const tc = modelC.tensors()
    expect(differing(ta.G, tc.G)).toEqual([])
    expect(differing(ta.D!, tc.D!)).toEqual([])
    expect(differing(ta.ema!, tc.ema!)).toEqual([])
    expect(differing(a.optimiserTensors(), c.optimiserTensors())).toEqual([])
    expect(a.optimiserTensors().size).toBeGreaterThan(0)
    expect(c.snapshot()).toEqual(a.snapshot())
    expect(metrics(join(work, 'B'))).toEqual(metrics(join(work, 'A')))
    for (const s of [a, c]) await s.dispose()
    modelA.dispose()
    modelC.dispose()
  })
})
