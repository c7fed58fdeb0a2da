// The model commands end to end, in process (main() with captured output): import the shared fixtures, run
// `eval` on the reference inputs and compare with what the reference PyTorch code computed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fromFloat32, toFloat32 } from '../../main/tensors/convert'
import { readSafetensors, writeSafetensors } from '../../main/checkpoints/safetensors'
import type { RawTensor } from '../../main/tensors/tensor'
import { biggan } from './inProcess'
import { readTorchCheckpoint } from '../../main/checkpoints/torch'
import { readPngText } from '../../main/images/png'
import sharp from 'sharp'
import type { RuntimeReport } from '../../main/onnx/select'

const fixtures = resolve(import.meta.dirname, '../fixtures')
let work: string

function reference(family: string): Map<string, RawTensor> {
  return readSafetensors(new Uint8Array(readFileSync(join(fixtures, family, 'reference.safetensors')))).tensors
}

/** NCHW [b, 3, r, r] → NHWC */
function nhwc(t: RawTensor): Float32Array {
  const [b, c, h, w] = t.shape
  const src = toFloat32(t)
  const out = new Float32Array(src.length)
  for (let n = 0; n < b; n++)
    for (let k = 0; k < c; k++)
      for (let i = 0; i < h * w; i++) out[((n * h * w + i) * c) + k] = src[(n * c + k) * h * w + i]
  return out
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

async function evalFile(model: string, inputs: Map<string, RawTensor>): Promise<Map<string, RawTensor>> {
  const inPath = join(work, `in-${Math.random().toString(36).slice(2)}.safetensors`)
  const outPath = inPath.replace('in-', 'out-')
  writeFileSync(inPath, writeSafetensors(inputs))
  const r = await biggan('eval', '--model', model, '--in', inPath, '--out', outPath)
  expect(r.err).toBe('')
  expect(r.code).toBe(0)
  return readSafetensors(new Uint8Array(readFileSync(outPath))).tensors
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'biggan-cli-'))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('biggan import + eval reproduce the reference outputs', () => {
  it('imports the HF BigGAN-deep fixture and evals every truncation within 1e-4', async () => {
    const model = join(work, 'hf')
    const imported = await biggan('import', join(fixtures, 'hf-biggan-deep'), '--out', model)
    expect(imported.code).toBe(0)
    expect(imported.out).toContain('G 1,437,129 parameters')
    const ref = reference('hf-biggan-deep')
    for (let i = 0; i < 4; i++) {
      const out = await evalFile(
        model,
        new Map([
          ['z', ref.get(`t${i}.z`)!],
          ['y', ref.get(`t${i}.y`)!],
          ['truncation', ref.get(`t${i}.truncation`)!], // float64, as the reference was called
        ]),
      )
      expect(out.get('image')!.shape).toEqual([4, 128, 128, 3])
      expect(maxAbsDiff(toFloat32(out.get('image')!), nhwc(ref.get(`t${i}.image_nchw`)!))).toBeLessThan(1e-4)
      expect(out.has('d_logits_fake')).toBe(false) // the released weights have no D
    }
  })

  it('imports the BigGAN-PyTorch fixture (zip format, G_ema + D) and evals images and D logits within 1e-4', async () => {
    const model = join(work, 'bp')
    const imported = await biggan('import', join(fixtures, 'biggan-pytorch'), '--out', model)
    expect(imported.code).toBe(0)
    const ref = reference('biggan-pytorch')
    const x = nhwc(ref.get('eval.x_real_nchw')!)
    const out = await evalFile(
      model,
      new Map([
        ['z', ref.get('eval.z')!],
        ['classes', ref.get('eval.classes')!], // int64 class indices
        ['x', fromFloat32([4, 128, 128, 3], x)],
      ]),
    )
    expect(maxAbsDiff(toFloat32(out.get('image')!), nhwc(ref.get('eval.image_nchw')!))).toBeLessThan(1e-4)
    expect(maxAbsDiff(toFloat32(out.get('d_logits')!), toFloat32(ref.get('eval.d_real')!))).toBeLessThan(1e-4)
    expect(maxAbsDiff(toFloat32(out.get('d_logits_fake')!), toFloat32(ref.get('eval.d_fake')!))).toBeLessThan(1e-4)
  })
})

describe('biggan export writes the original PyTorch key names back', () => {
  function expectSameTensors(exported: Map<string, RawTensor>, original: Map<string, RawTensor>, skip: RegExp): void {
    const kept = [...original.keys()].filter((k) => !skip.test(k))
    expect([...exported.keys()].sort()).toEqual([...original.keys()].sort())
    for (const k of kept) {
      expect(exported.get(k)!.shape, k).toEqual(original.get(k)!.shape)
      expect(maxAbsDiff(toFloat32(exported.get(k)!), toFloat32(original.get(k)!)), k).toBe(0)
    }
  }

  it('exports an imported HF model to the exact HF state dict and config', async () => {
    const out = join(work, 'hf-export')
    const r = await biggan('export', '--model', join(work, 'hf'), '--out', out)
    expect(r.code).toBe(0)
    const exported = readSafetensors(new Uint8Array(readFileSync(join(out, 'model.safetensors')))).tensors
    const original = readTorchCheckpoint(new Uint8Array(readFileSync(join(fixtures, 'hf-biggan-deep', 'pytorch_model.bin')))).tensors
    expectSameTensors(exported, original, /^$/)
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toEqual(
      JSON.parse(readFileSync(join(fixtures, 'hf-biggan-deep', 'config.json'), 'utf8')),
    )
  })

  it('exports an imported BigGAN-PyTorch model to its G and D state dicts', async () => {
    const out = join(work, 'bp-export')
    const r = await biggan('export', '--model', join(work, 'bp'), '--out', out)
    expect(r.code).toBe(0)
    const read = (f: string): Map<string, RawTensor> => readSafetensors(new Uint8Array(readFileSync(join(out, f)))).tensors
    const torch = (f: string): Map<string, RawTensor> =>
      readTorchCheckpoint(new Uint8Array(readFileSync(join(fixtures, 'biggan-pytorch', f)))).tensors
    // sv0 is BigGAN-PyTorch's last sigma estimate: a log value, recomputed, so compared loosely below
    expectSameTensors(read('G.safetensors'), torch('G_ema.pth'), /\.sv0$/)
    expectSameTensors(read('D.safetensors'), torch('D.pth'), /\.sv0$/)
  })
})

describe('biggan init, info and sample', () => {
  it('initialises a small model, describes it and samples a reproducible PNG grid', async () => {
    const model = join(work, 'small')
    const init = await biggan('init', '--arch', 'biggan', '--res', '32', '--ch', '8', '--classes', '10', '--out', model, '--seed', '3')
    expect(init.code).toBe(0)
    const info = await biggan('info', '--model', model)
    expect(info.out).toMatch(/arch +biggan-32, ch 8/)
    expect(info.out).toMatch(/classes +10: class 0; class 1/)
    const a = join(work, 'a.png')
    const b = join(work, 'b.png')
    expect((await biggan('sample', '--model', model, '--class', '3', '--truncation', '0.5', '--seed', '7', '--n', '6', '--out', a)).code).toBe(0)
    expect((await biggan('sample', '--model', model, '--class', '3', '--truncation', '0.5', '--seed', '7', '--n', '6', '--out', b)).code).toBe(0)
    const png = new Uint8Array(readFileSync(a))
    expect(Buffer.from(png).equals(readFileSync(b))).toBe(true)
    const record = JSON.parse(readPngText(png)['biggan-sample'])
    expect(record).toMatchObject({ class: 3, seed: 7, n: 6, truncation: { kind: 'paper', threshold: 0.5 } })
    expect(record.upscale).toBeUndefined()

    // --upscale 4: the same grid, each pixel a 4×4 block (nearest), the record naming the scale
    const big = join(work, 'big.png')
    expect((await biggan('sample', '--model', model, '--class', '3', '--truncation', '0.5', '--seed', '7', '--n', '6', '--upscale', '4', '--out', big)).code).toBe(0)
    const small = await sharp(a).raw().toBuffer({ resolveWithObject: true })
    const large = await sharp(big).raw().toBuffer({ resolveWithObject: true })
    expect([large.info.width, large.info.height]).toEqual([small.info.width * 4, small.info.height * 4])
    const { width } = small.info
    for (const [x, y] of [[0, 0], [13, 40], [large.info.width - 1, large.info.height - 1]]) {
      const at = (y * large.info.width + x) * 3
      const from = (Math.floor(y / 4) * width + Math.floor(x / 4)) * 3
      expect([...large.data.subarray(at, at + 3)]).toEqual([...small.data.subarray(from, from + 3)])
    }
    expect(JSON.parse(readPngText(new Uint8Array(readFileSync(big)))['biggan-sample'])).toMatchObject({ seed: 7, upscale: { factor: 4, filter: 'nearest' } })
    const smooth = join(work, 'smooth.png')
    expect((await biggan('sample', '--model', model, '--class', '3', '--n', '2', '--upscale', '2', '--filter', 'smooth', '--out', smooth)).code).toBe(0)
    expect(JSON.parse(readPngText(new Uint8Array(readFileSync(smooth)))['biggan-sample']).upscale).toEqual({ factor: 2, filter: 'smooth' })
    const refused = await biggan('sample', '--model', model, '--class', '3', '--upscale', '32', '--out', join(work, 'no.png'))
    expect(refused.code).toBe(2)
    expect(refused.err).toMatch(/--upscale.*1 to 16, not 32/)
  })

  it('info --json carries the runtime fields the text prints: the request, onnxruntime, what serves the model', async () => {
    const model = join(work, 'small')
    const text = await biggan('info', '--model', model)
    expect(text.out).toMatch(/^runtime +tfjs \(from BIGGAN_RUNTIME\)$/m)
    expect(text.out).toMatch(/^previews +tfjs: TensorFlow\.js was asked for \(BIGGAN_RUNTIME\)$/m)
    const r = await biggan('info', '--model', model, '--json')
    expect(r.code).toBe(0)
    const info = JSON.parse(r.out) as { name: string; runtime: RuntimeReport; model: Record<string, unknown> }
    expect(info.name).toBe('wasm')
    expect(info.runtime.requested).toEqual({ name: 'tfjs', source: 'BIGGAN_RUNTIME' })
    expect(info.runtime.onnxruntime).toMatchObject({ available: true, version: expect.stringMatching(/^\d+\.\d+/), cpuThreads: expect.any(Number) })
    expect(info.runtime.previews).toEqual({ runtime: 'tfjs', reason: 'TensorFlow.js was asked for (BIGGAN_RUNTIME)', timings: [] })
    expect(info.model).toMatchObject({ path: model, arch: 'biggan', resolution: 32, parametersG: expect.any(Number) })
  })

  it('refuses a fine-tune or training run of no steps before reading anything', async () => {
    for (const steps of ['0', '-5']) {
      const r = await biggan('finetune', '--model', join(work, 'missing-model'), '--data', join(work, 'missing-data'), `--steps=${steps}`, '--out', join(work, 'never'))
      expect(r.code).toBe(2)
      expect(r.err).toMatch(new RegExp(`--steps must be a whole number of at least 1, not ${steps}`))
    }
  })

  it('refuses an ambiguous class name, listing the matches', async () => {
    const model = join(work, 'hf')
    const r = await biggan('sample', '--model', model, '--class', 'terrier', '--out', join(work, 'x.png'))
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/'terrier' matches \d+ classes: .*\(.*terrier/)
  })
})

describe('biggan standing', () => {
  it('accumulates standing statistics into a copy of the model and leaves the original as it was', async () => {
    const model = join(work, 'small')
    const out = join(work, 'small-standing')
    const r = await biggan('standing', '--model', model, '--out', out, '--accumulations', '2', '--batch', '4')
    expect(r.code).toBe(0)
    expect(r.out).toContain('standing statistics written')
    const before = (await biggan('info', '--model', model)).out.match(/hash +(\w+)/)![1]
    const after = (await biggan('info', '--model', out)).out.match(/hash +(\w+)/)![1]
    expect(after).not.toBe(before)
  })
})
