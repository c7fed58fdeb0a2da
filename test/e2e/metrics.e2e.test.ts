// Generator metrics in the studio end to end: in Chromium through web mode, the metrics view measures the
// open model against a folder of real images written here, with the extractor the studio picks for the model
// preselected, and shows the numbers with the extractor's name and short hash, the counts, and the line that they are
// not Inception FIDs; the measurement stays listed for the model after a reload.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { Random } from '../../main/engine/sampling/random.ts'
import { encodePng } from '../../main/images/png.ts'
import { ARTEFACTS, chromiumPath, studioInChromium } from './harness.ts'

const chromium = chromiumPath()

describe.skipIf(!chromium)('generator metrics in Chromium', () => {
  let reals: string
  const e2e = studioInChromium(chromium!, 'biggan-e2e-metrics-', (work) => {
    reals = join(work, 'reals')
    mkdirSync(reals)
    const rng = new Random(11)
    for (let i = 0; i < 10; i++) {
      const rgb = Uint8Array.from({ length: 32 * 32 * 3 }, () => Math.floor(rng.uniform() * 256))
      writeFileSync(join(reals, `${i}.png`), encodePng(rgb, 32, 32))
    }
  })

  it('measures the open model against a folder and shows the numbers with what they were measured with', async () => {
    await e2e.page.getByTestId('nav-metrics').click()
    // the studio's default for the model, once known, is marked and chosen
    await e2e.page.locator('[data-testid="metrics-extractor"] option', { hasText: '(default)' }).waitFor({ state: 'attached' })
    const extractor = await e2e.page.getByTestId('metrics-extractor').inputValue()
    await e2e.page.getByTestId('metrics-real-folder').fill(reals)
    await e2e.page.getByTestId('metrics-n').fill('8')
    await e2e.page.getByTestId('metrics-truncations').fill('1, 0.5')
    await e2e.page.getByTestId('metrics-run').click()
    await e2e.page.getByTestId('metrics-row-1').waitFor({ timeout: 120_000 })
    await e2e.page.screenshot({ path: join(ARTEFACTS, '9-metrics.png'), fullPage: true })

    const provenance = await e2e.page.getByTestId('metrics-provenance').textContent()
    expect(provenance).toContain(extractor === 'classifier' ? 'extractor fashion-mnist-classifier (' : 'extractor discriminator (')
    expect(provenance).toContain('8 real images') // at most as many reals as generated images
    expect(provenance).toContain('8 generated per truncation')
    expect(await e2e.page.getByTestId('metrics-not-inception').textContent()).toMatch(/Not Inception FIDs/)
    const row = await e2e.page.getByTestId('metrics-row-0').textContent()
    // 8 real and 8 generated: a KID subset is both sets whole, so there is one estimate and no ± to show
    expect(row).toMatch(/^\s*1\s*−?\d+\.\d{3}\s*−?\d+\.\d{3}/)
    expect(row).not.toContain('±')
    expect(await e2e.page.getByTestId('metrics-kid-subsets').textContent()).toMatch(/both sets whole \(8 each/)

    await e2e.page.reload()
    await e2e.page.getByTestId('nav-metrics').click()
    await expect.poll(() => e2e.page.locator('[data-testid^="metrics-record-"]').count()).toBe(1)
    expect(e2e.problems).toEqual([])
  })
})
