// "Get a model" end to end: in Chromium through web mode, the Models view is pointed at a catalogue whose model (the
// BigGAN-PyTorch fixture) a server on 127.0.0.1 serves over a slow link; the panel says the size before it starts,
// shows progress with speed while the bytes arrive, and the verified, imported model opens.
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FIXTURE_FILES, fixtureBytes, writeFixtureCatalogue } from '../download/catalogueFile'
import { startServer, type TestServer } from '../download/server'
import { ARTEFACTS, chromiumPath, studioInChromium } from './harness'

const chromium = chromiumPath()

describe.skipIf(!chromium)('getting a model in Chromium', () => {
  let server: TestServer
  let catalogue: string
  const e2e = studioInChromium(chromium!, 'biggan-e2e-get-', async (work) => {
    server = await startServer()
    // about 3 s for the fixture's 6 MB: long enough to see the progress, short enough for a test
    for (const name of FIXTURE_FILES) server.routes.set(`/${name}`, { body: fixtureBytes(name), paceBytes: 64 * 1024, paceMs: 30 })
    catalogue = writeFixtureCatalogue(join(work, 'catalogue.json'), server)
  })
  afterAll(() => server?.close())

  it('downloads a catalogue model with progress, verifies it, imports it and opens it', async () => {
    const { page } = e2e
    await page.getByTestId('nav-models').click()
    await page.getByTestId('get-model').waitFor()
    await page.getByText('Catalogue:').click()
    await page.getByTestId('get-model-catalogue-input').fill(catalogue)
    await page.getByTestId('get-model-catalogue-use').click()
    await expect.poll(() => page.getByTestId('get-model-catalogue-file').textContent()).toBe(catalogue)
    await expect.poll(() => page.getByTestId('get-model-choice').inputValue()).toBe('tiny-biggan')
    await expect.poll(() => page.getByTestId('get-model-plan').textContent(), { timeout: 30_000 }).toMatch(/^3 files, 6\.\d+ MB$/)

    await page.getByTestId('get-model-run').click()
    await expect.poll(() => page.getByTestId('get-model-progress').textContent(), { timeout: 30_000 }).toMatch(/MB of 6\.\d+ MB, [\d.]+ [kM]B\/s/)
    await page.screenshot({ path: join(ARTEFACTS, '11-get-model-progress.png'), fullPage: true })

    await page.getByTestId('get-model-progress').waitFor({ state: 'detached', timeout: 120_000 })
    expect(await page.getByTestId('get-model-error').count()).toBe(0)
    await expect.poll(() => page.getByTestId('model-info').textContent()).toMatch(/BigGAN, 128×128/)
    expect(await page.getByTestId('model-info').textContent()).toContain('import')
    await page.screenshot({ path: join(ARTEFACTS, '11-get-model-opened.png'), fullPage: true })
    expect(server.log.filter((l) => l.startsWith('GET')).sort()).toEqual(['GET /D.pth', 'GET /G_ema.pth', 'GET /config.json'])
    expect(e2e.problems).toEqual([])
  })
})
