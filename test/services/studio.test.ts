// The studio's handlers end to end, as a renderer sees them: through the router (inputs and outputs parsed against
// the contract) and buildStudioApi, with the real engine worker and a library in a temporary folder.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHANNELS, type ModelInfo, type Point, type StudioApi, type StudioEvent } from '../../preload/contract/index.ts'
import { readZip } from '../../main/checkpoints/zip'
import { FASHION_MNIST_CLASSES } from '../../main/data/fashionMnist'
import { engineVersion } from '../../main/engine/version'
import { LATENT_KEY, latentRecordText, readLatentRecord } from '../../main/images/latentRecord'
import { encodePng } from '../../main/images/png'
import type { Studio } from '../../main/services/studio'
import { Library } from '../../main/store/index'
import { failure, openStudio } from '../services/harness'
import { tempDir, tinyModelFolder } from '../engine-host/helpers'

let temp: Awaited<ReturnType<typeof tempDir>>
let library: Library
let studio: Studio
let api: StudioApi
let model: ModelInfo
let events: StudioEvent[]

beforeAll(async () => {
  temp = await tempDir('studio')
  library = Library.open(join(temp.dir, 'data', 'library.sqlite'))
  ;({ studio, api, events } = openStudio(join(temp.dir, 'data'), library, join(temp.dir, 'resources')))
  model = await api.models.openDefault()
})

afterAll(async () => {
  await studio?.close()
  library?.close()
  await temp?.remove()
})


/** A point of the open model: z from a seed, one class. */
async function pointOf(seed: number, cls: number, truncation = 0.8): Promise<Point> {
  const { z } = await api.latents.sample({ seed, count: 1, truncation })
  const y = new Float32Array(model.numClasses)
  y[cls] = 1
  return { z, y, truncation, seed }
}

const sameBytes = (a: ArrayBufferView, b: ArrayBufferView): boolean =>
  Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0

describe('the studio', () => {
  it('answers every channel of the contract', () => {
    expect(Object.keys(studio.handlers).sort()).toEqual([...CHANNELS].sort())
  })

  it('opens a random stand-in as the default where none is bundled, saved once, with Fashion-MNIST classes', async () => {
    expect(model).toMatchObject({
      isDefault: true,
      isRandom: true,
      arch: 'biggan',
      resolution: 32,
      ch: 16,
      numClasses: 10,
      classNames: [...FASHION_MNIST_CLASSES],
      semantics: 'paper',
    })
    expect(existsSync(join(temp.dir, 'data', 'models', 'random-default', 'model.safetensors'))).toBe(true)
    expect(events.some((e) => e.type === 'model' && e.model?.hash === model.hash)).toBe(true)
    expect(events.some((e) => e.type === 'progress' && e.job === 'models:open')).toBe(true)
    expect(await api.models.current()).toEqual(model)
    // the second time it is read back, not made again
    expect((await api.models.openDefault()).hash).toBe(model.hash)
  })

  it("reports the worker's backend, tfjs previews, the shell and the engine version", async () => {
    const info = await api.engine.info()
    expect(info).toMatchObject({ previews: 'tfjs', shell: 'web', engineVersion })
    expect(info.backend).toBe(process.env.BIGGAN_BACKEND ?? info.backend)
    expect(info.tried.length).toBeGreaterThan(0)
  })

  it('searches classes by name and by index', async () => {
    expect(await api.classes.search({ query: 'ankle BOOT' })).toEqual([{ index: 9, name: 'Ankle boot' }])
    expect((await api.classes.search({ query: 'shirt' })).map((m) => m.index)).toEqual([6, 0])
    expect(await api.classes.search({ query: '3' })).toEqual([{ index: 3, name: 'Dress' }])
  })

  it('draws every z in the engine: a chunk redrawn, z moved to another truncation, refusals in the model\'s range', async () => {
    expect(model.truncation).toMatchObject({ above: 0, atMost: 4 }) // the paper's threshold, from the model's policy
    const { z } = await api.latents.sample({ seed: 5, count: 1, truncation: 2 })
    const redrawn = await api.latents.redraw({ z, start: 20, end: 40, seed: 3, truncation: 0.5 })
    expect(Array.from(redrawn.z.slice(0, 20))).toEqual(Array.from(z.slice(0, 20)))
    expect(Array.from(redrawn.z.slice(40))).toEqual(Array.from(z.slice(40)))
    expect(Math.max(...Array.from(redrawn.z.slice(20, 40), Math.abs))).toBeLessThan(0.5)
    expect(sameBytes((await api.latents.redraw({ z, start: 20, end: 40, seed: 3, truncation: 0.5 })).z, redrawn.z)).toBe(true)
    const narrowed = await api.latents.retruncate({ z, from: 2, to: 0.7, seed: 1 })
    z.forEach((v, i) => (Math.abs(v) < 0.7 ? expect(narrowed.z[i]).toBe(v) : expect(Math.abs(narrowed.z[i])).toBeLessThan(0.7)))
    expect(await failure(api.latents.redraw({ z, start: 100, end: 140, seed: 3, truncation: 1 }))).toMatchObject({ code: 'bad-input', message: expect.stringMatching(/no values 100…140/) })
    expect(await failure(api.latents.redraw({ z: z.slice(1), start: 0, end: 4, seed: 3, truncation: 1 }))).toMatchObject({ code: 'bad-input', message: expect.stringContaining(`z has ${model.zDim - 1} values`) })
  })

  it('samples truncated latents and renders them as RGBA', async () => {
    const { z } = await api.latents.sample({ seed: 4, count: 3, truncation: 0.5 })
    expect(z.length).toBe(3 * model.zDim)
    expect(Math.max(...Array.from(z, Math.abs))).toBeLessThan(0.5)
    const again = await api.latents.sample({ seed: 4, count: 3, truncation: 0.5 })
    expect(sameBytes(again.z, z)).toBe(true)
    const points = [0, 1, 2].map((i) => {
      const y = new Float32Array(10)
      y[i] = 1
      return { z: z.slice(i * model.zDim, (i + 1) * model.zDim), y, truncation: 0.5 }
    })
    const image = await api.images.render({ view: 'grid', points })
    expect([image.width, image.height, image.count, image.pixels.length]).toEqual([32, 32, 3, 3 * 32 * 32 * 4])
    expect(image.pixels.filter((_, i) => i % 4 === 3).every((a) => a === 255)).toBe(true)
  })

  it('refuses a point of another model with a message that says so', async () => {
    const err = await failure(api.images.render({ view: 'grid', points: [{ z: new Float32Array(7), y: new Float32Array(10), truncation: 1 }] }))
    expect(err.code).toBe('bad-input')
    expect(err.message).toMatch(/z of 7 values.*takes 80/)
  })

  it('exports a PNG whose latent record reopens the exact point', async () => {
    const point = await pointOf(12, 7)
    const file = await api.images.png({ point })
    expect(file.fileName).toBe('Random stand-in (untrained)-Sneaker-seed12.png')
    const meta = await sharp(file.bytes).metadata()
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 32, 32])
    const back = await api.images.readPng({ png: file.bytes })
    expect(back.sameModel).toBe(true)
    expect(back.record).toMatchObject({ modelHash: model.hash, modelName: model.name, engineVersion, semantics: 'paper', seed: 12 })
    expect(sameBytes(back.point.z, point.z)).toBe(true)
    expect(sameBytes(back.point.y, point.y)).toBe(true)
    expect(back.point.truncation).toBe(point.truncation)
    // and the point renders to the pixels in the PNG
    const rendered = await api.images.render({ view: 'check', points: [back.point] })
    const png = await sharp(file.bytes).ensureAlpha().raw().toBuffer()
    expect(sameBytes(png, rendered.pixels)).toBe(true)
  })

  it('exports a PNG upscaled nearest or smooth whose record says the scale and still reopens the exact point', async () => {
    const point = await pointOf(12, 7)
    const plain = await sharp((await api.images.png({ point })).bytes).raw().toBuffer()
    for (const filter of ['nearest', 'smooth'] as const) {
      const file = await api.images.png({ point, upscale: { factor: 4, filter } })
      const meta = await sharp(file.bytes).metadata()
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 128, 128])
      const back = await api.images.readPng({ png: file.bytes })
      expect(back.record.upscale).toEqual({ factor: 4, filter })
      expect(sameBytes(back.point.z, point.z)).toBe(true)
      expect(sameBytes(back.point.y, point.y)).toBe(true)
      if (filter === 'nearest') {
        const big = await sharp(file.bytes).raw().toBuffer()
        // pixel (x, y) of the enlarged image is pixel (x/4, y/4) of the image as generated
        for (const [x, y] of [[0, 0], [5, 9], [127, 64], [77, 127]]) {
          const at = (y * 128 + x) * 3
          const from = (Math.floor(y / 4) * 32 + Math.floor(x / 4)) * 3
          expect([...big.subarray(at, at + 3)]).toEqual([...plain.subarray(from, from + 3)])
        }
      }
    }
  })

  it('refuses dropped files it cannot reopen, saying what to do', async () => {
    expect((await failure(api.images.readPng({ png: new TextEncoder().encode('hello') }))).message).toMatch(/not a PNG.*Export → PNG/)
    const plain = encodePng(new Uint8Array(4 * 4 * 3), 4, 4)
    expect((await failure(api.images.readPng({ png: plain }))).message).toMatch(/no BigGAN Studio latent record/)
    const other = encodePng(new Uint8Array(4 * 4 * 3), 4, 4, {
      [LATENT_KEY]: latentRecordText({
        format: 'biggan-studio-latent', version: 1, modelHash: 'f'.repeat(64), modelName: 'BigGAN-deep 128', engineVersion,
        semantics: 'released', z: new Array(128).fill(0), y: new Array(1000).fill(0), truncation: 0.4,
      }),
    })
    const err = await failure(api.images.readPng({ png: other }))
    expect(err.code).toBe('failed')
    expect(err.message).toMatch(/made with BigGAN-deep 128 \(ffffffff\).*Open BigGAN-deep 128 to reopen this image/)
  })

  it('exports an animated GIF with one page per point, and a zip of PNG frames that reopen', async () => {
    const a = await pointOf(1, 0)
    const b = await pointOf(2, 8)
    const points = [0, 0.25, 0.5, 0.75, 1].map((t) => ({
      z: a.z.map((v, i) => v * (1 - t) + b.z[i] * t),
      y: a.y.map((v, i) => v * (1 - t) + b.y[i] * t),
      truncation: 0.8,
    }))
    const gif = await api.images.sequence({ points, format: 'gif', fps: 10, name: 'walk' })
    expect(gif.fileName).toBe('walk.gif')
    const meta = await sharp(gif.bytes, { animated: true }).metadata()
    expect([meta.format, meta.pages, meta.width, meta.pageHeight]).toEqual(['gif', 5, 32, 32])
    expect(meta.delay).toEqual([100, 100, 100, 100, 100])
    expect(events.some((e) => e.type === 'progress' && e.job === 'images:sequence' && e.done === 5)).toBe(true)

    const zip = await api.images.sequence({ points, format: 'png-zip', fps: 10, name: 'walk' })
    expect(zip.fileName).toBe('walk.zip')
    const entries = readZip(zip.bytes, 'walk.zip')
    expect([...entries.keys()]).toEqual([1, 2, 3, 4, 5].map((i) => `walk/walk-000${i}.png`))
    const third = readLatentRecord(entries.get('walk/walk-0003.png')!.data)
    expect(sameBytes(Float32Array.from(third.z), points[2].z)).toBe(true)

    const bigGif = await api.images.sequence({ points, format: 'gif', fps: 10, name: 'walk', upscale: { factor: 3, filter: 'smooth' } })
    const bigMeta = await sharp(bigGif.bytes, { animated: true }).metadata()
    expect([bigMeta.pages, bigMeta.width, bigMeta.pageHeight]).toEqual([5, 96, 96])
    const bigZip = readZip((await api.images.sequence({ points, format: 'png-zip', fps: 10, name: 'walk', upscale: { factor: 2, filter: 'nearest' } })).bytes, 'walk.zip')
    const frame = bigZip.get('walk/walk-0003.png')!.data
    expect((await sharp(frame).metadata()).width).toBe(64)
    const record = readLatentRecord(frame)
    expect(record.upscale).toEqual({ factor: 2, filter: 'nearest' })
    expect(sameBytes(Float32Array.from(record.z), points[2].z)).toBe(true)
  })

  it('gives orthonormal random directions and GANSpace directions strongest first', async () => {
    const random = await api.latents.directions({ kind: 'random', count: 8, seed: 3 })
    expect(random.directions.length).toBe(8 * model.zDim)
    const pca = await api.latents.directions({ kind: 'pca', count: 5, seed: 3, y: (await pointOf(1, 2)).y })
    expect(pca.directions.length).toBe(5 * model.zDim)
    const explained = Array.from(pca.explained)
    expect(explained).toEqual([...explained].sort((x, y) => y - x))
    for (let d = 0; d < 5; d++) {
      const row = pca.directions.subarray(d * model.zDim, (d + 1) * model.zDim)
      expect(Math.abs(Math.hypot(...row) - 1)).toBeLessThan(1e-5)
    }
    expect(events.some((e) => e.type === 'progress' && e.job === 'latents:directions')).toBe(true)
  })

  it('saves favourites with a rendered thumbnail and the model they belong to, and keeps their lineage', async () => {
    const parent = await api.favourites.save({ point: await pointOf(21, 3), name: 'dress', tags: ['red'], notes: '', rating: 4 })
    expect(parent).toMatchObject({ modelHash: model.hash, modelName: model.name, engineVersion, semantics: 'paper', seed: 21, parentId: null })
    const thumb = await sharp(parent.thumbnail).metadata()
    expect([thumb.format, thumb.width, thumb.height]).toEqual(['png', 32, 32])
    const child = await api.favourites.save({ point: await pointOf(22, 3), name: 'dress 2', tags: ['red', 'long'], notes: 'n', rating: 5, parentId: parent.id })
    expect((await api.favourites.lineage({ id: child.id })).ancestors.map((f) => f.id)).toEqual([parent.id])
    expect((await api.favourites.list({ tag: 'long' })).items.map((f) => f.id)).toEqual([child.id])
    expect((await api.favourites.update({ id: parent.id, rating: 2 })).rating).toBe(2)
    expect(await api.favourites.tags()).toEqual(expect.arrayContaining([{ tag: 'red', count: 2 }]))
    const exported = await api.favourites.export({})
    expect(exported.fileName).toMatch(/^biggan-favourites-\d{4}-\d\d-\d\d\.json$/)
    expect(await api.favourites.import({ bytes: exported.bytes })).toMatchObject({ imported: 0, skipped: 2 })
    expect(await api.favourites.delete({ id: child.id })).toEqual({ deleted: true })
    expect((await failure(api.favourites.get({ id: child.id }))).code).toBe('failed')
  })

  it('records points in the session with undo and redo', async () => {
    await api.session.new({ name: 'test' })
    await api.session.push({ point: await pointOf(1, 1), view: 'explore', label: 'first' })
    const two = await api.session.push({ point: await pointOf(2, 1), view: 'explore' })
    expect(two.entries.map((e) => e.modelHash)).toEqual([model.hash, model.hash])
    expect((await api.session.undo()).cursor).toBe(0)
    expect((await api.session.redo()).cursor).toBe(1)
    expect((await api.session.current()).name).toBe('test')
  })

  it('opens a model folder, remembers it among recent models, and cancels nothing when nothing runs', async () => {
    const { dir, model: local } = await tinyModelFolder(temp.dir, 'tiny-for-studio')
    local.dispose()
    const opened = await api.models.open({ path: dir })
    expect(opened).toMatchObject({ name: 'tiny-for-studio', isDefault: false, numClasses: 3 })
    expect((await api.models.recent())[0]).toMatchObject({ path: dir, hash: opened.hash, name: 'tiny-for-studio' })
    expect(events.at(-1)).toMatchObject({ type: 'model', model: { hash: opened.hash } })
    expect(await api.jobs.cancel({ job: 'images:sequence' })).toEqual({ cancelled: false })
    const err = await failure(api.models.open({ path: join(temp.dir, 'resources') }))
    expect(err.message).toMatch(/no such file or folder|neither a BigGAN Studio model folder/)
  })

  it('reopens the default model from its own folder (as Recent does) under its name, with its badge', async () => {
    const folder = join(temp.dir, 'data', 'models', 'random-default')
    for (const path of [folder, join(folder, 'config.json')]) {
      const reopened = await api.models.open({ path })
      expect(reopened).toMatchObject({ hash: model.hash, name: model.name, isDefault: true, isRandom: true })
    }
  })
})
