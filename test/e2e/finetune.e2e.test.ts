// Fine-tuning in the studio end to end: web mode with the real engine and training worker, in Chromium.
// A small folder made here (two Fashion-MNIST classes, one broken image and one file that is not an image) is
// scanned, the default model fine-tuned for a few steps with every chart fed at each step; the run is cancelled,
// resumed to the end, found in SQLite, its best checkpoint opened as the model, provenance and all, and the run
// deleted (not while it holds the open model). Then a BSA run of the same folder previews its target classes.
import Database from 'better-sqlite3'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { ARTEFACTS, chromiumPath, studioInChromium } from './harness.ts'

const chromium = chromiumPath()

/** 20 images per class of simple garment-like shapes, 32×32, one corrupt file and one that is no image. */
async function makeFolder(root: string): Promise<void> {
  for (const [c, name] of ['Trouser', 'Bag'].entries()) {
    mkdirSync(join(root, name), { recursive: true })
    for (let n = 0; n < 20; n++) {
      const px = Buffer.alloc(32 * 32 * 3, 10)
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          const inside = c === 0 ? x > 8 + (n % 3) && x < 24 - (n % 4) && (x < 14 || x > 18 || y < 10) : x > 5 && x < 27 && y > 10 + (n % 3) && y < 28
          if (inside) px.fill(200 - 3 * n, (y * 32 + x) * 3, (y * 32 + x + 1) * 3)
        }
      }
      await sharp(px, { raw: { width: 32, height: 32, channels: 3 } }).png().toFile(join(root, name, `${n}.png`))
    }
  }
  writeFileSync(join(root, 'Bag', 'broken.png'), 'this is not a png')
  writeFileSync(join(root, 'Bag', 'notes.txt'), 'not an image')
}

describe.skipIf(!chromium)('fine-tuning in the studio, in Chromium', () => {
  const e2e = studioInChromium(chromium!, 'biggan-e2e-ft-', (work) => makeFolder(join(work, 'images')))
  const status = (): Promise<string | null> => e2e.page.getAttribute('[data-testid="monitor-status"]', 'data-status').catch(() => null)
  const points = async (chart: string): Promise<number> => Number(await e2e.page.getAttribute(`[data-testid="${chart}"]`, 'data-points').catch(() => 0))

  it('scans the folder: counts per class, the held-out split, and the files that failed or were ignored with their reasons', async () => {
    await e2e.page.getByTestId('nav-finetune').click()
    await e2e.page.getByTestId('finetune-path').fill(join(e2e.work, 'images'))
    await e2e.page.getByTestId('finetune-scan').click()
    await e2e.page.getByTestId('finetune-method-reason').waitFor({ timeout: 120_000 })
    expect(await e2e.page.getByTestId('finetune-failed').textContent()).toMatch(/broken\.png — cannot decode: the file is not a JPEG, PNG or WebP image/)
    expect(await e2e.page.getByTestId('finetune-ignored').textContent()).toMatch(/1 file ignored[\s\S]*Bag\/notes\.txt — not an image/)
    expect(await e2e.page.getByTestId('finetune-scan-summary').textContent()).toMatch(/30[\s\S]*10|held/)
    await e2e.page.screenshot({ path: join(ARTEFACTS, '6-finetune-scan.png'), fullPage: true })
  })

  it('fine-tunes with live charts, cancels, resumes to the end', async () => {
    // on two threads: the fine-tuning threads setting (Models) reaches the bundled training worker
    await e2e.page.getByTestId('nav-models').click()
    await e2e.page.getByTestId('training-threads-choice').selectOption('2')
    await expect.poll(async () => (await e2e.page.getByTestId('training-threads-now').textContent())?.trim(), { timeout: 30_000 }).toBe('2')
    await e2e.page.getByTestId('nav-finetune').click()
    await e2e.page.getByTestId('finetune-method').selectOption('adversarial')
    await e2e.page.getByTestId('finetune-steps').fill('4')
    await e2e.page.getByTestId('finetune-steps').press('Tab')
    await e2e.page.locator('[data-testid="finetune-advanced"] summary').click()
    for (const [key, value] of [['checkpointEvery', '1'], ['previewEvery', '1'], ['logEvery', '1'], ['spectraEvery', '1'], ['memorisationEvery', '2'], ['previewCount', '4']]) {
      await e2e.page.getByTestId(`finetune-adv-${key}`).fill(value)
    }
    await e2e.page.getByTestId('finetune-name').fill('e2e')
    await expect.poll(async () => (await e2e.page.getByTestId('finetune-plan').textContent()) ?? '', { timeout: 120_000 }).not.toMatch(/Planning/)
    await e2e.page.getByTestId('finetune-start').click()
    await e2e.page.getByTestId('run-monitor').waitFor({ timeout: 300_000 })
    // what computes the steps: on the wasm backend, 'auto' takes the faster (timed once) of the step compiled for
    // onnxruntime, on the setting's threads, and TensorFlow.js's
    const onWasm = (process.env.BIGGAN_BACKEND ?? 'wasm') === 'wasm'
    await expect.poll(async () => (await e2e.page.getByTestId('run-monitor').textContent()) ?? '', { timeout: 60_000 }).toMatch(
      onWasm ? / · on (onnxruntime \(CPU, 2 threads\)|TensorFlow\.js \(wasm, \d+ threads?\))/ : / · on /,
    )
    // the charts grow as records arrive
    await expect.poll(() => points('chart-loss'), { timeout: 300_000 }).toBeGreaterThanOrEqual(1)
    const first = await points('chart-loss')
    await e2e.page.getByTestId('finetune-cancel').click()
    await expect.poll(status, { timeout: 300_000 }).toBe('cancelled')
    mkdirSync(ARTEFACTS, { recursive: true })
    await e2e.page.screenshot({ path: join(ARTEFACTS, '6-finetune-cancelled.png'), fullPage: true })
    await e2e.page.getByTestId('finetune-resume').click()
    await expect.poll(status, { timeout: 600_000 }).toBe('completed')
    expect(await points('chart-loss')).toBeGreaterThan(first)
    expect(await points('chart-spectra')).toBeGreaterThan(0)
    await e2e.page.screenshot({ path: join(ARTEFACTS, '7-finetune-completed.png'), fullPage: true })
  })

  it('keeps the run as a row in SQLite with its settings, status and checkpoints', () => {
    const db = new Database(join(e2e.work, 'app', 'library.sqlite'), { readonly: true, fileMustExist: true })
    try {
      const row = db.prepare('SELECT * FROM runs').get() as { status: string; step: number; steps: number; method: string; run_dir: string; settings: string }
      expect(row).toMatchObject({ status: 'completed', step: 4, steps: 4, method: 'adversarial' })
      expect(JSON.parse(row.settings)).toBeTruthy()
    } finally {
      db.close()
    }
  })

  it('opens the best checkpoint as the model, with its provenance in Models', async () => {
    await e2e.page.getByTestId('run-open-best').click()
    await expect.poll(async () => (await e2e.page.getByTestId('model-header').textContent()) ?? '', { timeout: 60_000 }).toMatch(/e2e best/)
    await e2e.page.getByTestId('nav-models').click()
    const info = (await e2e.page.getByTestId('model-info').textContent()) ?? ''
    expect(info).toMatch(/adversarial/)
    // the fine-tuning threads setting goes back to its default
    await e2e.page.getByTestId('training-threads-choice').selectOption('auto')
    await expect.poll(async () => (await e2e.page.getByTestId('training-threads-choice').inputValue()), { timeout: 30_000 }).toBe('auto')
    expect(e2e.problems).toEqual([])
  })

  it('deletes the run with its folder once its checkpoint is no longer the open model', async () => {
    const runs = () => {
      const db = new Database(join(e2e.work, 'app', 'library.sqlite'), { readonly: true, fileMustExist: true })
      try {
        return db.prepare('SELECT id, run_dir FROM runs').all() as { id: number; run_dir: string }[]
      } finally {
        db.close()
      }
    }
    const [{ id, run_dir: runDir }] = runs()
    await e2e.page.getByTestId('nav-finetune').click()
    await e2e.page.getByTestId(`run-delete-${id}`).click()
    expect(await e2e.page.getByTestId(`run-delete-confirm-${id}`).textContent()).toMatch(/cannot be deleted: one of its checkpoints is the open model/)

    await e2e.page.getByTestId('nav-models').click()
    await e2e.page.getByTestId('models-default').click()
    await expect.poll(async () => (await e2e.page.getByTestId('model-header').textContent()) ?? '', { timeout: 60_000 }).not.toMatch(/e2e best/)
    await e2e.page.getByTestId('nav-finetune').click()
    await e2e.page.getByTestId(`run-item-${id}`).click()
    await e2e.page.getByTestId(`run-delete-${id}`).click()
    await e2e.page.getByTestId(`run-delete-yes-${id}`).click()
    await e2e.page.getByTestId('runs-empty').waitFor({ timeout: 60_000 })
    expect(runs()).toEqual([])
    expect(existsSync(runDir)).toBe(false)
    expect(e2e.problems).toEqual([])
  })

  it("adapts with BSA and shows the target class's previews at the start and at every checkpoint in the monitor", async () => {
    await e2e.page.getByTestId('nav-finetune').click()
    await e2e.page.getByTestId('finetune-path').fill(join(e2e.work, 'images'))
    await e2e.page.getByTestId('finetune-scan').click()
    await e2e.page.getByTestId('finetune-method-reason').waitFor({ timeout: 120_000 })
    await e2e.page.getByTestId('finetune-method').selectOption('bsa')
    await e2e.page.getByTestId('finetune-steps').fill('4')
    await e2e.page.getByTestId('finetune-steps').press('Tab')
    const checkpointEvery = e2e.page.getByTestId('finetune-adv-checkpointEvery')
    if (!(await checkpointEvery.isVisible())) await e2e.page.locator('[data-testid="finetune-advanced"] summary').click()
    await checkpointEvery.fill('2')
    await e2e.page.getByTestId('finetune-adv-previewCount').fill('4')
    await e2e.page.getByTestId('finetune-name').fill('e2e-bsa')
    await expect.poll(async () => (await e2e.page.getByTestId('finetune-plan').textContent()) ?? '', { timeout: 120_000 }).not.toMatch(/Planning/)
    await e2e.page.getByTestId('finetune-start').click()
    await e2e.page.getByTestId('run-monitor').waitFor({ timeout: 300_000 })
    await expect.poll(status, { timeout: 600_000 }).toBe('completed')
    // previews at steps 0, 2 and 4: the newest shown, the timeline stepping through all three
    await expect.poll(async () => e2e.page.getByTestId('finetune-preview').getAttribute('data-step'), { timeout: 60_000 }).toBe('4')
    await e2e.page.locator('[data-testid="finetune-preview"] img').waitFor({ timeout: 60_000 })
    expect(await e2e.page.getByTestId('preview-timeline-step').textContent()).toMatch(/step 4/)
    await e2e.page.getByTestId('preview-timeline-slider').focus()
    await e2e.page.keyboard.press('Home')
    await expect.poll(async () => e2e.page.getByTestId('finetune-preview').getAttribute('data-step'), { timeout: 60_000 }).toBe('0')
    await e2e.page.keyboard.press('ArrowRight')
    await expect.poll(async () => e2e.page.getByTestId('finetune-preview').getAttribute('data-step'), { timeout: 60_000 }).toBe('2')
    const distance = async (): Promise<string> => ((await e2e.page.getByTestId('memorisation-distance').textContent().catch(() => '')) ?? '').replace(/\s+/g, ' ')
    await expect.poll(distance, { timeout: 60_000 }).toMatch(/Distance to the folder: [\d.]+× a held-out image's \(D's features\) — (close to|still far from) the folder/)
    await e2e.page.screenshot({ path: join(ARTEFACTS, '8-finetune-bsa-previews.png'), fullPage: true })
    expect(e2e.problems).toEqual([])
  }, 900_000)
})
