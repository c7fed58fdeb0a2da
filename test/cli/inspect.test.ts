// `biggan leakage` and `biggan metrics` end to end, in process, on tiny models and a tiny image folder.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import { ImageClassifier } from '../../main/engine/inspect/classifier'
import { saveClassifier } from '../../main/disk/classifierFolder'
import { Random } from '../../main/engine/sampling/random'
import { encodePng } from '../../main/images/png'
import { testModel } from '../finetune/helpers'
import { biggan } from './inProcess'
import { saveModel } from '../../main/disk/modelFolder'

const fashionNames = ['Ankle boot', 'Bag', 'Coat', 'Dress', 'Pullover', 'Sandal', 'Shirt', 'Sneaker', 'T-shirt-top', 'Trouser']

let work: string
let model: string // 32 px, the Fashion-MNIST classes, with D
let noD: string // generator-only
let data: string // Bag/ and Coat/, 8 PNGs each
let run: string // checkpoints/step-000010, step-000020

beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
  work = mkdtempSync(join(tmpdir(), 'biggan-inspect-'))
  model = join(work, 'model')
  noD = join(work, 'no-d')
  run = join(work, 'run')
  const fashion = testModel('biggan', 10, 1, { config: { classNames: fashionNames } })
  await saveModel(fashion, model, { source: 'init' })
  fashion.dispose()
  const generatorOnly = testModel('biggan', 10, 2, { config: { classNames: fashionNames, dChannels: 0 } })
  await saveModel(generatorOnly, noD, { source: 'init' })
  generatorOnly.dispose()
  for (const [step, seed] of [[10, 3], [20, 4]]) {
    const m = testModel('biggan', 10, seed, { config: { classNames: fashionNames } })
    await saveModel(m, join(run, 'checkpoints', `step-0000${step}`), { source: 'train' }, { step })
    m.dispose()
  }
  data = join(work, 'data')
  const rng = new Random(5)
  for (const cls of ['Bag', 'Coat']) {
    mkdirSync(join(data, cls), { recursive: true })
    for (let i = 0; i < 8; i++) {
      const rgb = Uint8Array.from({ length: 32 * 32 * 3 }, () => Math.floor(rng.uniform() * 256))
      writeFileSync(join(data, cls, `${i}.png`), encodePng(rgb, 32, 32))
    }
  }
})

afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('biggan leakage', () => {
  it('prints the intended × detected matrix and the leakage per truncation, judged by the bundled classifier, and writes the report', async () => {
    const out = join(work, 'leakage.json')
    const r = await biggan('leakage', '--model', model, '--classes', 'Bag,coat', '--seeds', '3', '--truncations', 'none,0.5', '--classifier', 'fashion-mnist', '--out', out)
    expect(r.code).toBe(0)
    expect(r.out).toContain('judge fashion-mnist-classifier')
    expect(r.out).toContain('classes matched by name')
    expect(r.out).toMatch(/truncation none: leakage \d+\.\d %/)
    expect(r.out).toMatch(/leakage by truncation: none \d+\.\d %, 0\.5 \d+\.\d %/)
    const report = JSON.parse(readFileSync(out, 'utf8'))
    expect(report.classes.map((c: { name: string; column: number }) => [c.name, c.column])).toEqual([['Bag', 8], ['Coat', 4]])
    expect(report.truncations).toHaveLength(2)
    for (const t of report.truncations) {
      expect(t.counts.map((row: number[]) => row.reduce((a, b) => a + b, 0))).toEqual([3, 3])
      expect(t.counts[0]).toHaveLength(10)
    }
  })

  it("uses the model's own D with --classifier d, and the same seeds give the same matrix", async () => {
    const args = ['leakage', '--model', model, '--classes', '0,1,2', '--seeds', '2', '--truncations', '1', '--classifier', 'd']
    const a = await biggan(...args)
    const b = await biggan(...args)
    expect(a.code).toBe(0)
    expect(a.out).toContain("classes matched as the model's own")
    expect(a.out.replace(/\(\d+\.\d+ s\)/g, '')).toBe(b.out.replace(/\(\d+\.\d+ s\)/g, ''))
  })

  it("reports leakage per checkpoint of a run, then the model's", async () => {
    const r = await biggan('leakage', '--model', model, '--classes', 'all', '--seeds', '1', '--truncations', 'none,1', '--classifier', 'd', '--checkpoints', run)
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/\| checkpoint \| step \| none \| 1 \|/)
    const rows = r.out.split('\n').filter((l) => l.startsWith(`| ${work}`))
    expect(rows.map((l) => l.split('|')[2].trim())).toEqual(['10', '20', '–'])
  })

  it('says what is wrong: D asked of a generator-only model, a classifier for another image size, an unknown class', async () => {
    const noDiscriminator = await biggan('leakage', '--model', noD, '--classes', '0', '--classifier', 'd')
    expect(noDiscriminator.code).toBe(2)
    expect(noDiscriminator.err).toMatch(/generator-only: give --classifier fashion-mnist/)
    const small = ImageClassifier.initialise({ resolution: 16, channels: [4], featureDim: 4, classNames: fashionNames }, 1)
    const smallDir = join(work, 'small-classifier')
    await saveClassifier(small, smallDir)
    small.dispose()
    const wrongSize = await biggan('leakage', '--model', model, '--classes', '0', '--classifier', smallDir)
    expect(wrongSize.code).toBe(1)
    expect(wrongSize.err).toMatch(/takes 16×16 images, but the model makes 32×32/)
    const unknown = await biggan('leakage', '--model', model, '--classes', 'Frog')
    expect(unknown.code).toBe(2)
    expect(unknown.err).toMatch(/--classes: no class name contains 'Frog'/)
  })
})

describe('biggan metrics', () => {
  it('prints FID, KID, precision/recall and density/coverage per truncation and saves the curve beside the model', async () => {
    const r = await biggan('metrics', '--model', model, '--data', data, '--extractor', 'd', '--n', '8', '--truncations', 'none,0.5', '--kid-subsets', '5')
    expect(r.err).not.toContain('error')
    expect(r.code).toBe(0)
    expect(r.out).toContain('| truncation | FID | KID ×10³ | precision | recall | density | coverage |')
    // 8 real against 8 generated: a KID subset is both sets whole, one estimate, no ±
    expect(r.out).toMatch(/\| none \| \d+\.\d{3} \| -?\d+\.\d{3} \| [01]\.\d{3} \|/)
    expect(r.out).toContain('KID from both sets whole (8 each): no smaller subsets to spread over, so no ±.')
    expect(r.out).toContain('not comparable with published FID')
    const files = readdirSync(join(model, 'metrics'))
    expect(files).toHaveLength(1)
    const curve = JSON.parse(readFileSync(join(model, 'metrics', files[0]), 'utf8'))
    expect(curve.extractor).toBe('discriminator')
    expect(curve.points).toHaveLength(2)
    expect(curve.points[0]).toMatchObject({ realCount: 8, fakeCount: 8, k: { precisionRecall: 3, densityCoverage: 5 }, truncation: null, kid: { subsets: 1, std: 0 } })
  })

  it("measures one class against its subfolder with the bundled classifier, written where --out says", async () => {
    const out = join(work, 'bag.json')
    const r = await biggan('metrics', '--model', model, '--data', data, '--class', 'Bag', '--n', '6', '--truncations', '1', '--kid-subsets', '3', '--out', out)
    expect(r.code).toBe(0)
    expect(r.err).toContain('extractor fashion-mnist-classifier')
    expect(r.out).toContain('6 real images')
    const curve = JSON.parse(readFileSync(out, 'utf8'))
    expect(curve.classes).toEqual([1])
    expect(curve.points[0].dims).toBe(128)
  })

  it('says what is wrong: an empty folder, a class the folder lacks', async () => {
    const empty = join(work, 'empty')
    mkdirSync(empty)
    const none = await biggan('metrics', '--model', model, '--data', empty, '--extractor', 'd', '--n', '6')
    expect(none.code).toBe(1)
    expect(none.err).toMatch(/no images in .*empty/)
    const missing = await biggan('metrics', '--model', model, '--data', data, '--class', 'Dress', '--n', '6')
    expect(missing.code).toBe(2)
    expect(missing.err).toMatch(/no subfolder for class 'Dress' \(its classes: Bag, Coat\)/)
  })
})
