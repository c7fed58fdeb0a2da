// Does fine-tuning learn the folder? Fine-tunes the bundled default model (BigGAN-32 on grey Fashion-MNIST) on
// folders of one Fashion-MNIST item tinted a colour the model never drew, under a new class name, with the engine's
// own choice of method and settings (main/engine/finetune/chooseMethod.ts, plan.ts), once with a small folder (the
// BSA path) and once with a larger one (the adversarial new-class path); then judges the new class's samples:
//
//   item    the bundled classifier (resources/fashion-mnist-classifier) names the item, judging each sample by its
//           brightest channel (the garment's shape in grey, as the classifier was trained; the tint is a per-channel
//           scale, so the brightest channel of a tinted image is the untinted grey)
//   colour  the sample's garment pixels (brightest channel ≥ 0.25 of full scale) are mostly the tint: at least 60 %
//           of them with an HSV hue within 20° of the tint's and a saturation ≥ 0.4
//
// Target: ≥ 70 % of samples right on both, for both paths, within the studio's default step count (1 000).
//
//   npm run evaluate:finetune -- [--item Sandal] [--tint orange] [--paths bsa,new-class] [--small 40] [--large 150]
//        [--steps 1000] [--samples 200] [--truncations 2.0,1.0] [--seed 0] [--work DIR] [--json FILE]
//
// --small and --large count the folder's images; the run holds out a tenth (at least 10) as usual, so 40 images
// train BSA on 30 and 150 train the adversarial path on 135 (≥ 100). Truncation t is the paper's threshold
// (2.0 = ψ 1 of the released convention). Run folders stay in --work (default a new folder under the system's
// temporary directory) to be opened in the studio.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { initBackend } from '../main/backend/backend'
import { DEFAULT_FASHION_MNIST_DIR, FASHION_MNIST_CLASSES, loadFashionMnist, toModelImages } from '../main/data/fashionMnist'
import { loadClassifier } from '../main/disk/classifierFolder'
import { loadModel } from '../main/disk/modelFolder'
import { distanceSummary } from '../main/engine/finetune/targetDistance'
import { argmaxRows } from '../main/engine/inspect/classifier'
import { Random } from '../main/engine/sampling/random'
import { encodePng } from '../main/images/png'
import { startFinetune } from '../main/runs/run'

/** Tints as per-channel scales of the grey value: an orange the grey model never drew, and two spares. */
const TINTS: Record<string, [number, number, number]> = {
  orange: [1, 0.55, 0.1],
  green: [0.15, 0.9, 0.2],
  violet: [0.6, 0.15, 1],
}

const { values: opts } = parseArgs({
  options: {
    model: { type: 'string', default: 'resources/default-model' },
    classifier: { type: 'string', default: 'resources/fashion-mnist-classifier' },
    data: { type: 'string', default: DEFAULT_FASHION_MNIST_DIR },
    item: { type: 'string', default: 'Sandal' },
    tint: { type: 'string', default: 'orange' },
    paths: { type: 'string', default: 'bsa,new-class' },
    small: { type: 'string', default: '40' },
    large: { type: 'string', default: '150' },
    steps: { type: 'string', default: '1000' },
    samples: { type: 'string', default: '200' },
    truncations: { type: 'string', default: '2.0,1.0' },
    seed: { type: 'string', default: '0' },
    work: { type: 'string' },
    json: { type: 'string' },
    backend: { type: 'string', default: 'wasm' },
  },
})

const item = FASHION_MNIST_CLASSES.indexOf(opts.item)
if (item < 0) throw new Error(`--item '${opts.item}' is not a Fashion-MNIST class: ${FASHION_MNIST_CLASSES.join(', ')}`)
const tint = TINTS[opts.tint]
if (!tint) throw new Error(`--tint '${opts.tint}' is not one of ${Object.keys(TINTS).join(', ')}`)
const paths = opts.paths.split(',').map((p) => p.trim())
for (const p of paths) if (p !== 'bsa' && p !== 'new-class') throw new Error(`--paths takes bsa and new-class, not '${p}'`)
const steps = positiveInt('steps')
const sampleCount = positiveInt('samples')
const seed = Number(opts.seed)
const truncations = opts.truncations.split(',').map(Number)
if (truncations.some((t) => !(t > 0))) throw new Error(`--truncations takes thresholds > 0, not '${opts.truncations}'`)
const className = `${opts.tint} ${opts.item.toLowerCase()}`

const backend = await initBackend({ backend: opts.backend })
const classifier = await loadClassifier(opts.classifier)
const train = await loadFashionMnist('train', opts.data)
const work = opts.work ?? (await mkdtemp(join(tmpdir(), 'biggan-evaluate-finetune-')))
console.log(`backend ${backend.name}; ${opts.model} fine-tuned on ${opts.tint}-tinted ${opts.item} images as new class '${className}', ${steps} steps; work in ${work}`)

interface Row {
  path: string
  images: number
  method: string
  steps: number
  truncation: number
  samples: number
  item: number
  colour: number
  both: number
  minutes: number
}
const rows: Row[] = []
const itemIndices = Array.from(train.labels.entries()).filter(([, label]) => label === item).map(([i]) => i)

for (const path of paths) {
  const count = positiveInt(path === 'bsa' ? 'small' : 'large')
  const folder = join(work, `${path}-images`, className)
  const real = await writeTintedFolder(folder, itemIndices.slice(0, count))
  const ceiling = await judge(real, count)
  console.log(`  the folder itself: ${opts.item} ${percent(ceiling.item)}, ${opts.tint} ${percent(ceiling.colour)}`)
  const runDir = join(work, `${path}-run`)
  const started = performance.now()
  let method = ''
  let lastShown = 0
  const outcome = await startFinetune(
    { modelDir: opts.model, dataDir: folder, target: { kind: 'new', name: className }, options: { steps, seed }, runDir },
    {
      onNote: (line) => console.log(`  ${line}`),
      onWarning: (line) => console.log(`  warning: ${line}`),
      onStarted: (s) => (method = s.method),
      onDistance: (d) => console.log(`  ${distanceSummary(d)}`),
      onProgress: (p) => {
        if (performance.now() - lastShown < 30_000 && p.step !== p.steps) return
        lastShown = performance.now()
        console.log(`  step ${p.step}/${p.steps} (${((performance.now() - started) / 60_000).toFixed(1)} min)`)
      },
    },
  )
  const minutes = (performance.now() - started) / 60_000
  console.log(`  ${method}: ${outcome.status} at step ${outcome.step} in ${minutes.toFixed(1)} min`)
  const model = await loadModel(join(runDir, 'best'))
  try {
    const target = model.config.numClasses - 1 // the new class is the last
    for (const [t, threshold] of truncations.entries()) {
      const rng = new Random(seed + 1000 + t)
      const images = new Float32Array(sampleCount * 32 * 32 * 3)
      for (let start = 0; start < sampleCount; start += 50) {
        const n = Math.min(50, sampleCount - start)
        const z = model.truncation.sample(rng, n, threshold)
        const y = new Float32Array(n * model.config.numClasses)
        for (let i = 0; i < n; i++) y[i * model.config.numClasses + target] = 1
        images.set(await model.generate(z, y, { truncation: model.truncation.statisticsPsi(threshold) }), start * 32 * 32 * 3)
      }
      const verdict = await judge(images, sampleCount)
      const row = { path, images: count, method, steps: outcome.step, truncation: threshold, samples: sampleCount, ...verdict, minutes }
      rows.push(row)
      console.log(`  threshold ${threshold}: ${opts.item} ${percent(row.item)}, ${opts.tint} ${percent(row.colour)}, both ${percent(row.both)}`)
    }
  } finally {
    model.dispose()
  }
}

console.log()
console.log(`| folder | method | steps | truncation | ${opts.item.toLowerCase()} (classifier) | ${opts.tint} (hue rule) | both |`)
console.log('|---|---|---:|---|---:|---:|---:|')
for (const r of rows) {
  console.log(`| ${r.images} images | ${r.method} | ${r.steps} | threshold ${r.truncation.toFixed(1)} | ${percent(r.item)} | ${percent(r.colour)} | ${percent(r.both)} |`)
}
if (opts.json) {
  await writeFile(opts.json, `${JSON.stringify({ model: opts.model, item: opts.item, tint: opts.tint, className, steps, seed, backend: backend.name, rows }, null, 2)}\n`)
  console.log(`\nwrote ${opts.json}`)
}
classifier.dispose()

/** The chosen training images, tinted, as 32×32 PNGs (28×28 centred on black, as the model's data); returns them
 *  as model images [n, 32, 32, 3] in [−1, 1], for the judge's own score on real images. */
async function writeTintedFolder(dir: string, indices: number[]): Promise<Float32Array> {
  await mkdir(dir, { recursive: true })
  const grey = toModelImages(train, { resolution: 32, indices })
  const out = new Float32Array(grey.length)
  for (let n = 0; n < indices.length; n++) {
    const rgb = new Uint8Array(32 * 32 * 3)
    for (let p = 0; p < 32 * 32; p++) {
      const g = (grey[(n * 32 * 32 + p) * 3] + 1) / 2
      for (let c = 0; c < 3; c++) rgb[p * 3 + c] = Math.round(255 * g * tint[c])
    }
    rgb.forEach((v, k) => (out[n * 32 * 32 * 3 + k] = v / 127.5 - 1))
    await writeFile(join(dir, `${indices[n]}.png`), encodePng(rgb, 32, 32))
  }
  return out
}

/** The share of samples the classifier calls the item, that the hue rule calls the tint, and both. */
async function judge(images: Float32Array, n: number): Promise<{ item: number; colour: number; both: number }> {
  const grey = new Float32Array(images.length)
  const tinted: boolean[] = []
  for (let i = 0; i < n; i++) {
    let garment = 0
    let matching = 0
    for (let p = 0; p < 32 * 32; p++) {
      const o = (i * 32 * 32 + p) * 3
      const [r, g, b] = [0, 1, 2].map((c) => Math.min(1, Math.max(0, (images[o + c] + 1) / 2)))
      const value = Math.max(r, g, b)
      grey.fill(2 * value - 1, o, o + 3)
      if (value < 0.25) continue
      garment++
      if (saturation(r, g, b) >= 0.4 && hueDistance(hue(r, g, b), hue(...tint)) <= 20) matching++
    }
    tinted.push(garment > 0 && matching >= 0.6 * garment)
  }
  const predicted = argmaxRows((await classifier.embed(grey, 100)).logits, classifier.numClasses)
  const isItem = Array.from(predicted, (p) => p === item)
  const share = (xs: boolean[]): number => xs.filter(Boolean).length / n
  return { item: share(isItem), colour: share(tinted), both: share(isItem.map((x, i) => x && tinted[i])) }
}

/** HSV hue in degrees [0, 360). */
function hue(r: number, g: number, b: number): number {
  const max = Math.max(r, g, b)
  const d = max - Math.min(r, g, b)
  if (d === 0) return 0
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4
  return (60 * h + 360) % 360
}

function saturation(r: number, g: number, b: number): number {
  const max = Math.max(r, g, b)
  return max === 0 ? 0 : (max - Math.min(r, g, b)) / max
}

function hueDistance(a: number, b: number): number {
  const d = Math.abs(a - b) % 360
  return Math.min(d, 360 - d)
}

function percent(x: number): string {
  return `${(100 * x).toFixed(1)} %`
}

function positiveInt(name: keyof typeof opts): number {
  const n = Number(opts[name])
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, not '${opts[name]}'`)
  return n
}
