import { describe, expect, it, vi } from 'vitest'
import { BACKEND_NAMES, BackendError, backendInfo, initBackend } from '../../main/backend/backend.ts'
import { tf } from '../../main/engine/tf.ts'

describe('TensorFlow.js backend selection', () => {
  it('loads the wasm backend and says whether SIMD runs', async () => {
    const info = await initBackend({ backend: 'wasm' })
    expect(info.name).toBe('wasm')
    expect(tf.getBackend()).toBe('wasm')
    expect(typeof info.simd).toBe('boolean')
    expect(info.threads).toBeGreaterThanOrEqual(1)
    expect(info.version).toBe(tf.version.tfjs)
    expect(info.tried).toEqual([{ name: 'wasm', ok: true }])
    expect(backendInfo()).toBe(info)
  })

  it('computes gradients and chained ops on wasm (the full tfjs package registers them)', async () => {
    await initBackend({ backend: 'wasm' })
    const x = tf.tensor1d([1, 2, 3])
    const dx = tf.grad((t: tf.Tensor) => tf.mean(tf.square(t)))(x)
    const expected = [2 / 3, 4 / 3, 2].map((v) => expect.closeTo(v, 6))
    expect(Array.from(dx.dataSync())).toEqual(expected)
    expect(x.reshape([3, 1]).shape).toEqual([3, 1])
    tf.dispose([x, dx])
  })

  it('is idempotent: a second call without a choice returns the same info', async () => {
    const first = await initBackend({ backend: 'wasm' })
    const [a, b] = await Promise.all([initBackend(), initBackend()])
    expect(a).toBe(first)
    expect(b).toBe(first)
  })

  it('loads the cpu backend when forced, then switches back', async () => {
    const cpu = await initBackend({ backend: 'cpu' })
    expect(cpu.name).toBe('cpu')
    expect(cpu.simd).toBe(false)
    expect(tf.getBackend()).toBe('cpu')
    const wasm = await initBackend({ backend: 'wasm' })
    expect(wasm.name).toBe('wasm')
    expect(tf.getBackend()).toBe('wasm')
  })

  it('refuses an unknown backend name with the list of known ones', async () => {
    const err = await initBackend({ backend: 'tpu' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BackendError)
    expect((err as BackendError).code).toBe('unknown-backend')
    expect((err as Error).message).toContain("unknown backend 'tpu'")
    for (const name of BACKEND_NAMES) expect((err as Error).message).toContain(name)
  })

  it('refuses an unknown BIGGAN_BACKEND, naming the variable', async () => {
    const saved = process.env.BIGGAN_BACKEND
    process.env.BIGGAN_BACKEND = 'gpu'
    try {
      await expect(initBackend()).rejects.toThrow(/BIGGAN_BACKEND=gpu/)
    } finally {
      process.env.BIGGAN_BACKEND = saved
    }
  })

  it('fails loudly, without falling back, when a forced native backend is not installed', async () => {
    const before = tf.getBackend()
    const err = await initBackend({ backend: 'tfjs-node' }).catch((e: unknown) => e)
    if (!(err instanceof BackendError)) {
      // tfjs-node is installed on this machine: it loaded, which is what forcing it asks for.
      expect(backendInfo().name).toBe('tfjs-node')
      return
    }
    expect(err.code).toBe('backend-unavailable')
    expect(err.message).toMatch(/tfjs-node backend was requested .* did not load/)
    expect(err.message).toContain('npm install @tensorflow/tfjs-node')
    expect(tf.getBackend()).toBe(before)
  })

  it('without a choice, tries tfjs-node-gpu, tfjs-node, wasm, cpu in order and keeps the first to load', async () => {
    const saved = process.env.BIGGAN_BACKEND
    delete process.env.BIGGAN_BACKEND
    try {
      vi.resetModules() // a fresh backend module: nothing chosen yet
      const fresh = await import('../../main/backend/backend.ts')
      const info = await fresh.initBackend()
      const names = info.tried.map((t) => t.name)
      expect(names).toEqual(BACKEND_NAMES.slice(0, names.length))
      expect(info.tried.at(-1)).toEqual({ name: info.name, ok: true })
      for (const failed of info.tried.slice(0, -1)) {
        expect(failed.ok).toBe(false)
        expect(failed.error).toBeTruthy()
      }
    } finally {
      process.env.BIGGAN_BACKEND = saved
    }
  })
})
