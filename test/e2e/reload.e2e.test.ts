// Reloads and restarts in Chromium through web mode: a measurement started before a reload is reattached (its result
// shows without measuring again) with the view and its form where they were; Fine-tune keeps its scanned folder and
// Interpolate its ends with their names across a reload; and a tab left open while the server restarts on the same
// data folder reconnects.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Random } from '../../main/engine/sampling/random.ts'
import { encodePng } from '../../main/images/png.ts'
import { chromiumPath, startWebStudio, studioInChromium } from './harness.ts'

const chromium = chromiumPath()

describe.skipIf(!chromium)('reloads and restarts in Chromium', () => {
  let reals: string
  const e2e = studioInChromium(chromium!, 'biggan-e2e-reload-', (work) => {
    reals = join(work, 'reals')
    mkdirSync(reals)
    const rng = new Random(5)
    for (let i = 0; i < 10; i++) {
      const rgb = Uint8Array.from({ length: 32 * 32 * 3 }, () => Math.floor(rng.uniform() * 256))
      writeFileSync(join(reals, `${i}.png`), encodePng(rgb, 32, 32))
    }
  })

  it('reattaches a measurement started before a reload, with the view and its form where they were', async () => {
    const { page } = e2e
    await page.getByTestId('nav-metrics').click()
    await page.getByTestId('metrics-real-folder').fill(reals)
    await page.getByTestId('metrics-n').fill('64')
    await page.getByTestId('metrics-truncations').fill('1, 0.5')
    await page.getByTestId('metrics-run').click()
    await page.getByTestId('metrics-progress').waitFor()
    await page.reload()

    // no click on the sidebar: the view, the form and the job come back by themselves
    await page.getByTestId('metrics-real-folder').waitFor({ timeout: 90_000 })
    expect(await page.getByTestId('nav-metrics').getAttribute('aria-current')).toBe('page')
    expect(await page.getByTestId('metrics-real-folder').inputValue()).toBe(reals)
    expect(await page.getByTestId('metrics-n').inputValue()).toBe('64')
    expect(await page.getByTestId('metrics-truncations').inputValue()).toBe('1, 0.5')
    await page.getByTestId('metrics-row-1').waitFor({ timeout: 180_000 })
    expect(await page.locator('[data-testid^="metrics-record-"]').count()).toBe(1)
    expect(await page.getByTestId('metrics-error').count()).toBe(0)
  })

  it('keeps the Fine-tune view and its scanned folder across a reload', async () => {
    const { page } = e2e
    await page.getByTestId('nav-finetune').click()
    await page.getByTestId('finetune-path').fill(reals)
    await page.getByTestId('finetune-scan').click()
    await page.getByTestId('finetune-scan-summary').waitFor({ timeout: 120_000 })
    await page.reload()
    await page.getByTestId('finetune-scan-summary').waitFor({ timeout: 120_000 })
    expect(await page.getByTestId('nav-finetune').getAttribute('aria-current')).toBe('page')
    expect(await page.getByTestId('finetune-path').inputValue()).toMatch(/[/\\]reals$/)
  })

  it("keeps Interpolate's ends, named when chosen, across a reload", async () => {
    const { page } = e2e
    await page.getByTestId('nav-interpolate').click()
    await page.getByTestId('interp-a-current').click()
    await page.getByTestId('interp-b-random').click()
    await expect.poll(() => page.getByTestId('interp-b-label').textContent()).toMatch(/seed \d+/)
    const a = (await page.getByTestId('interp-a-label').textContent())!.trim()
    const b = (await page.getByTestId('interp-b-label').textContent())!.trim()
    expect(a).toMatch(/ · seed \d+$/)
    expect(a).not.toBe('current point')
    await page.reload()
    await page.getByTestId('interp-a-label').waitFor({ timeout: 90_000 })
    await expect.poll(() => page.getByTestId('interp-b-label').textContent()).toBe(b)
    expect((await page.getByTestId('interp-a-label').textContent())!.trim()).toBe(a)
  })

  it('reconnects a tab left open while the server restarts on the same data folder', async () => {
    const { page } = e2e
    const port = e2e.studio.port
    await e2e.studio.stop()
    e2e.studio = await startWebStudio(join(e2e.work, 'app'), ['--port', String(port)])
    expect(e2e.studio.port).toBe(port)
    // the open tab, never reloaded, is heard again: it says so, and the studio answers it
    await page.getByText('Reconnected to the studio server.').waitFor({ timeout: 60_000 })
    await page.getByTestId('nav-metrics').click()
    await page.locator('[data-testid^="metrics-record-"]').first().waitFor({ timeout: 60_000 })
    expect(e2e.problems.filter((p) => !/WebSocket|ERR_CONNECTION_REFUSED|Failed to load resource/.test(p))).toEqual([])
  })
})
