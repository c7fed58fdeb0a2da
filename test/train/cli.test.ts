// `biggan train` and `biggan finetune` end to end, in process: a tiny folder of images made with sharp, two
// steps, and the run folder every other command can read.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { biggan } from '../cli/inProcess'
import { initBackend } from '../../main/backend/backend'
import { BigGANModel } from '../../main/engine/model'
import { put } from '../data/images'
import { speckledPng, tinyConfig } from './helpers'
import { saveModel } from '../../main/disk/modelFolder'

let work: string
let data: string

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'biggan-train-cli-'))
  data = join(work, 'flowers')
  for (let i = 0; i < 5; i++) {
    await put(join(data, 'red', `${i}.png`), await speckledPng([200, 30, 30], i + 1, 40))
    await put(join(data, 'blue', `${i}.png`), await speckledPng([30, 30, 200], i + 11, 40))
  }
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('biggan train', () => {
  it('trains a tiny folder for 2 steps into a run folder whose latest/ and best/ the other commands open', async () => {
    const run = join(work, 'run')
    const r = await biggan('train', '--data', data, '--arch', 'biggan', '--res', '32', '--ch', '4', '--steps', '2', '--out', run, '--batch', '4', '--preview-n', '4')
    expect(r.code, r.err).toBe(0)
    expect(r.out).toMatch(/trained 2\/2 steps \(completed\)/)
    expect(r.err).toMatch(/\[#+\]\s+2\/2\s+D \d+\.\d+ .* G -?\d+\.\d+ .* img\/s\s+ETA/)
    const info = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'))
    expect(info).toMatchObject({ kind: 'train', status: 'completed', step: 2, bestStep: 2, data: { classes: ['blue', 'red'], classMap: [0, 1] } })
    expect(info.data.train + info.data.heldOut).toBe(10)
    const lines = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(lines.map((l) => l.step)).toEqual([2]) // log every 10 steps, and at every checkpoint
    expect(Number.isFinite(lines[0].dLoss) && Number.isFinite(lines[0].gLoss)).toBe(true)
    expect(readdirSync(join(run, 'previews')).sort()).toEqual(['step-000000.png', 'step-000002.png'])
    for (const folder of ['latest', 'best']) {
      const shown = await biggan('info', '--model', join(run, folder))
      expect(shown.code, shown.err).toBe(0)
      expect(shown.out).toMatch(/classes\s+2: blue; red/)
      expect(shown.out).toMatch(/source\s+train/)
    }
    const sampled = await biggan('sample', '--model', join(run, 'latest'), '--class', 'red', '--n', '2', '--out', join(work, 'red.png'))
    expect(sampled.code, sampled.err).toBe(0)
  })

  it('--resume continues the run to a new --steps total, and refuses changed settings', async () => {
    const run = join(work, 'run')
    const refused = await biggan('train', '--resume', '--out', run, '--batch', '8')
    expect(refused.code).toBe(2)
    expect(refused.err).toMatch(/keeps the settings it started with; drop --batch/)
    const r = await biggan('train', '--resume', '--out', run, '--steps', '3')
    expect(r.code, r.err).toBe(0)
    expect(r.err).toMatch(/resuming .* at step 2 of 3/)
    expect(JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'))).toMatchObject({ status: 'completed', step: 3 })
  })

  it('says what a new run is missing', async () => {
    const r = await biggan('train', '--data', data, '--out', join(work, 'x'))
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/a new run needs --arch, --res, --ch, --steps/)
  })
})

describe('biggan finetune', () => {
  it('fine-tunes a trained model on a folder whose classes it knows', async () => {
    const run = join(work, 'ft')
    const r = await biggan('finetune', '--model', join(work, 'run', 'latest'), '--data', data, '--steps', '1', '--out', run, '--batch', '4', '--preview-n', '4', '--method', 'adversarial')
    expect(r.code, r.err).toBe(0)
    const info = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'))
    expect(info).toMatchObject({ kind: 'finetune', method: 'adversarial', status: 'completed', settings: { freezeD: 3, orthogonalRegularisation: 0 } })
    expect(info.parent.contentHash).toMatch(/^[0-9a-f]{64}$/)
    expect(existsSync(join(run, 'latest', 'config.json'))).toBe(true)
  })

  it("adapts with BSA, previewing the target classes, and says how close their samples came to the folder", async () => {
    const run = join(work, 'ft-bsa')
    const r = await biggan('finetune', '--model', join(work, 'run', 'latest'), '--data', data, '--steps', '2', '--out', run, '--batch', '4', '--preview-n', '4', '--method', 'bsa')
    expect(r.code, r.err).toBe(0)
    expect(readdirSync(join(run, 'previews')).sort()).toEqual(['step-000000.png', 'step-000002.png'])
    expect(r.out).toMatch(/^distance {2}target-class samples at step 2: [\d.]+× a held-out image's distance to the folder \(in D's features\), (close to|still far from) the folder/m)
  })

  it('names every file it does not use with its reason: a screenful on the terminal, all of them in the run folder', async () => {
    const messy = join(work, 'messy')
    for (let i = 0; i < 5; i++) {
      await put(join(messy, 'red', `${i}.png`), await speckledPng([200, 30, 30], i + 1, 40))
      await put(join(messy, 'blue', `${i}.png`), await speckledPng([30, 30, 200], i + 11, 40))
    }
    for (let i = 1; i <= 9; i++) await put(join(messy, 'red', `broken-${i}.png`), `not a PNG (${i})`)
    const notes = Array.from({ length: 15 }, (_, i) => `blue/note-${String(i + 1).padStart(2, '0')}.txt`)
    for (const note of notes) await put(join(messy, note), 'not an image')
    const run = join(work, 'ft-messy')
    const r = await biggan('finetune', '--model', join(work, 'run', 'latest'), '--data', messy, '--steps', '1', '--out', run, '--batch', '4', '--preview-n', '4', '--method', 'adversarial')
    expect(r.code, r.err).toBe(0)
    expect(r.err).toMatch(/warning: 9 image\(s\) could not be used:/)
    for (let i = 1; i <= 9; i++) expect(r.err).toContain(`  red/broken-${i}.png: cannot decode: the file is not a JPEG, PNG or WebP image`)
    // twenty files at most: the nine failures, then eleven of the fifteen ignored
    expect(r.err).toMatch(/warning: 15 other file\(s\) ignored:\n {2}blue\/note-01\.txt: not an image: only \.jpg/)
    expect(r.err).toContain('  blue/note-11.txt: not an image')
    expect(r.err).not.toContain('note-12.txt')
    expect(r.err).toMatch(/ {2}and 4 more/)
    expect(r.err).toContain(`all 24 files not used, each with its reason: ${join(run, 'skipped.json')}`)
    const skipped = JSON.parse(readFileSync(join(run, 'skipped.json'), 'utf8'))
    expect(skipped.dir).toBe(messy)
    expect(skipped.failed.map((f: { relPath: string }) => f.relPath)).toEqual(Array.from({ length: 9 }, (_, i) => `red/broken-${i + 1}.png`))
    expect(skipped.ignored).toEqual(notes.map((relPath) => ({ relPath, reason: 'not an image: only .jpg, .jpeg, .png and .webp files are read' })))
  })

  it('maps a one-class folder with --class, and refuses --class for a folder of several classes', async () => {
    const refused = await biggan('finetune', '--model', join(work, 'run', 'latest'), '--data', data, '--steps', '1', '--out', join(work, 'ft2'), '--class', 'red')
    expect(refused.code).toBe(2)
    expect(refused.err).toMatch(/--class maps a one-class folder .* has 2 classes/)
  })

  it('explains that a model without a discriminator cannot be fine-tuned adversarially', async () => {
    await initBackend({ backend: 'wasm' })
    const gOnly = BigGANModel.initialise({ ...tinyConfig(2), dChannels: 0 }, 1)
    await saveModel(gOnly, join(work, 'g-only'), { source: 'test' })
    gOnly.dispose()
    const r = await biggan('finetune', '--model', join(work, 'g-only'), '--data', data, '--steps', '1', '--out', join(work, 'ft3'), '--method', 'adversarial')
    expect(r.code).toBe(2)
    expect(r.err).toMatch(/has no discriminator .* Use --method fresh-d .* or --method bsa/)
  })
})
