// `npm run bench:studio`: the studio's interactive speed as a person feels it, on the default model. Web mode (the
// built server, its engine worker) driven in Debian's Chromium; each time runs from the click in the page to the
// new pixels on screen (the canvas read back after the frame that drew them), measured inside the page.
//   preview: Explore's "Random" seed button → the new image (median of 15, after 3 warm-ups)
//   grid:    an 8×8 truncation grid (8 seeds × 8 truncations) → its last cell drawn (median of 3)
// Once per preview path: onnxruntime chosen by the studio itself ('auto', what a user gets), and TensorFlow.js forced
// on each backend the machine has (BIGGAN_BACKENDS=wasm,cpu by default; tfjs-node where installed).
// Targets: preview ≤ 100 ms, 8×8 grid ≤ 1 s (what feels immediate while exploring). A benchmark, not a test: it prints, it does not judge.
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { chromiumPath, launchChromium, startWebStudio } from '../e2e/harness.ts'
import { median } from './trainer.ts'

const backends = (process.env.BIGGAN_BACKENDS ?? 'wasm,cpu').split(',')
const paths = [{ backend: backends[0], runtime: 'auto' }, ...backends.map((backend) => ({ backend, runtime: 'tfjs' }))]
const chromium = chromiumPath()
if (!chromium) process.exit(1)

/** ms from a click on `button` to changed pixels in the canvas `canvas` (by data-testid), measured in the page.
 *  The page script is a string: tsx's transform would decorate a function with helpers the page does not have. */
async function clickToPixels(page: Page, button: string, canvas: string): Promise<number> {
  return page.evaluate(`(async () => {
    const find = (id) => document.querySelector('[data-testid="' + id + '"]')
    const read = () => {
      const el = find(${JSON.stringify(canvas)})
      const c = el instanceof HTMLCanvasElement ? el : el && el.querySelector('canvas')
      if (!c || c.width === 0) return ''
      return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join(',')
    }
    const before = read()
    const t0 = performance.now()
    find(${JSON.stringify(button)}).click()
    return new Promise((done, fail) => {
      const tick = () => {
        const now = read()
        if (now !== '' && now !== before) done(performance.now() - t0)
        else if (performance.now() - t0 > 120000) fail(new Error('no new pixels'))
        else requestAnimationFrame(tick)
      }
      requestAnimationFrame(tick)
    })
  })()`) as Promise<number>
}

console.log(`BigGAN Studio interactive speed — ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, Chromium ${chromium}`)
console.log('| previews by | tfjs backend | model | preview (median ms) | preview (min–max) | 8×8 grid (median ms) |')
console.log('|---|---|---|---|---|---|')
const browser = await launchChromium(chromium)
for (const { backend, runtime } of paths) {
  const data = mkdtempSync(join(tmpdir(), 'biggan-bench-studio-'))
  process.env.BIGGAN_BACKEND = backend
  process.env.BIGGAN_RUNTIME = runtime
  const studio = await startWebStudio(data).catch((e: Error) => {
    console.log(`| ${runtime} | ${backend} | – | did not start: ${e.message.split('\n')[0]} | | |`)
    return null
  })
  if (!studio) continue
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
    await page.goto(studio.url)
    await page.getByTestId('model-name').waitFor({ timeout: 120_000 })
    const model = (await page.getByTestId('model-name').textContent())?.trim() ?? ''
    await page.getByTestId('nav-models').click()
    const served = /onnx[^,)]*(,[^)]*)?\)?|tfjs/.exec((await page.getByTestId('engine-info').textContent()) ?? '')?.[0] ?? runtime
    await page.getByTestId('nav-explore').click()
    const previews: number[] = []
    for (let i = 0; i < 18; i++) {
      const ms = await clickToPixels(page, 'seed-random', 'explore-canvas')
      if (i >= 3) previews.push(ms)
    }
    await page.getByTestId('nav-grid').click()
    await page.getByTestId('grid-rows').fill('8')
    await page.getByTestId('grid-columns').fill('8')
    const grids: number[] = []
    for (let i = 0; i < 3; i++) {
      await page.getByTestId('grid-seed').fill(String(1000 + 100 * i))
      grids.push(await clickToPixels(page, 'grid-start', 'grid-cell-7-7'))
    }
    console.log(
      `| ${served} | ${backend} | ${model} | ${median(previews).toFixed(0)} | ${Math.min(...previews).toFixed(0)}–${Math.max(...previews).toFixed(0)} | ${median(grids).toFixed(0)} |`,
    )
    await page.close()
  } finally {
    await studio.stop()
    rmSync(data, { recursive: true, force: true })
  }
}
await browser.close()
