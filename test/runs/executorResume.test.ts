// A run whose steps onnxruntime computes resumes exactly as one on TensorFlow.js does: run.json records the executor
// and its threads, `resume` takes them again, and a run cancelled half-way and resumed ends with the same weights,
// EMA and optimiser moments, bit for bit, as one that never stopped — DiffAugment's draws included. 'auto' times
// both executors once per machine and step shape (TensorFlow.js's trial in a thread of its own) and takes the faster.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backendInfo, initBackend } from '../../main/backend/backend.ts'
import { loadCheckpoint } from '../../main/disk/modelFolder.ts'
import type { TrainOptions } from '../../main/engine/train/settings.ts'
import { defaultConfig } from '../../main/engine/config.ts'
import { BigGANModel } from '../../main/engine/model.ts'
import { bsaStartingModel, createBsaState } from '../../main/engine/finetune/batchStatisticsAdaptation.ts'
import { chooseBsaStep, TRAINING_TIMINGS_FILE } from '../../main/runs/executor.ts'
import type { ExecutorRequest } from '../../main/runs/executorNames.ts'
import { timeTfjsTrainingStep } from '../../main/runs/tfjsTrial.ts'
import { resumeRun, startTraining, type RunListener, type TrainRequest } from '../../main/runs/run.ts'
import { tinyImageFolder } from '../finetune-studio/helpers.ts'
import { differing } from '../train/helpers.ts'

let work: string
let images: string
beforeAll(async () => {
  await initBackend()
  work = await mkdtemp(join(tmpdir(), 'biggan-executor-'))
  images = await tinyImageFolder(join(work, 'images'))
  process.env.BIGGAN_CACHE_DIR = join(work, 'cache') // 'auto''s timings: this test's own
})
afterAll(() => rm(work, { recursive: true, force: true }))

const cacheFile = (): string => join(work, 'cache', TRAINING_TIMINGS_FILE)
const cachedTimings = async (): Promise<Record<string, { ms: number }>> => JSON.parse(await readFile(cacheFile(), 'utf8'))

const options: TrainOptions = {
  steps: 4, batchSize: 4, augmentPolicies: ['color', 'translation', 'cutout'], augmentP: 0.5, orthogonalRegularisation: 1e-4, emaStart: 1, logEvery: 1, spectraEvery: 2,
  checkpointEvery: 100, previewEvery: 100, previewCount: 4, seed: 3,
}
const onnx: ExecutorRequest = { name: 'onnx', source: 'the test', threads: 1 }

function request(name: string, o: TrainOptions = options, executor: ExecutorRequest = onnx): TrainRequest {
  return { dataDir: images, arch: 'biggan', resolution: 32, ch: 4, attention: 16, options: o, runDir: join(work, name), executor }
}

async function runJson(name: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(work, name, 'run.json'), 'utf8'))
}

describe('a run on onnxruntime', () => {
  it('records its executor, and a cancelled run resumed on it ends bit for bit where an uninterrupted one does', async () => {
    const notes: string[] = []
    expect((await startTraining(request('straight'), { onNote: (l) => notes.push(l) })).status).toBe('completed')
    expect(notes).toContain('steps computed by onnxruntime (CPU, 1 thread): asked for (the test)')
    expect((await runJson('straight')).executor).toEqual({ name: 'onnx', label: 'onnxruntime (CPU, 1 thread)', reason: 'asked for (the test)', threads: 1 })

    const stop = new AbortController()
    const listener: RunListener = { signal: stop.signal, onProgress: (p) => p.step === 2 && stop.abort() }
    expect(await startTraining(request('interrupted'), listener)).toMatchObject({ status: 'cancelled', step: 2 })
    const resumedNotes: string[] = []
    expect((await resumeRun(join(work, 'interrupted'), {}, { onNote: (l) => resumedNotes.push(l) })).status).toBe('completed')
    expect(resumedNotes).toContain('steps computed by onnxruntime (CPU, 1 thread), as the run started')

    const a = await loadCheckpoint(join(work, 'straight', 'latest'))
    const b = await loadCheckpoint(join(work, 'interrupted', 'latest'))
    try {
      const ta = a.model.tensors()
      const tb = b.model.tensors()
      expect(differing(ta.G, tb.G)).toEqual([])
      expect(differing(ta.D!, tb.D!)).toEqual([])
      expect(differing(ta.ema!, tb.ema!)).toEqual([])
      expect(a.optimiser.size).toBeGreaterThan(0)
      expect(differing(a.optimiser, b.optimiser)).toEqual([])
    } finally {
      a.model.dispose()
      b.model.dispose()
    }
  })

  it("'auto' times both executors once per machine and step shape, takes the faster, says why and records it", async () => {
    const auto: ExecutorRequest = { name: 'auto', source: 'the default' }
    const notes: string[] = []
    await startTraining(request('auto', { ...options, steps: 1 }, auto), { onNote: (l) => notes.push(l) })
    expect(notes.filter((l) => l.startsWith('timing one training step on'))).toEqual([
      expect.stringMatching(/^timing one training step on onnxruntime \(CPU, \d threads?\) \(once per machine and step shape\)$/),
      expect.stringMatching(/^timing one training step on TensorFlow\.js \(wasm, \d threads?\) \(once per machine and step shape\)$/),
    ])
    const timings = await cachedTimings()
    expect(Object.keys(timings)).toHaveLength(2)
    const [onnxMs, tfjsMs] = ['onnxruntime', 'TensorFlow.js'].map((w) => Object.entries(timings).find(([k]) => k.includes(`| ${w} (`))![1].ms)
    const faster = onnxMs <= tfjsMs ? 'onnx' : 'tfjs'
    const said = notes.find((l) => l.startsWith('steps computed by'))!
    expect(said).toMatch(/^steps computed by (onnxruntime|TensorFlow\.js) .*: faster here: .* \d+ ms per step \(measured now\), .* \d+ ms per step \(measured now\)$/)
    expect((await runJson('auto')).executor).toMatchObject({ name: faster, reason: said.slice(said.indexOf('faster here')) })

    // a second run of that shape takes the kept timings without timing again
    const again: string[] = []
    await startTraining(request('auto-again', { ...options, steps: 1 }, auto), { onNote: (l) => again.push(l) })
    expect(again.some((l) => l.startsWith('timing'))).toBe(false)
    expect(again.find((l) => l.startsWith('steps computed by'))).toMatch(/faster here: .*\(measured \d{4}-\d{2}-\d{2}\), .*\(measured \d{4}-\d{2}-\d{2}\)$/)
    expect((await runJson('auto-again')).executor).toMatchObject({ name: faster })
  })

  it("'auto' follows the timings: TensorFlow.js where it is faster, onnxruntime where TensorFlow.js's step does not run", async () => {
    const auto: ExecutorRequest = { name: 'auto', source: 'the default' }
    const timings = await cachedTimings()
    const onnxKey = Object.keys(timings).find((k) => k.includes('| onnxruntime ('))!
    const tfjsKey = Object.keys(timings).find((k) => k.includes('| TensorFlow.js ('))!
    await writeFile(cacheFile(), JSON.stringify({ [onnxKey]: { ms: 900, measuredAt: '2026-01-02T00:00:00Z' }, [tfjsKey]: { ms: 300, measuredAt: '2026-01-02T00:00:00Z' } }))
    await startTraining(request('tfjs-faster', { ...options, steps: 1 }, auto))
    expect((await runJson('tfjs-faster')).executor).toMatchObject({
      name: 'tfjs',
      reason: expect.stringMatching(/^faster here: TensorFlow\.js \(wasm, \d threads?\) 300 ms per step \(measured 2026-01-02\), onnxruntime \(CPU, \d threads?\) 900 ms per step \(measured 2026-01-02\)$/),
    })
    await writeFile(cacheFile(), JSON.stringify({ [onnxKey]: { ms: 900, measuredAt: '2026-01-02T00:00:00Z' }, [tfjsKey]: { failed: 'it ran out of memory', measuredAt: '2026-01-02T00:00:00Z' } }))
    await startTraining(request('tfjs-fails', { ...options, steps: 1 }, auto))
    expect((await runJson('tfjs-fails')).executor).toMatchObject({ name: 'onnx', reason: expect.stringMatching(/TensorFlow\.js \(wasm, \d threads?\) did not run a step \(measured 2026-01-02: it ran out of memory\)$/) })
  })
})

describe("BSA's 'auto'", () => {
  it('times BSA\'s gradients on both executors without changing the state, and takes the faster', async () => {
    const model = BigGANModel.initialise(defaultConfig('biggan', 32, 4, 3, 16), 0)
    const pixels = Float32Array.from({ length: 6 * 32 * 32 * 3 }, (_, i) => Math.sin(i) * 0.9)
    const state = createBsaState(bsaStartingModel(model), { pixels, labels: [0, 1, 2, 0, 1, 2], count: 6 }, { steps: 4, lr: 1e-3, batch: 4, seed: 1 })
    try {
      const before = { G: state.model.tensors().G, latents: state.latents.dataSync().slice() }
      const notes: string[] = []
      const { compiled, record } = await chooseBsaStep(state, { name: 'auto', source: 'the default' }, (l) => notes.push(l))
      await compiled?.dispose()
      expect(notes).toEqual([
        expect.stringMatching(/^timing one training step on onnxruntime \(CPU, \d threads?\)/),
        expect.stringMatching(/^timing one training step on TensorFlow\.js \(wasm, \d threads?\)/),
      ])
      expect(record.reason).toMatch(/^faster here: .* \d+ ms per step \(measured now\), .* \d+ ms per step \(measured now\)$/)
      expect(record.name).toBe(record.reason.startsWith('faster here: onnxruntime') ? 'onnx' : 'tfjs')
      expect(compiled === undefined).toBe(record.name === 'tfjs')
      expect(differing(before.G, state.model.tensors().G)).toEqual([])
      expect(state.latents.dataSync()).toEqual(before.latents)
      expect(state.step).toBe(0)
    } finally {
      state.dispose()
      model.dispose()
    }
  })
})

describe("'auto''s TensorFlow.js trial", () => {
  it('times a step in a thread of its own on wasm, where a step too large for the heap fails without harming this process', async () => {
    const small = BigGANModel.initialise(defaultConfig('biggan', 32, 4, 3, 16), 0)
    const big = BigGANModel.initialise(defaultConfig('biggan', 64, 4, 3, 0), 0)
    try {
      expect(await timeTfjsTrainingStep(small, { batchSize: 4, dSteps: 1, augment: ['translation'] }, backendInfo())).toBeGreaterThan(0)
      await expect(timeTfjsTrainingStep(big, { batchSize: 16384, dSteps: 1, augment: [] }, backendInfo())).rejects.toThrow(
        /^its step does not fit the wasm backend's heap of at most 4 GiB \(wasm said: /,
      )
      // this process's wasm module carries on
      expect((await small.generate(new Float32Array(small.config.zDim), Float32Array.of(1, 0, 0))).length).toBe(32 * 32 * 3)
    } finally {
      small.dispose()
      big.dispose()
    }
  })
})
