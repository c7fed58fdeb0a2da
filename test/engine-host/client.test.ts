import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EngineClient, type Progress } from '../../main/engine-host/client/engineClient'
import type { ModelRecord } from '../../main/engine-host/protocol/engine'
import { HostError } from '../../main/engine-host/protocol/errors'
import type { BigGANModel } from '../../main/engine/model'
import { toPixels } from '../../main/engine/pixels'
import { rgbToRgba } from '../../main/images/raster'
import { legacyWithStorages } from '../checkpoints/helpers/manyRecords'
import { pack, tempDir, tinyModelFolder, tinyPoints } from './helpers'

let temp: Awaited<ReturnType<typeof tempDir>>
let local: BigGANModel
let modelDir: string
let client: EngineClient
let info: ModelRecord
const progress: Progress[] = []
const notices: { level: string; message: string }[] = []

beforeAll(async () => {
  temp = await tempDir('client')
  ;({ dir: modelDir, model: local } = await tinyModelFolder(temp.dir))
  client = new EngineClient({ onNotice: (level, message) => notices.push({ level, message }) })
  info = await client.open(modelDir, `${temp.dir}/models`, (p) => progress.push(p))
})

afterAll(async () => {
  await client?.close()
  local?.dispose()
  await temp?.remove()
})

/** RGBA bytes of model.generate + toPixels on this thread: what the worker must reproduce. */
async function expected(points: ReturnType<typeof tinyPoints>): Promise<Uint8Array> {
  const p = pack(points)
  return rgbToRgba(toPixels(await local.generate(p.z, p.y)))
}

async function rejection(promise: Promise<unknown>): Promise<HostError> {
  try {
    await promise
  } catch (err) {
    return err as HostError
  }
  throw new Error('expected the request to fail')
}

describe('the engine worker', () => {
  it('opens a native model folder, reports progress, and describes the model', () => {
    expect(info).toMatchObject({
      path: modelDir,
      name: 'tiny',
      arch: 'biggan',
      resolution: 32,
      ch: 4,
      numClasses: 3,
      zDim: 80,
      zChunks: [20, 20, 20, 20],
      zChunkLabels: ['linear', 'block 1 (4→8)', 'block 2 (8→16)', 'block 3 (16→32)'],
      semantics: 'paper',
      classNames: ['class 0', 'class 1', 'class 2'],
      hasEma: false,
      hasDiscriminator: true,
      isDefault: false,
      isRandom: false,
    })
    expect(info.hash).toMatch(/^[0-9a-f]{64}$/)
    expect(progress.at(-1)).toMatchObject({ done: progress.at(-1)!.total })
    expect(progress.at(-1)!.total).toBeGreaterThan(10)
  })

  it('renders points to exactly the pixels model.generate and toPixels give, whatever the batch', async () => {
    const points = tinyPoints(5, 11)
    const rendered = await client.render('test', pack(points))
    expect([rendered.width, rendered.height, rendered.count]).toEqual([32, 32, 5])
    expect(Buffer.compare(Buffer.from(rendered.pixels), Buffer.from(await expected(points)))).toBe(0)
    // the same point alone, and in another order among others, gives the same bytes
    const frame = 32 * 32 * 4
    const alone = await client.render('test', pack([points[3]]))
    expect(Buffer.compare(Buffer.from(alone.pixels), Buffer.from(rendered.pixels.subarray(3 * frame, 4 * frame)))).toBe(0)
    const shuffled = await client.render('test', pack([points[4], points[3], points[0]]))
    expect(Buffer.compare(Buffer.from(shuffled.pixels.subarray(frame, 2 * frame)), Buffer.from(alone.pixels))).toBe(0)
  })

  it('lets the newest render of a view replace the ones still queued', async () => {
    const calls = [0, 1, 2, 3, 4].map((i) => client.render('explore', pack(tinyPoints(4, 100 + i))))
    const results = await Promise.allSettled(calls)
    // the first was already running; 1–3 waited in the queue and were replaced; the last one wins
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'rejected', 'fulfilled'])
    for (const r of results.slice(1, 4)) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'superseded' })
    const last = (results[4] as PromiseFulfilledResult<{ pixels: Uint8Array }>).value
    expect(Buffer.compare(Buffer.from(last.pixels), Buffer.from(await expected(tinyPoints(4, 104))))).toBe(0)
  })

  it('keeps renders of different views apart', async () => {
    const [a, b] = await Promise.all([client.render('grid', pack(tinyPoints(2, 1))), client.render('blend', pack(tinyPoints(2, 2)))])
    expect(a.count + b.count).toBe(4)
  })

  it('cancels a running job at its next batch and a queued one at once', async () => {
    const running = rejection(client.render('grid', pack(tinyPoints(200, 3))))
    const queued = rejection(client.call({ op: 'sample', seed: 1, count: 2, truncation: 1 }, { job: 'later' }))
    expect(await client.cancel('later')).toBe(true)
    expect(await client.cancel('grid')).toBe(true)
    expect(await running).toMatchObject({ code: 'cancelled' })
    expect(await queued).toMatchObject({ code: 'cancelled' })
    expect(await client.cancel('nothing-by-this-name')).toBe(false)
    // the worker goes on serving
    const z = await client.call({ op: 'sample', seed: 1, count: 2, truncation: 1 })
    expect(z.z.length).toBe(160)
  })

  it('answers a cancel that comes after the job last checked with false, and the job finishes', async () => {
    let answer: Promise<boolean> | undefined
    const sequence = client.call(
      { op: 'sequence', points: pack(tinyPoints(3, 4)), format: 'gif', fps: 10, baseName: 'x' },
      {
        job: 'images:sequence',
        // the last frame's progress comes after the export's last check: nothing is left to stop
        onProgress: (p) => {
          if (p.done === p.total) answer = client.cancel('images:sequence')
        },
      },
    )
    expect((await sequence).bytes.byteLength).toBeGreaterThan(0)
    expect(await answer).toBe(false)
  })

  it("stops an import at the reader's next record when cancelled, keeps the open model and serves the next request", async () => {
    const source = await tempDir('many-storages')
    try {
      copyFileSync(join(import.meta.dirname, '../fixtures/hf-biggan-deep/config.json'), join(source.dir, 'config.json'))
      // read to its end, this file fails: its last storage claims one element where the pickle declares none
      const bytes = legacyWithStorages(200_000)
      bytes[bytes.length - 8] = 1
      writeFileSync(join(source.dir, 'pytorch_model.bin'), bytes)
      const open = client.model!
      let answer: Promise<boolean> | undefined
      const importing = rejection(
        client.open(source.dir, join(temp.dir, 'models'), (p) => {
          if (!answer && /^reading .*pytorch_model\.bin/.test(p.label)) answer = client.cancel('models:open')
        }),
      )
      const err = await importing
      expect({ code: err.code, message: err.message }).toMatchObject({ code: 'cancelled' })
      expect(await answer).toBe(true)
      expect(client.model?.hash).toBe(open.hash)
      expect((await client.render('test', pack(tinyPoints(1, 5)))).count).toBe(1)
      const models = existsSync(join(temp.dir, 'models')) ? readdirSync(join(temp.dir, 'models')) : []
      expect(models.filter((n) => n.startsWith(basename(source.dir)))).toEqual([])
    } finally {
      await source.remove()
    }
  })

  it.skipIf(!existsSync('/proc/self/fd'))('closes every file a failed open opened (counted in /proc/self/fd; Linux only)', async () => {
    const bad = await tempDir('unbuildable')
    try {
      const { dir: folder, model } = await tinyModelFolder(bad.dir, 'res-1024')
      model.dispose()
      const manifest = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'))
      manifest.config.resolution = 1024
      writeFileSync(join(folder, 'config.json'), JSON.stringify(manifest))
      const notTorch = join(bad.dir, 'not-torch')
      mkdirSync(notTorch)
      writeFileSync(join(notTorch, 'G.pth'), readFileSync(join(folder, 'model.safetensors')))
      const fds = (): number => readdirSync('/proc/self/fd').length
      const failures = [folder, join(folder, 'config.json'), notTorch]
      for (const path of failures) await rejection(client.open(path, join(temp.dir, 'models')))
      const before = fds()
      for (let round = 0; round < 3; round++) {
        for (const path of failures) {
          const err = await rejection(client.open(path, join(temp.dir, 'models')))
          expect(err.message).toContain(path === notTorch ? 'G.pth' : 'config.json')
        }
      }
      expect(fds()).toBe(before)
    } finally {
      await bad.remove()
    }
  })

  it('fails pending requests with a clear message when the worker dies, then restarts it with the model open', async () => {
    const before = await client.render('test', pack(tinyPoints(2, 9)))
    client.crashForTesting()
    const pending = client.render('test', pack(tinyPoints(2, 9)))
    const err = await rejection(pending)
    expect(err).toBeInstanceOf(HostError)
    expect(err.code).toBe('failed')
    expect(err.message).toMatch(/engine stopped unexpectedly.*asked to crash.*restarts with the next request/)
    const after = await client.render('test', pack(tinyPoints(2, 9)))
    expect(Buffer.compare(Buffer.from(after.pixels), Buffer.from(before.pixels))).toBe(0)
    expect(notices.map((n) => n.level)).toEqual(['warning', 'info'])
    expect(notices[1].message).toMatch(/reopened tiny/)
    expect(client.model?.hash).toBe(info.hash)
  })

  it('says what is wrong when a folder is neither a model nor a checkpoint, and keeps the open model', async () => {
    const empty = await tempDir('not-a-model')
    try {
      const err = await rejection(client.open(empty.dir, `${temp.dir}/models`))
      expect(err.code).toBe('failed')
      expect(err.message).toMatch(/neither a BigGAN Studio model folder .* nor a checkpoint/)
      expect(err.message).toMatch(/Choose a model folder/)
      const err2 = await rejection(client.open(`${empty.dir}/missing`, `${temp.dir}/models`))
      expect(err2.message).toMatch(/no such file or folder/)
    } finally {
      await empty.remove()
    }
    expect((await client.render('test', pack(tinyPoints(1, 5)))).count).toBe(1)
  })

  it('leaves no tensors behind in the worker after renders, exports and directions', async () => {
    await client.render('test', pack(tinyPoints(3, 1)))
    const before = await client.call({ op: 'memory' })
    await client.render('test', pack(tinyPoints(40, 2)))
    const [point] = tinyPoints(1, 3)
    await client.png({ z: point.z, y: point.y, truncation: 1, seed: 3 }, 'export')
    await client.call({ op: 'sequence', points: pack(tinyPoints(3, 4)), format: 'gif', fps: 10, baseName: 'x' })
    await client.call({ op: 'directions', kind: 'pca', count: 3, seed: 1 })
    await client.call({ op: 'sample', seed: 1, count: 4, truncation: 0.5 })
    expect((await client.call({ op: 'memory' })).numTensors).toBe(before.numTensors)
    // opening a model frees the one it replaces
    await client.open(modelDir, `${temp.dir}/models`)
    expect((await client.call({ op: 'memory' })).numTensors).toBe(before.numTensors)
  })

  it('refuses points that do not fit the model', async () => {
    const bad = pack(tinyPoints(2, 1, 60))
    expect(await rejection(client.render('test', bad))).toMatchObject({ code: 'bad-input' })
  })

  it('imports a checkpoint once into the models folder and renders it under the released truncation', async () => {
    const models = join(temp.dir, 'models')
    const steps: Progress[] = []
    const source = join(import.meta.dirname, '../fixtures/hf-biggan-deep')
    const imported = await client.open(source, models, (p) => steps.push(p))
    expect(imported).toMatchObject({ arch: 'biggan-deep', resolution: 128, numClasses: 1000, semantics: 'released', name: 'hf-biggan-deep' })
    expect(imported.truncation).toMatchObject({ min: 0.02, max: 1 })
    expect(imported.path).toBe(join(models, `hf-biggan-deep-${imported.hash.slice(0, 8)}`))
    expect(imported.provenance).toMatch(/imported \(hf-biggan-deep\) from .*pytorch_model\.bin/)
    expect(steps.some((p) => /reading .*pytorch_model\.bin/.test(p.label))).toBe(true)
    // a second open finds the earlier import instead of importing again
    expect((await client.open(source, models)).path).toBe(imported.path)
    expect(readdirSync(models).filter((n) => !n.endsWith('.json'))).toEqual([`hf-biggan-deep-${imported.hash.slice(0, 8)}`])

    const { z } = await client.call({ op: 'sample', seed: 2, count: 2, truncation: 0.4 })
    expect(Math.max(...Array.from(z, Math.abs))).toBeLessThanOrEqual(0.8) // ψ · TN(−2, 2)
    const y = new Float32Array(2000)
    y[1] = 1
    y[1000 + 207] = 1
    const tooHigh = { count: 1, z: z.slice(0, 128), y: y.slice(0, 1000), truncation: Float64Array.of(1.5) }
    const rendered = await client.render('test', { count: 2, z, y, truncation: Float64Array.of(0.4, 1) })
    expect([rendered.width, rendered.count]).toEqual([128, 2])
    // the request's buffers were handed to the worker, not copied
    expect(z.buffer.byteLength).toBe(0)
    expect((await rejection(client.render('test', tooHigh))).message).toMatch(/truncation 1\.5.*\(0, 1\]/)
  })
})
