// Explore's evidence panel in Chromium: it names its judge and what the bars mean, says where the judge ranks the
// class the image was meant to show (also when that class is not among the bars), and lets the person change the
// judge from D to the bundled classifier. A screenshot of the labelled panel goes to test-artifacts/e2e/.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { ARTEFACTS, chromiumPath, studioInChromium } from './harness.ts'

const chromium = chromiumPath()

/** The rank line's number once it names `name`, with the bars it came with. */
async function rankOf(page: Page, name: string): Promise<number> {
  const rank = page.getByTestId('evidence-rank')
  await expect.poll(async () => (await rank.count()) > 0 && (await rank.textContent())?.trim().startsWith(`${name}:`), { timeout: 90_000 }).toBe(true)
  const text = (await rank.textContent())!.trim()
  const m = /^(.+): rank (\d+) of 10$/.exec(text)
  expect(m, text).not.toBeNull()
  return Number(m![2])
}

/** The intended class is marked among the bars exactly when its rank puts it there. */
async function expectBarsAgree(page: Page, rank: number): Promise<void> {
  const rows = page.getByTestId('explore-evidence').locator('.bar-row')
  const marked = await rows.evaluateAll((els) => els.map((e) => e.classList.contains('intended')))
  expect(marked.length).toBe(5)
  expect(marked.indexOf(true)).toBe(rank <= 5 ? rank - 1 : -1)
}

describe.skipIf(!chromium)("Explore's evidence panel in Chromium", () => {
  const e2e = studioInChromium(chromium!, 'biggan-e2e-evidence-')

  it("names its judge, ranks the intended class among all ten, and switches from D to the bundled classifier", async () => {
    const { page } = e2e
    mkdirSync(ARTEFACTS, { recursive: true })
    try {
      await panel(page)
    } catch (err) {
      await page.screenshot({ path: join(ARTEFACTS, 'explore-evidence-failed.png'), fullPage: true })
      throw err
    }
    expect(e2e.problems).toEqual([])
  }, 300_000)
})

async function panel(page: Page): Promise<void> {
  await page.getByTestId('class-search').fill('sneaker')
  await page.locator('[data-testid^="class-result-"]', { hasText: 'Sneaker' }).first().click()

  await expect.poll(() => page.getByTestId('evidence-judge-name').textContent(), { timeout: 90_000 }).toBe("Judged by the model's D")
  await expect.poll(() => page.getByTestId('evidence-judge').inputValue()).toBe('discriminator')
  expect(await page.getByTestId('explore-evidence').textContent()).toMatch(/class evidence/)
  await expectBarsAgree(page, await rankOf(page, 'Sneaker'))
  await page.getByTestId('explore-evidence').screenshot({ path: join(ARTEFACTS, 'explore-evidence-panel-d.png') })

  await page.getByTestId('evidence-judge').selectOption('classifier')
  await expect
    .poll(() => page.getByTestId('evidence-judge-name').textContent(), { timeout: 90_000 })
    .toBe('Judged by the bundled Fashion-MNIST classifier')
  expect(await page.getByTestId('explore-evidence').textContent()).toMatch(/probability/)
  await expectBarsAgree(page, await rankOf(page, 'Sneaker'))

  await page.getByTestId('explore-evidence').screenshot({ path: join(ARTEFACTS, 'explore-evidence-panel.png') })
}
