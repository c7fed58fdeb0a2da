// A run whose steps onnxruntime computes resumes exactly as one on TensorFlow.js does: run.json records the executor
// and its threads, `resume` takes them again, and a run cancelled half-way and resumed ends with the same weights,
// EMA and optimiser moments, bit for bit, as one that never stopped — DiffAugment's draws included. 'auto' takes
// onnxruntime on the wasm backend and says why.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend.ts'
import { loadCheckpoint } from '../../main/disk/modelFolder.ts'
import type { TrainOptions } from '../../main/engine/train/settings.ts'
import type { ExecutorRequest } from '../../main/runs/executorNames.ts'
import { resumeRun, startTraining, type RunListener, type TrainRequest } from '../../main/runs/run.ts'
import { tinyImageFolder } from '../finetune-studio/helpers.ts'
import { differing } from '../train/helpers.ts'

let work: string
let images: string
beforeAll(async () => {
  await initBackend()
  work = await mkdtemp(join(tmpdir(), 'biggan-executor-'))
  images = await tinyImageFolder(join(work, 'images'))
})
afterAll(() => rm(work, { recursive: true, force: true }))

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

  it("'auto' takes onnxruntime on the wasm backend, says why, and records it", async () => {
    const notes: string[] = []
    await startTraining(request('auto', { ...options, steps: 1 }, { name: 'auto', source: 'the default' }), { onNote: (l) => notes.push(l) })
    expect(notes.find((l) => l.startsWith('steps computed by'))).toMatch(/^steps computed by onnxruntime \(CPU, \d threads?\): onnxruntime's native kernels train faster than TensorFlow\.js's wasm backend$/)
    expect((await runJson('auto')).executor).toMatchObject({ name: 'onnx' })
  })
})
