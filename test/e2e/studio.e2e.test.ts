// The studio end to end, as a person uses it: web mode (the built server, its engine worker and SQLite library)
// driven in Debian's Chromium. Load the default model, change class and truncation and see the image change, build
// a truncation grid, blend two classes, save a favourite, restart the app and find it in the library, and
// regenerate it pixel-identical. A screenshot of each view goes to test-artifacts/e2e/.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ARTEFACTS, chromiumPath, launchChromium, openStudioPage, startWebStudio, type WebStudio } from './harness.ts'

const chromium = chromiumPath()

/** The RGBA pixels a canvas holds (at the model's resolution) as a plain array: the element's own, or the canvas
 *  inside it (a grid cell is a button around one); empty while there is none. */
async function pixels(page: Page, testid: string): Promise<number[]> {
  return page.getByTestId(testid).evaluate((element) => {
    const canvas = element instanceof HTMLCanvasElement ? element : element.querySelector('canvas')
    if (!canvas || canvas.width === 0) return []
    return Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data)
  })
}

/** Waits until a canvas shows an image that is not blank and differs from `before` (when given). */
async function waitForImage(page: Page, testid: string, before?: number[]): Promise<number[]> {
  const deadline = Date.now() + 90_000
  for (;;) {
    const now = await pixels(page, testid).catch(() => [])
    const drawn = now.length > 0 && now.some((v, i) => i % 4 !== 3 && v !== 0)
    if (drawn && (!before || now.length !== before.length || now.some((v, i) => v !== before[i]))) return now
    if (Date.now() > deadline) throw new Error(`${testid} did not show a new image within 90 s`)
    await page.waitForTimeout(100)
  }
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTEFACTS, { recursive: true })
  await page.screenshot({ path: join(ARTEFACTS, `${name}.png`) })
}

describe.skipIf(!chromium)('the studio in Chromium, web mode, real engine', () => {
  let data: string
  let studio: WebStudio
  let browser: Browser
  let page: Page
  const problems: string[] = []
  let favourite: number[] = []

  const open = async (): Promise<void> => {
    page = await openStudioPage(browser, studio, problems, 800)
  }

  beforeAll(async () => {
    data = mkdtempSync(join(tmpdir(), 'biggan-e2e-'))
    studio = await startWebStudio(join(data, 'app'))
    browser = await launchChromium(chromium!)
    await open()
  })

  afterAll(async () => {
    await browser?.close()
    await studio?.stop()
    rmSync(data, { recursive: true, force: true })
  })

  it('opens on the default model and shows its first image', async () => {
    await expect.poll(() => page.getByTestId('model-name').textContent(), { timeout: 90_000 }).toBeTruthy()
    await waitForImage(page, 'explore-canvas')
    await shot(page, '1-explore')
  })

  it('changing the class, then the truncation, changes the image', async () => {
    const first = await waitForImage(page, 'explore-canvas')
    await page.getByTestId('class-search').fill('bag')
    // by name: the class's index depends on the model (the bundled one orders its classes as its training folders)
    await page.locator('[data-testid^="class-result-"]', { hasText: 'Bag' }).first().click()
    const bag = await waitForImage(page, 'explore-canvas', first)
    await page.getByTestId('truncation-value').fill('0.5')
    await page.getByTestId('truncation-value').press('Enter')
    await waitForImage(page, 'explore-canvas', bag)
  })

  it('builds a truncation grid, every cell drawn', async () => {
    await page.getByTestId('nav-grid').click()
    await page.getByTestId('grid-start').click()
    await waitForImage(page, 'grid-cell-0-0')
    const last = page.locator('[data-testid^="grid-cell-"]').last()
    const lastId = (await last.getAttribute('data-testid'))!
    await waitForImage(page, lastId)
    // the same z across a row: truncation changes the image within a row
    expect(await pixels(page, 'grid-cell-0-0')).not.toEqual(await pixels(page, lastId.replace(/-\d+-/, '-0-')))
    await shot(page, '2-grid')
  })

  it('blends two classes and the blend moves the image', async () => {
    await page.getByTestId('nav-blend').click()
    const single = await waitForImage(page, 'blend-canvas')
    await page.getByTestId('blend-add').click()
    await page.getByTestId('blend-add-class-search').fill('sneaker')
    await page.locator('[data-testid^="blend-add-class-result-"]', { hasText: 'Sneaker' }).first().click()
    await waitForImage(page, 'blend-canvas', single)
    await shot(page, '3-blend')
  })

  it('saves a favourite and remembers exactly what it showed', async () => {
    await page.getByTestId('nav-explore').click()
    favourite = await waitForImage(page, 'explore-canvas')
    await page.getByTestId('favourite-button').click()
    await page.getByTestId('nav-library').click()
    await expect.poll(() => page.locator('[data-testid^="library-item-"]').count(), { timeout: 30_000 }).toBe(1)
    await shot(page, '4-library')
  })

  it('after a restart the favourite is in the library and regenerates pixel-identical', async () => {
    await page.close()
    expect(await studio.stop()).toBe(0) // a clean shutdown on SIGTERM
    studio = await startWebStudio(join(data, 'app'))
    await open()
    await expect.poll(() => page.getByTestId('model-name').textContent(), { timeout: 90_000 }).toBeTruthy()
    await page.getByTestId('nav-library').click()
    const item = page.locator('[data-testid^="library-item-"]')
    await expect.poll(() => item.count(), { timeout: 30_000 }).toBe(1)
    await item.first().click()
    // move away from the favourite's point first, so its image has to be generated anew
    await page.getByTestId('nav-explore').click()
    const elsewhere = await waitForImage(page, 'explore-canvas')
    await page.getByTestId('seed-random').click()
    await waitForImage(page, 'explore-canvas', elsewhere)
    await page.getByTestId('nav-library').click()
    await item.first().click()
    await page.getByTestId('library-open').click()
    await expect.poll(async () => JSON.stringify(await pixels(page, 'explore-canvas')) === JSON.stringify(favourite), { timeout: 60_000 }).toBe(true)
    await shot(page, '5-reopened')
  })

  it('drew every view without a page error or a CSP violation', () => {
    expect(problems).toEqual([])
  })
})
