// Two things Explore and Export now say in the person's terms, in Chromium: a direction kept under a name with the
// range of G's blocks it edits (still there, named, after a reload), stepped as a layer-wise edit; and a PNG exported
// eight times larger (smooth) whose latent record, dropped back on the studio, reopens the exact point.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { readLatentRecord } from '../../main/images/latentRecord.ts'
import { ARTEFACTS, chromiumPath, studioInChromium } from './harness.ts'

const chromium = chromiumPath()

/** The RGBA pixels the canvas holds, as a plain array (empty while there is none). */
async function pixels(page: Page, testid: string): Promise<number[]> {
  return page.getByTestId(testid).evaluate((element) => {
    const canvas = element instanceof HTMLCanvasElement ? element : element.querySelector('canvas')
    if (!canvas || canvas.width === 0) return []
    return Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data)
  })
}

/** Waits until the canvas shows a drawn image that differs from `before` (when given). */
async function waitForImage(page: Page, testid: string, before?: number[]): Promise<number[]> {
  let now: number[] = []
  await expect
    .poll(
      async () => {
        now = await pixels(page, testid).catch(() => [])
        const drawn = now.length > 0 && now.some((v, i) => i % 4 !== 3 && v !== 0)
        return drawn && (!before || JSON.stringify(now) !== JSON.stringify(before))
      },
      { timeout: 90_000 },
    )
    .toBe(true)
  return now
}

describe.skipIf(!chromium)('named directions and upscaled exports in Chromium', () => {
  const e2e = studioInChromium(chromium!, 'biggan-e2e-directions-')

  it("keeps a direction under a name with the blocks it edits, steps it there, and finds it again after a reload", async () => {
    const { page } = e2e
    const before = await waitForImage(page, 'explore-canvas')
    await page.getByTestId('direction-step-0-plus').waitFor({ timeout: 90_000 })
    await page.getByTestId('direction-name').fill('sleeve length')
    await page.getByTestId('direction-keep').click()
    const kept = page.getByTestId('kept-direction-0')
    await kept.waitFor({ timeout: 30_000 })
    expect(await page.getByTestId('kept-direction-0-name').inputValue()).toBe('sleeve length')
    // the default model has a hierarchical z: narrow the edit to its last two blocks
    const last = await page.getByTestId('kept-direction-0-last').locator('option').count()
    expect(last).toBeGreaterThan(2)
    await page.getByTestId('kept-direction-0-first').selectOption(String(last - 2))
    await expect.poll(() => page.getByTestId('kept-direction-0-blocks').textContent()).toBe(`block ${last - 2} … block ${last - 1}`)
    await page.getByTestId('kept-direction-0-plus').click()
    await waitForImage(page, 'explore-canvas', before)
    await page.getByTestId('explore-evidence').waitFor()
    await page.screenshot({ path: join(ARTEFACTS, 'explore-named-direction.png') })

    await page.reload()
    await page.getByTestId('kept-direction-0').waitFor({ timeout: 90_000 })
    expect(await page.getByTestId('kept-direction-0-name').inputValue()).toBe('sleeve length')
    expect(await page.getByTestId('kept-direction-0-blocks').textContent()).toBe(`block ${last - 2} … block ${last - 1}`)
  })

  it('exports a PNG eight times larger whose record says the scale, and dropping it reopens the exact point', async () => {
    const { page } = e2e
    await page.getByTestId('nav-explore').click()
    const shown = await waitForImage(page, 'explore-canvas')
    await page.getByTestId('nav-export').click()
    await page.getByTestId('export-upscale-factor').selectOption('8')
    await page.getByTestId('export-upscale-filter').selectOption('smooth')
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-button').click()])
    const file = join(e2e.work, 'exported.png')
    await download.saveAs(file)
    const bytes = new Uint8Array(readFileSync(file))
    const meta = await sharp(bytes).metadata()
    expect([meta.width, meta.height]).toEqual([256, 256])
    expect(readLatentRecord(bytes).upscale).toEqual({ factor: 8, filter: 'smooth' })

    // move elsewhere, then drop the enlarged PNG: the point it was exported from comes back, pixel for pixel
    await page.getByTestId('nav-explore').click()
    await page.getByTestId('seed-random').click()
    await waitForImage(page, 'explore-canvas', shown)
    await page.getByTestId('nav-export').click()
    await page.getByTestId('drop-file-input').setInputFiles(file)
    await expect.poll(async () => JSON.stringify(await pixels(page, 'explore-canvas').catch(() => [])) === JSON.stringify(shown), { timeout: 60_000 }).toBe(true)
    expect(e2e.problems).toEqual([])
  })
})
