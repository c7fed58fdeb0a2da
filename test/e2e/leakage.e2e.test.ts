// Class leakage in the studio end to end: the leakage matrix for two classes, built in Chromium through
// web mode, must be the matrix the engine computes itself for the same model, seeds and truncations ('none' among
// them) — here in the test's own process, from the model folder the studio opened, with D's class evidence as the
// judge.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend.ts'
import { leakageMatrix } from '../../main/engine/inspect/leakage.ts'
import { BigGANModel } from '../../main/engine/model.ts'
import { ARTEFACTS, chromiumPath, studioInChromium } from './harness.ts'
import { loadModel } from '../../main/disk/modelFolder.ts'

const chromium = chromiumPath()

describe.skipIf(!chromium)('the leakage matrix in Chromium', () => {
  const e2e = studioInChromium(chromium!, 'biggan-e2e-leak-')

  it("shows, for two classes, exactly the engine's own intended × detected counts under D's evidence", async () => {
    await e2e.page.getByTestId('nav-leakage').click()
    // keep classes 0 and 1 (the view starts with the first four)
    for (const c of [2, 3]) {
      const chip = e2e.page.getByTestId(`leakage-class-chip-${c}`)
      if (await chip.count()) await chip.locator('button').click()
    }
    await e2e.page.getByTestId('leakage-seeds').fill('6')
    await e2e.page.getByTestId('leakage-truncations').fill('1, none, 0.5')
    await e2e.page.getByTestId('leakage-judge').selectOption('discriminator')
    await e2e.page.getByTestId('leakage-run').click()
    await e2e.page.getByTestId('leakage-matrix-2').waitFor({ timeout: 120_000 })
    expect(await e2e.page.getByTestId('leakage-matrix-1').textContent()).toMatch(/none/) // no truncation: z ~ N(0, I)
    await e2e.page.screenshot({ path: join(ARTEFACTS, '8-leakage.png'), fullPage: true })

    // the studio's matrix, cell by cell: leakage-cell-{t}-{intended}-{detected}
    const shown = await e2e.page.$$eval('[data-testid^="leakage-cell-"]', (cells) =>
      cells.map((c) => [(c as HTMLElement).dataset.testid!, Number(c.textContent?.trim() || 0)] as const),
    )
    const seen = new Map(shown)

    // the engine's own, on the model folder the studio opened (the random stand-in, or the bundled default model)
    await initBackend({ backend: 'wasm' })
    const bundled = join(import.meta.dirname, '../../resources/default-model')
    const dir = existsSync(join(bundled, 'config.json')) ? bundled : join(e2e.work, 'app', 'models', 'random-default')
    const model = await loadModel(dir)
    try {
      const report = await leakageMatrix(model, 'discriminator', { classes: [0, 1], seeds: 6, firstSeed: 0, truncations: [1, null, 0.5] })
      report.truncations.forEach((at, t) => {
        at.counts.forEach((row, i) => {
          const intended = report.classes[i].index
          row.forEach((n, detected) => {
            const id = `leakage-cell-${t}-${intended}-${detected}`
            expect(seen.get(id) ?? 0, id).toBe(n)
          })
          expect(row.reduce((a, b) => a + b, 0)).toBe(6)
        })
      })
    } finally {
      model.dispose()
    }
    expect(e2e.problems).toEqual([])
  })
})
