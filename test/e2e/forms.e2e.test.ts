// The studio's forms never change a value without a word, in Chromium against web mode: out-of-range numbers get a
// note under their field (Explore's truncation, Grid, Interpolate, Metrics, Class leakage), text at its limit says so (Export, Library),
// a pasted megabyte stays out of the tags field and a long tag does not widen the Library toolbar, Grid's missing-
// class message belongs to Classes mode only, and the Fine-tune form refuses steps it cannot honour and asks before
// a run of millions (screenshots of the refused and the confirming form in test-artifacts/e2e/).
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { ARTEFACTS, chromiumPath, studioInChromium } from './harness.ts'

const chromium = chromiumPath()

/** Two classes of 12 plain 32×32 images: enough for a scan and a plan. */
async function makeFolder(root: string): Promise<void> {
  for (const [c, name] of ['Trouser', 'Bag'].entries()) {
    mkdirSync(join(root, name), { recursive: true })
    for (let n = 0; n < 12; n++) {
      const px = Buffer.alloc(32 * 32 * 3, 20 + 9 * n + 60 * c)
      await sharp(px, { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(join(root, name, `${n}.png`))
    }
  }
}

describe.skipIf(!chromium)('forms that say what they do with a value, in Chromium', () => {
  const e2e = studioInChromium(chromium!, 'biggan-e2e-forms-', (work) => makeFolder(join(work, 'images')))
  const text = async (testid: string): Promise<string> => ((await e2e.page.getByTestId(testid).textContent()) ?? '').trim()

  it('the header says both what computes and what serves previews', async () => {
    expect(await text('engine-backend')).toMatch(/^TensorFlow\.js on (wasm|cpu|tfjs-node|tfjs-node-gpu)$/)
    expect(await text('engine-previews')).toMatch(/^previews on (onnxruntime \(|TensorFlow\.js )/)
  })

  it('says when a typed truncation is outside the model range, and what it used', async () => {
    const page = e2e.page
    await page.getByTestId('nav-explore').click()
    for (const [typed, says] of [['0', /0 is below the least/], ['99', /99 is above the most/], ['-1', /−1 is below the least/]] as const) {
      await page.getByTestId('truncation-value').fill(typed)
      await page.getByTestId('truncation-value').press('Enter')
      await expect.poll(() => text('truncation-note')).toMatch(says)
    }
    await page.getByTestId('truncation-value').fill('abc')
    await page.getByTestId('truncation-value').press('Enter')
    await expect.poll(() => text('truncation-note')).toMatch(/“abc” is not a number/)
  })

  it('Grid: notes on rows and columns out of range; "Add at least one class." only while Classes mode has none', async () => {
    const page = e2e.page
    await page.getByTestId('nav-grid').click()
    await page.getByTestId('grid-rows').fill('0')
    await expect.poll(() => text('grid-rows-note')).toMatch(/0 is below the least, 1: using 1/)
    await page.getByTestId('grid-columns').fill('99')
    await expect.poll(() => text('grid-columns-note')).toMatch(/99 is above the most, 10: using 10/)
    await page.getByTestId('grid-rows').fill('3')
    await page.getByTestId('grid-columns').fill('4')
    expect(await page.getByTestId('grid-rows-note').count()).toBe(0)

    await page.getByTestId('grid-mode-classes').check()
    for (let i = 0; i < 20 && (await page.locator('.chips button[aria-label^="Remove"]').count()) > 0; i++) {
      await page.locator('.chips button[aria-label^="Remove"]').first().click()
    }
    await page.getByTestId('grid-start').click()
    await expect.poll(() => text('grid-classes-missing')).toBe('Add at least one class.')
    await page.getByTestId('grid-mode-seeds').check()
    await expect.poll(() => page.getByTestId('grid-classes-missing').count()).toBe(0)
  })

  it('Interpolate: notes on strip frames, export frames and fps out of range', async () => {
    const page = e2e.page
    await page.getByTestId('nav-interpolate').click()
    await page.getByTestId('interp-a-current').click()
    await page.getByTestId('interp-b-random').click()
    await page.getByTestId('interp-frames').fill('0')
    await expect.poll(() => text('interp-frames-note')).toMatch(/0 is below the least, 2: using 2/)
    await page.getByTestId('interp-export-frames').fill('1000')
    await expect.poll(() => text('interp-export-frames-note')).toMatch(/1000 is above the most, 301: using 301[\s\S]*there and back/)
    await page.getByTestId('interp-export-fps').fill('0')
    await expect.poll(() => text('interp-export-fps-note')).toMatch(/0 is below the least, 1: using 1/)
  })

  it('Metrics and Class leakage: notes on counts out of range', async () => {
    const page = e2e.page
    await page.getByTestId('nav-metrics').click()
    await page.getByTestId('metrics-n').fill('3')
    await expect.poll(() => text('metrics-n-note')).toMatch(/3 is below the least, 6: using 6/)
    await page.getByTestId('metrics-n').fill('500')
    await page.getByTestId('nav-leakage').click()
    await page.getByTestId('leakage-seeds').fill('5000')
    await expect.poll(() => text('leakage-seeds-note')).toMatch(/5000 is above the most, 1000: using 1000/)
    await page.getByTestId('leakage-seeds').fill('16')
  })

  it('Export: a name past 200 characters is held at 200, and the field says so', async () => {
    const page = e2e.page
    await page.getByTestId('nav-export').click()
    await page.getByTestId('export-name').fill('n'.repeat(250))
    expect((await page.getByTestId('export-name').inputValue()).length).toBe(200)
    await expect.poll(() => text('export-name-note')).toMatch(/at most 200 characters/)
  })

  it('Library: a pasted megabyte stays out of the tags field, saves, and its 200-character tag keeps the toolbar in the window', async () => {
    const page = e2e.page
    await page.getByTestId('nav-explore').click()
    await page.getByTestId('favourite-button').click()
    await page.getByTestId('nav-library').click()
    await page.locator('[data-testid^="library-item-"]').first().click()
    const tags = page.getByTestId('library-edit-tags')
    await tags.fill(`short, ${'t'.repeat(1_000_000)}`)
    expect((await tags.inputValue()).length).toBeLessThanOrEqual(6464)
    await expect.poll(() => text('library-edit-tags-note')).toMatch(/at most 6464 characters/)
    await page.getByTestId('library-edit-name').fill('m'.repeat(300))
    await expect.poll(() => text('library-edit-name-note')).toMatch(/at most 200 characters/)
    await page.locator('form:has([data-testid="library-edit-tags"]) button[type="submit"]').click()
    await expect.poll(() => page.getByTestId('library-tag').locator('option').count(), { timeout: 60_000 }).toBe(3)
    const widths = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      window: window.innerWidth,
      // the right edge of every control in the toolbar, the tag filter included
      filters: Math.max(...[...document.querySelectorAll('.filters > *')].map((e) => e.getBoundingClientRect().right)),
    }))
    expect(widths.page).toBeLessThanOrEqual(widths.window)
    expect(widths.filters).toBeLessThanOrEqual(widths.window)
    // the filter lists a long tag cut short, whole in its title
    expect((await page.getByTestId('library-tag').locator('option').allTextContents()).join('|')).toMatch(/\|t{39}… \(1\)/)
    mkdirSync(ARTEFACTS, { recursive: true })
    await page.screenshot({ path: join(ARTEFACTS, 'forms-library-long-tag.png') })
  })

  it('Fine-tune: 0 and −5 steps refuse to start with the limit; 5 000 000 steps ask first, with the estimated time', async () => {
    const page = e2e.page
    await page.getByTestId('nav-finetune').click()
    await page.getByTestId('finetune-path').fill(join(e2e.work, 'images'))
    await page.getByTestId('finetune-scan').click()
    await page.getByTestId('finetune-method-reason').waitFor({ timeout: 120_000 })
    for (const [typed, says] of [['0', /Steps: 0 trains nothing; give a whole number from 1 to 10 000 000/], ['-5', /Steps: −5 trains nothing/]] as const) {
      await page.getByTestId('finetune-steps').fill(typed)
      await page.getByTestId('finetune-steps').press('Tab')
      await expect.poll(() => text('finetune-steps-error')).toMatch(says)
      expect(await page.getByTestId('finetune-steps').inputValue()).toBe(typed)
      await expect.poll(() => page.getByTestId('finetune-start').isDisabled()).toBe(true)
    }
    mkdirSync(ARTEFACTS, { recursive: true })
    await page.getByTestId('finetune-steps').scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(ARTEFACTS, 'forms-finetune-refused.png'), fullPage: true })

    await page.getByTestId('finetune-steps').fill('5000000')
    await page.getByTestId('finetune-steps').press('Tab')
    await expect.poll(() => page.getByTestId('finetune-start').isEnabled(), { timeout: 120_000 }).toBe(true)
    await page.getByTestId('finetune-start').click()
    await expect.poll(() => text('finetune-confirm')).toMatch(/Train 5 000 000 steps\?/)
    expect(await text('finetune-confirm-time')).toMatch(/not known before it starts|take about/)
    await page.getByTestId('finetune-confirm').scrollIntoViewIfNeeded()
    await page.screenshot({ path: join(ARTEFACTS, 'forms-finetune-confirm.png'), fullPage: true })
    await page.getByTestId('finetune-confirm-back').click()
    expect(await page.getByTestId('finetune-confirm').count()).toBe(0)
    // nothing started
    expect(await page.getByTestId('run-monitor').count()).toBe(0)
    expect(e2e.problems).toEqual([])
  })
})
