// "Get a model" behind the contract: the studio reads the catalogue its setting names, says the size before it
// starts, downloads with progress events of job 'downloads:get', imports through models:open and opens the model;
// jobs:cancel stops a download and keeps what arrived for the next try.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Library } from '../../main/store/index'
import { fixtureBytes, serveFixture, writeFixtureCatalogue } from '../download/catalogueFile'
import { startServer, type TestServer } from '../download/server'
import { tempDir } from '../engine-host/helpers'
import { failure, openStudio, type Harness } from './harness'

let temp: Awaited<ReturnType<typeof tempDir>>
let library: Library
let server: TestServer
let h: Harness

beforeAll(async () => {
  temp = await tempDir('downloads')
  library = Library.open(join(temp.dir, 'data', 'library.sqlite'))
  server = await startServer()
  serveFixture(server)
  h = openStudio(join(temp.dir, 'data'), library, join(temp.dir, 'resources'))
})

afterAll(async () => {
  await h?.studio.close()
  await server?.close()
  library?.close()
  await temp?.remove()
})

describe('getting a model in the studio', () => {
  it('reads the catalogue the setting names, says the size first, downloads with progress and opens the model', async () => {
    const file = writeFixtureCatalogue(join(temp.dir, 'catalogue.json'), server)
    await h.api.settings.set({ downloads: { catalogue: file } })
    const catalogue = await h.api.downloads.catalogue()
    expect(catalogue).toMatchObject({ file, bundled: false, error: null })
    expect(catalogue.models.map((m) => m.name)).toEqual(['tiny-biggan'])

    const plan = await h.api.downloads.plan({ name: 'tiny-biggan' })
    const total = ['config.json', 'G_ema.pth', 'D.pth'].reduce((n, f) => n + fixtureBytes(f).length, 0)
    expect(plan).toMatchObject({ total, have: 0 })
    expect(plan.summary).toMatch(/^3 files, 6\.\d+ MB$/)

    const since = h.events.length
    const info = await h.api.downloads.get({ name: 'tiny-biggan' })
    expect(info).toMatchObject({ arch: 'biggan', resolution: 128, hasDiscriminator: true })
    const progress = h.events.slice(since).filter((e) => e.type === 'progress' && e.job === 'downloads:get')
    expect(progress.length).toBeGreaterThan(0)
    expect(progress.at(-1)).toMatchObject({ done: total, total })
    expect(progress.some((e) => /MB of 6\.\d+ MB/.test(e.label ?? ''))).toBe(true)
    expect((await h.api.models.current())?.hash).toBe(info.hash)
  })

  it('stops a download on jobs:cancel, keeps the partial file, and the next try resumes it', async () => {
    server.routes.set('/G_ema.pth', { body: fixtureBytes('G_ema.pth'), stall: true })
    const file = writeFixtureCatalogue(join(temp.dir, 'stalling.json'), server, 'stalling')
    await h.api.settings.set({ downloads: { catalogue: file } })
    const since = h.events.length
    const getting = h.api.downloads.get({ name: 'stalling' })
    await h.next((e) => e.type === 'progress' && e.job === 'downloads:get' && /G_ema\.pth/.test(e.label ?? ''), since)
    expect(await h.api.jobs.cancel({ job: 'downloads:get' })).toEqual({ cancelled: true })
    expect((await failure(getting)).code).toBe('cancelled')
    expect(existsSync(join(temp.dir, 'data', 'downloads', 'stalling', 'G_ema.pth.part'))).toBe(true)
    const { have } = await h.api.downloads.plan({ name: 'stalling' })
    expect(have).toBeGreaterThan(0)

    server.routes.set('/G_ema.pth', { body: fixtureBytes('G_ema.pth') })
    server.log.length = 0
    const info = await h.api.downloads.get({ name: 'stalling' })
    expect(info.resolution).toBe(128)
    expect(server.log.some((l) => /^GET \/G_ema\.pth bytes=\d+-$/.test(l))).toBe(true)
  })

  it('says why when the catalogue cannot be read', async () => {
    await h.api.settings.set({ downloads: { catalogue: join(temp.dir, 'missing.json') } })
    const catalogue = await h.api.downloads.catalogue()
    expect(catalogue.models).toEqual([])
    expect(catalogue.error).toMatch(/cannot read the catalogue .*missing\.json \(ENOENT\)/)
  })
})
