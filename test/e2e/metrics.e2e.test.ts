// Generator metrics in the studio end to end (issue 5): in Chromium through web mode, the metrics view measures the
// open model against a folder of real images written here, with the extractor the studio picks for the model
// preselected, and shows the numbers with the extractor's name and short hash, the counts, and the line that they are
// not Inception FIDs; the measurement stays listed for the model after a reload.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Random } from '../../main/engine/sampling/random.ts'
import { encodePng } from '../../main/images/png.ts'
import { ARTEFACTS, chromiumPath, launchChromium, openStudioPage, startWebStudio, type WebStudio } from './harness.ts'

const chromium = chromiumPath()

describe.skipIf(!chromium)('generator metrics in Chromium', () => {
  let work: string
  let reals: string
  let studio: WebStudio
  let browser: Browser
  let page: Page
  const problems: string[] = []

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'biggan-e2e-metrics-'))
    reals = join(work, 'reals')
    mkdirSync(reals)
    const rng = new Random(11)
    for (let i = 0; i < 10; i++) {
      const rgb = Uint8Array.from({ length: 32 * 32 * 3 }, () => Math.floor(rng.uniform() * 256))
      writeFileSync(join(reals, `${i}.png`), encodePng(rgb, 32, 32))
    }
    studio = await startWebStudio(join(work, 'app'))
    browser = await launchChromium(chromium!)
    page = await openStudioPage(browser, studio, problems)
  })

  afterAll(async () => {
    await browser?.close()
    await studio?.stop()
    rmSync(work, { recursive: true, force: true })
  })

  it('measures the open model against a folder and shows the numbers with what they were measured with', async () => {
    await page.getByTestId('nav-metrics').click()
    // the studio's default for the model, once known, is marked and chosen
    await page.locator('[data-testid="metrics-extractor"] option', { hasText: '(default)' }).waitFor({ state: 'attached' })
    const extractor = await page.getByTestId('metrics-extractor').inputValue()
    await page.getByTestId('metrics-real-folder').fill(reals)
    await page.getByTestId('metrics-n').fill('8')
    await page.getByTestId('metrics-truncations').fill('1, 0.5')
    await page.getByTestId('metrics-run').click()
    await page.getByTestId('metrics-row-1').waitFor({ timeout: 120_000 })
    await page.screenshot({ path: join(ARTEFACTS, '9-metrics.png'), fullPage: true })

    const provenance = await page.getByTestId('metrics-provenance').textContent()
    expect(provenance).toContain(extractor === 'classifier' ? 'extractor fashion-mnist-classifier (' : 'extractor discriminator (')
    expect(provenance).toContain('8 real images') // at most as many reals as generated images
    expect(provenance).toContain('8 generated per truncation')
    expect(await page.getByTestId('metrics-not-inception').textContent()).toMatch(/Not Inception FIDs/)
    const row = await page.getByTestId('metrics-row-0').textContent()
    expect(row).toMatch(/^\s*1\s*−?\d+\.\d{3}\s*−?\d+\.\d{3} ± \d+\.\d{3}/)

    await page.reload()
    await page.getByTestId('nav-metrics').click()
    await expect.poll(() => page.locator('[data-testid^="metrics-record-"]').count()).toBe(1)
    expect(problems).toEqual([])
  })
})
