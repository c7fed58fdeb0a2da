// The studio's previews on onnxruntime: with BIGGAN_RUNTIME=onnx the engine worker renders through the exported
// graph and engine:info says so; a PNG export holds exactly the pixels the view showed, a point's pixels do not
// depend on its batch, and both stay within one level of the engine's. With BIGGAN_RUNTIME=tfjs nothing changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EngineClient } from '../../main/engine-host/client/engineClient'
import type { BigGANModel } from '../../main/engine/model'
import { toPixels } from '../../main/engine/pixels'
import sharp from 'sharp'
import { pack, tempDir, tinyModelFolder, tinyPoints } from '../engine-host/helpers'

let temp: Awaited<ReturnType<typeof tempDir>>
let local: BigGANModel
let modelDir: string
const saved = process.env.BIGGAN_RUNTIME

beforeAll(async () => {
  temp = await tempDir('onnx-previews')
  ;({ dir: modelDir, model: local } = await tinyModelFolder(temp.dir))
})

afterAll(async () => {
  if (saved === undefined) delete process.env.BIGGAN_RUNTIME
  else process.env.BIGGAN_RUNTIME = saved
  local?.dispose()
  await temp?.remove()
})

/** A client whose worker starts with BIGGAN_RUNTIME = runtime (a worker copies process.env when it starts). */
async function clientWith(runtime: string): Promise<EngineClient> {
  process.env.BIGGAN_RUNTIME = runtime
  const client = new EngineClient()
  await client.open(modelDir, `${temp.dir}/models-${runtime}`)
  return client
}

describe('previews through onnxruntime', () => {
  it("render through the exported graph where BIGGAN_RUNTIME=onnx, within one level of the engine's pixels", async () => {
    const client = await clientWith('onnx')
    try {
      const info = await client.call({ op: 'info' })
      expect(info.previews).toMatch(/^onnx \((CPU, \d+ threads?|CUDA|CoreML|DirectML)\)$/)
      const points = tinyPoints(5, 21)
      const p = pack(points)
      const rendered = await client.render('test', pack(points))
      const engine = toPixels(await local.generate(p.z, p.y)) // RGB
      let worst = 0
      for (let i = 0; i < engine.length; i++) worst = Math.max(worst, Math.abs(rendered.pixels[Math.floor(i / 3) * 4 + (i % 3)] - engine[i]))
      expect(worst).toBeLessThanOrEqual(1) // float rounding differs between runtimes: a pixel may land one level over

      const frame = 32 * 32 * 4
      const alone = await client.render('test', pack([points[3]]))
      expect(Buffer.compare(Buffer.from(alone.pixels), Buffer.from(rendered.pixels.subarray(3 * frame, 4 * frame)))).toBe(0)
      const one = pack([points[3]])
      const png = await client.png({ z: one.z, y: one.y, truncation: 1 }, 'export')
      const exported = await sharp(png).ensureAlpha().raw().toBuffer()
      expect(Buffer.compare(exported, Buffer.from(alone.pixels))).toBe(0)
    } finally {
      await client.close()
    }
  })

  it('stay on the engine where BIGGAN_RUNTIME=tfjs', async () => {
    const client = await clientWith('tfjs')
    try {
      expect((await client.call({ op: 'info' })).previews).toBe('tfjs')
    } finally {
      await client.close()
    }
  })
})
