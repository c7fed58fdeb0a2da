// The inference runtime setting end to end: settings:set stores it and the engine worker switches the open model's
// previews at once (engine:info.previews says which path serves), it survives a restart of the studio, and
// BIGGAN_RUNTIME overrides it, with the state saying so.
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Library } from '../../main/store/index'
import { tempDir } from '../engine-host/helpers'
import { failure, openStudio, type Harness } from './harness'

let temp: Awaited<ReturnType<typeof tempDir>>
let library: Library
const ONNX_LABEL = /^onnx \((CPU, \d+ threads?|CUDA|CoreML|DirectML)\)$/

beforeAll(async () => {
  temp = await tempDir('settings')
  library = Library.open(join(temp.dir, 'data', 'library.sqlite'))
})

afterAll(async () => {
  library?.close()
  await temp?.remove()
})

async function withStudio(env: NodeJS.ProcessEnv, fn: (h: Harness) => Promise<void>): Promise<void> {
  const h = openStudio(join(temp.dir, 'data'), library, join(temp.dir, 'resources'), env)
  try {
    await fn(h)
  } finally {
    await h.studio.close()
  }
}

describe('the inference runtime setting', () => {
  it('switches the open model between TensorFlow.js and onnxruntime without a restart, and says which serves', async () => {
    await withStudio({}, async ({ api }) => {
      await api.models.openDefault()
      let state = await api.settings.set({ inference: { runtime: 'tfjs', threads: 'auto' } })
      expect(state.inference).toMatchObject({ previews: 'tfjs', override: null })
      expect(state.inference.reason).toBe('TensorFlow.js was asked for (the studio setting)')
      expect((await api.engine.info()).previews).toBe('tfjs')

      state = await api.settings.set({ inference: { runtime: 'onnx', threads: 1 } })
      expect(state.settings.inference).toEqual({ runtime: 'onnx', threads: 1 })
      expect(state.inference.previews).toMatch(ONNX_LABEL)
      expect(state.inference.reason).toBe('onnxruntime was asked for (the studio setting)')
      expect((await api.engine.info()).previews).toMatch(ONNX_LABEL)
      const point = { z: (await api.latents.sample({ seed: 1, count: 1, truncation: 0.8 })).z, y: new Float32Array(10).fill(0.1), truncation: 0.8 }
      expect((await api.images.render({ view: 'settings-test', points: [point] })).count).toBe(1)
    })
  })

  it('is kept: a restarted studio opens the model on it', async () => {
    await withStudio({}, async ({ api }) => {
      expect((await api.settings.get()).settings.inference).toEqual({ runtime: 'onnx', threads: 1 })
      await api.models.openDefault()
      expect((await api.engine.info()).previews).toMatch(ONNX_LABEL)
    })
  })

  it('gives way to BIGGAN_RUNTIME, and the state says so', async () => {
    await withStudio({ BIGGAN_RUNTIME: 'tfjs' }, async ({ api }) => {
      await api.models.openDefault()
      const state = await api.settings.get()
      expect(state.settings.inference.runtime).toBe('onnx')
      expect(state.inference.previews).toBe('tfjs')
      expect(state.inference.override).toBe('BIGGAN_RUNTIME=tfjs is set, and overrides this setting')
      expect(state.inference.reason).toBe('TensorFlow.js was asked for (BIGGAN_RUNTIME)')
    })
  })

  it('refuses a runtime or thread count the contract does not know', async () => {
    await withStudio({}, async ({ api }) => {
      expect((await failure(api.settings.set({ inference: { runtime: 'torch' as never, threads: 'auto' } }))).code).toBe('bad-input')
      expect((await failure(api.settings.set({ inference: { runtime: 'onnx', threads: 0 } }))).message).toContain('inference.threads')
    })
  })
})

describe('the fine-tuning threads setting', () => {
  it("starts at 'auto' (every core but one), is stored, survives a restart, and refuses a bad count", async () => {
    await withStudio({}, async ({ api }) => {
      const before = await api.settings.get()
      expect(before.settings.training).toEqual({ threads: 'auto', executor: 'auto' })
      expect(before.training).toEqual({ threads: Math.max(1, availableParallelism() - 1), override: null })
      const state = await api.settings.set({ training: { threads: 3, executor: 'tfjs' } })
      expect(state.settings.training).toEqual({ threads: 3, executor: 'tfjs' })
      expect(state.training).toEqual({ threads: 3, override: null })
      expect(state.settings.inference).toEqual(before.settings.inference) // the other setting is left as it was
      expect((await failure(api.settings.set({ training: { threads: 0, executor: 'auto' } }))).message).toContain('training.threads')
      expect((await failure(api.settings.set({ training: { threads: 'max' as never, executor: 'auto' } }))).code).toBe('bad-input')
      expect((await failure(api.settings.set({ training: { threads: 2, executor: 'cuda' as never } }))).code).toBe('bad-input')
    })
    await withStudio({}, async ({ api }) => {
      expect((await api.settings.get()).settings.training).toEqual({ threads: 3, executor: 'tfjs' })
    })
  })

  it('gives way to BIGGAN_WASM_THREADS, and the state says so', async () => {
    await withStudio({ BIGGAN_WASM_THREADS: '2' }, async ({ api }) => {
      const state = await api.settings.get()
      expect(state.settings.training).toEqual({ threads: 3, executor: 'tfjs' })
      expect(state.training.threads).toBe(2)
      expect(state.training.override).toBe('BIGGAN_WASM_THREADS=2 is set, and overrides this setting: runs train on 2 threads')
    })
  })
})
