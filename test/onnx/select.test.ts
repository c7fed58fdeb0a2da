// Which runtime serves inference: 'auto' times both once per machine and model size and keeps the answer; a
// flag or BIGGAN_RUNTIME forces one; onnxruntime falls back to the CPU, recording why each faster provider was
// passed over; `biggan eval --runtime onnx` reproduces the reference fixture.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromFloat32, toFloat32 } from '../../main/tensors/convert'
import { readSafetensors, writeSafetensors } from '../../main/checkpoints/safetensors'
import { initBackend } from '../../main/backend/backend'
import { defaultConfig } from '../../main/engine/config'
import { BigGANModel } from '../../main/engine/model'
import { requestedRuntime } from '../../main/onnx/runtime-names'
import { createSession, ortVersion } from '../../main/onnx/runtime'
import { GraphBuilder, OPSET } from '../../main/onnx/graph'
import { concatChunks, encodeModel } from '../../main/onnx/proto'
import { CACHE_ENV_VAR } from '../../main/onnx/cacheFolder'
import { describeRuntimes, openInference, runtimeReportLines } from '../../main/onnx/select'
import { countParameters } from '../../main/engine/module'
import { buildGenerator } from '../../main/engine/networks/index'
import { biggan } from '../cli/inProcess'
import { classVectors, fixtures, maxAbsDiff, nhwc, reference } from './helpers'

let work: string
beforeAll(async () => {
  await initBackend()
  work = await mkdtemp(join(tmpdir(), 'biggan-onnx-select-'))
})
afterAll(() => rm(work, { recursive: true, force: true }))

/** Runs fn with BIGGAN_RUNTIME set to `value` (unset where undefined), restoring the test run's afterwards. */
async function withRuntimeEnv<T>(value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.BIGGAN_RUNTIME
  if (value === undefined) delete process.env.BIGGAN_RUNTIME
  else process.env.BIGGAN_RUNTIME = value
  try {
    return await fn()
  } finally {
    if (saved === undefined) delete process.env.BIGGAN_RUNTIME
    else process.env.BIGGAN_RUNTIME = saved
  }
}

describe('choosing the inference runtime', () => {
  it("'auto' times TensorFlow.js and onnxruntime at 1 thread and one per core once per machine and model size, then reuses the timings", async () => {
    const cacheDir = join(work, 'auto')
    const model = BigGANModel.initialise(defaultConfig('biggan', 32, 4, 3, 0), 0)
    const first = await openInference(model, { runtime: 'auto', cacheDir, tfjsBackend: 'wasm' })
    const cores = availableParallelism()
    const onnxTimes = cores > 1 ? `onnx 1 thread \\d+ ms, onnx ${cores} threads \\d+ ms` : 'onnx 1 thread \\d+ ms'
    expect(first.reason).toMatch(new RegExp(`^fastest here: ${onnxTimes}, tfjs \\(wasm\\) \\d+ ms per image, measured now$`))
    const timings = JSON.parse(readFileSync(join(cacheDir, 'runtime-timings.json'), 'utf8')) as Record<string, { ms: number }>
    expect(Object.keys(timings)).toHaveLength(cores > 1 ? 3 : 2)
    // the fastest candidate is the one that serves
    const fastest = Object.entries(timings).reduce((a, b) => (b[1].ms < a[1].ms ? b : a))[0]
    expect(fastest.includes('| tfjs wasm |')).toBe(first.runtime === 'tfjs')
    if (first.runtime === 'onnx') expect(fastest).toContain(`onnxruntime ${ortVersion()} ${first.label.slice('onnx ('.length, -1)} |`)
    await first.dispose()

    const second = await openInference(model, { runtime: 'auto', cacheDir, tfjsBackend: 'wasm' })
    expect(second.reason).toMatch(/measured \d{4}-\d{2}-\d{2}$/)
    expect(second.runtime).toBe(first.runtime)
    expect(second.label).toBe(first.label)
    // whichever serves, it computes the model's images
    const z = new Float32Array(80).fill(0.2)
    const y = classVectors(3, [2])
    expect(maxAbsDiff(await second.generate(z, y), await model.generate(z, y))).toBeLessThanOrEqual(1e-4)
    await second.dispose()
    model.dispose()
  })

  it('takes the runtime a flag names over BIGGAN_RUNTIME, and that over the default', () => {
    expect(requestedRuntime(undefined, '--runtime', {})).toEqual({ name: 'auto', source: 'the default' })
    expect(requestedRuntime(undefined, '--runtime', { BIGGAN_RUNTIME: 'tfjs' })).toEqual({ name: 'tfjs', source: 'BIGGAN_RUNTIME' })
    expect(requestedRuntime('onnx', '--runtime', { BIGGAN_RUNTIME: 'tfjs' })).toEqual({ name: 'onnx', source: '--runtime' })
    expect(() => requestedRuntime('torch')).toThrow(/unknown runtime 'torch' \(from --runtime\): choose one of onnx, tfjs, auto/)
  })

  it('forced runtimes serve as asked, and say so', async () => {
    const model = BigGANModel.initialise(defaultConfig('biggan', 32, 4, 3, 0), 0)
    const onnx = await openInference(model, { runtime: 'onnx', source: '--runtime', cacheDir: join(work, 'forced'), tfjsBackend: 'wasm' })
    const tfjs = await openInference(model, { runtime: 'tfjs', source: '--runtime', cacheDir: join(work, 'forced'), tfjsBackend: 'wasm' })
    expect(onnx.label).toMatch(/^onnx \((CPU, \d+ threads?|CUDA|CoreML|DirectML)\)$/)
    expect(onnx.reason).toMatch(/^onnxruntime was asked for \(--runtime\)(; fastest here: onnx 1 thread \d+ ms, onnx \d+ threads \d+ ms per image, measured now)?$/)
    expect(tfjs.label).toBe('tfjs')
    await onnx.dispose()
    await tfjs.dispose()
    model.dispose()
  })

  it('serves onnxruntime with the thread count the setting names, untimed', async () => {
    const model = BigGANModel.initialise(defaultConfig('biggan', 32, 4, 3, 0), 0)
    const cacheDir = join(work, 'threads')
    const onnx = await openInference(model, { runtime: 'onnx', source: 'the studio setting', threads: 1, cacheDir, tfjsBackend: 'wasm' })
    expect(onnx.label).toMatch(/^onnx \((CPU, 1 thread|CUDA|CoreML|DirectML)\)$/)
    expect(onnx.reason).toBe('onnxruntime was asked for (the studio setting)')
    expect(existsSync(join(cacheDir, 'runtime-timings.json'))).toBe(false)
    await onnx.dispose()
    model.dispose()
  })

  it("describes for `biggan info` what serves a model size once 'auto' has timed it, with the timings", async () => {
    const cacheDir = join(work, 'auto') // timed by the first test
    const config = defaultConfig('biggan', 32, 4, 3, 0)
    const parametersG = countParameters(buildGenerator(config).specs())
    const report = await withRuntimeEnv(undefined, () => describeRuntimes({ cacheDir, tfjsBackend: 'wasm', model: { config, parametersG } }))
    expect(report.requested).toEqual({ name: 'auto', source: 'the default' })
    expect(report.previews?.runtime).toMatch(/^(onnx|tfjs)$/)
    expect(report.previews?.timings.length).toBe(availableParallelism() > 1 ? 3 : 2)
    expect(report.previews?.reason).toMatch(/^fastest here: onnx 1 thread \d+ ms.* per image, measured \d{4}-\d{2}-\d{2}$/)
    expect(runtimeReportLines(report).find((l) => l.startsWith('previews'))).toMatch(/^previews  (onnx \(CPU, \d+ threads?\)|tfjs): fastest here/)
    const unmeasured = await withRuntimeEnv(undefined, () => describeRuntimes({ cacheDir: join(work, 'none'), tfjsBackend: 'wasm', model: { config, parametersG } }))
    expect(unmeasured.previews).toMatchObject({ runtime: null, timings: [] })
    expect(unmeasured.previews?.reason).toContain('not measured yet for this model size on wasm')
  })

  it('falls back to the CPU provider, recording why each other provider was passed over', async () => {
    const g = new GraphBuilder('identity')
    g.output(g.relu(g.input('x', 'float', [1]), 'relu'), 'y', 'float', [1])
    const bytes = concatChunks(encodeModel({ graph: g.graph(), opset: OPSET, producer: { name: 't', version: '0' }, docString: '', metadata: {} }))
    const { session, info } = await createSession(bytes, { providers: ['no-such-provider'], threads: 1 })
    expect(info.provider).toBe('cpu')
    expect(info.tried[0]).toMatchObject({ name: 'no-such-provider', ok: false })
    expect(info.tried[0].reason).toMatch(/no no-such-provider provider/)
    expect(info.tried.at(-1)).toEqual({ name: 'cpu', ok: true })
    await session.release()
  })
})

describe('biggan eval and sample --runtime', () => {
  let previous: string | undefined
  beforeAll(() => {
    previous = process.env[CACHE_ENV_VAR]
    process.env[CACHE_ENV_VAR] = join(work, 'cli-cache')
  })
  afterAll(() => {
    if (previous === undefined) delete process.env[CACHE_ENV_VAR]
    else process.env[CACHE_ENV_VAR] = previous
  })

  it('evals the imported HF fixture on onnxruntime within 1e-4 of the reference', async () => {
    const model = join(work, 'hf')
    expect((await biggan('import', join(fixtures, 'hf-biggan-deep'), '--out', model)).code).toBe(0)
    const ref = reference('hf-biggan-deep')
    const inPath = join(work, 'in.safetensors')
    const outPath = join(work, 'out.safetensors')
    writeFileSync(inPath, writeSafetensors(new Map([['z', ref.get('t2.z')!], ['y', ref.get('t2.y')!], ['truncation', ref.get('t2.truncation')!]])))
    const r = await biggan('eval', '--model', model, '--in', inPath, '--out', outPath, '--runtime', 'onnx')
    expect(r.err).toBe('')
    expect(r.out).toMatch(/on onnx \(/)
    const image = toFloat32(readSafetensors(new Uint8Array(readFileSync(outPath))).tensors.get('image')!)
    expect(maxAbsDiff(image, nhwc(ref.get('t2.image_nchw')!))).toBeLessThan(1e-4)
  })

  it('evals the imported BigGAN-PyTorch fixture (G and D) on onnxruntime within 1e-4 of the reference', async () => {
    const model = join(work, 'bp')
    expect((await biggan('import', join(fixtures, 'biggan-pytorch'), '--out', model)).code).toBe(0)
    const ref = reference('biggan-pytorch')
    const inPath = join(work, 'in-bp.safetensors')
    const outPath = join(work, 'out-bp.safetensors')
    const x = fromFloat32([4, 128, 128, 3], nhwc(ref.get('eval.x_real_nchw')!))
    writeFileSync(inPath, writeSafetensors(new Map([['z', ref.get('eval.z')!], ['classes', ref.get('eval.classes')!], ['x', x]])))
    const r = await biggan('eval', '--model', model, '--in', inPath, '--out', outPath, '--runtime', 'onnx')
    expect(r.code).toBe(0)
    const out = readSafetensors(new Uint8Array(readFileSync(outPath))).tensors
    expect(maxAbsDiff(toFloat32(out.get('image')!), nhwc(ref.get('eval.image_nchw')!))).toBeLessThan(1e-4)
    expect(maxAbsDiff(toFloat32(out.get('d_logits')!), toFloat32(ref.get('eval.d_real')!))).toBeLessThan(1e-4)
    expect(maxAbsDiff(toFloat32(out.get('d_logits_fake')!), toFloat32(ref.get('eval.d_fake')!))).toBeLessThan(1e-4)
  })

  it('refuses an unknown runtime before loading anything', async () => {
    const r = await biggan('sample', '--model', join(work, 'nowhere'), '--class', '0', '--out', join(work, 'x.png'), '--runtime', 'torch')
    expect(r.code).toBe(2)
    expect(r.err).toContain("unknown runtime 'torch'")
  })
})
