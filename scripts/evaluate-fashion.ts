// Measures a 32×32, 10-class Fashion-MNIST BigGAN with the bundled classifier (resources/fashion-mnist-classifier)
// as the feature extractor: for each truncation, N samples spread evenly over the classes, the share the
// classifier puts in the intended class, and the Fréchet distance (and KID) in the classifier's 128-d feature
// space to the 10 000 test images. The baseline row is a same-size sample of real training images against the
// same test set: the distance a perfect generator would score at this N (FD is biased by sample size, so only
// rows of equal N compare). These are classifier-feature distances, not FID: never compare them with published FIDs.
//
//   npm run evaluate:fashion -- --model DIR [--count 1000] [--truncations none,2.0,1.0,0.7,0.5] [--seed 0]
//        [--classifier DIR] [--data DIR] [--batch 100] [--kid-subsets 100] [--json FILE]
//        [--memorisation] [--per-class] [--nn-train 10000] [--nn-held-out 1000] [--backend wasm]
//
// Truncation t is the paper's: z ~ N(0, I) resampled until |z_i| < t (the model has one set of BatchNorm
// statistics, nStats 1); 'none' samples z untruncated. Threshold 2.0 is ψ = 1 of the released weights' convention
// z = ψ · TN(−2, 2), the row the default model's quality targets name. Generated images are quantised to 8 bits like
// the reals.
// --memorisation adds, per truncation, the share of samples nearer (in pixels and in features) to a training
// image than 99 % of held-out test images are (main/engine/inspect/nearestNeighbours.ts); it reads the first
// --nn-train training images (all 60 000 take minutes per row).
// --per-class adds, per truncation and class, the intended-class accuracy and the two parts of the distance that say
// why it is what it is (frechetParts): the squared distance between the class's generated and test feature means,
// and the spread ratio tr Σ_generated / tr Σ_test (below 1: the class's samples vary less than its real images).
// The baseline's rows (real training images) say what a perfect generator would score at N / 10 per class.
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import {
  DEFAULT_FASHION_MNIST_DIR, FASHION_MNIST_CLASSES, loadFashionMnist, toModelImages, type FashionMnistSplit,
} from '../main/data/fashionMnist'
import { initBackend } from '../main/backend/backend'
import { argmaxRows } from '../main/engine/inspect/classifier'
import { loadClassifier } from '../main/disk/classifierFolder'
import { matchClasses } from '../main/engine/inspect/extractors'
import { featureStatistics, frechetDistance, frechetParts, kernelInceptionDistance, type GaussianStatistics, type KidResult } from '../main/engine/inspect/frechet'
import { memorisationCheck, type MemorisationReport } from '../main/engine/inspect/nearestNeighbours'
import { BigGANModel } from '../main/engine/model'
import { Random } from '../main/engine/sampling/random'
import { loadModel } from '../main/disk/modelFolder'

const { values: opts } = parseArgs({
  options: {
    model: { type: 'string' },
    classifier: { type: 'string', default: 'resources/fashion-mnist-classifier' },
    data: { type: 'string', default: DEFAULT_FASHION_MNIST_DIR },
    count: { type: 'string', default: '1000' },
    truncations: { type: 'string', default: 'none,2.0,1.0,0.7,0.5' },
    seed: { type: 'string', default: '0' },
    batch: { type: 'string', default: '100' },
    'kid-subsets': { type: 'string', default: '100' },
    json: { type: 'string' },
    memorisation: { type: 'boolean', default: false },
    'per-class': { type: 'boolean', default: false },
    'nn-train': { type: 'string', default: '10000' },
    'nn-held-out': { type: 'string', default: '1000' },
    backend: { type: 'string', default: 'wasm' },
  },
})

if (!opts.model) {
  console.error('usage: npm run evaluate:fashion -- --model DIR [--count 1000] [--truncations none,2.0,1.0,0.7,0.5] [--json FILE] (see the top of scripts/evaluate-fashion.ts)')
  process.exit(2)
}
const count = positiveInt('count')
const batch = positiveInt('batch')
const kidSubsets = positiveInt('kid-subsets')
const seed = Number(opts.seed)
const truncations = opts.truncations.split(',').map((word): { label: string; threshold?: number } => {
  const label = word.trim()
  if (label === 'none') return { label }
  const threshold = Number(label)
  if (!(threshold > 0)) throw new Error(`--truncations takes 'none' or thresholds > 0, not '${label}'`)
  return { label, threshold }
})

const backend = await initBackend({ backend: opts.backend })
const classifier = await loadClassifier(opts.classifier)
const model = await loadModel(opts.model)
const R = classifier.config.resolution
const imageSize = classifier.imageSize
const dim = classifier.config.featureDim
if (model.config.resolution !== R || model.config.numClasses !== classifier.numClasses) {
  throw new Error(
    `${opts.model} makes ${model.config.resolution}×${model.config.resolution} images of ${model.config.numClasses} classes; ` +
      `the classifier at ${opts.classifier} takes ${R}×${R} images of ${classifier.numClasses} classes (Fashion-MNIST)`,
  )
}
// The model's classes are its training folders' names, in the loader's (alphabetical) order, and the classifier's
// are Fashion-MNIST's label order: match them by name, and condition on the model class each label names.
const match = matchClasses(model.config.classNames, classifier.config.classNames, classifier.numClasses)
const modelClassOf = Int32Array.from({ length: classifier.numClasses }, (_, label) => match.map.indexOf(label))
if (modelClassOf.includes(-1)) {
  const missing = classifier.config.classNames.filter((_, label) => modelClassOf[label] < 0)
  throw new Error(`${opts.model} has no class matching the classifier's ${missing.join(', ')}: its classes are ${(model.config.classNames ?? []).join(', ')}`)
}
console.log(`backend ${backend.name}; model ${opts.model} (${model.manifest?.contentHash.slice(0, 12) ?? 'no hash'}); classifier ${classifier.contentHash?.slice(0, 12)}`)

const started = performance.now()
const train = await loadFashionMnist('train', opts.data)
const test = await loadFashionMnist('t10k', opts.data)
const testEmbedding = await embedReal(test, range(test.count))
const testStats = featureStatistics(testEmbedding.features, dim)
const testAccuracy = accuracy(testEmbedding.logits, Array.from(test.labels))
const testByClass = Array.from({ length: classifier.numClasses }, (_, c) =>
  featureStatistics(rowsOf(testEmbedding.features, Array.from(test.labels), c), dim),
)
console.log(`classifier accuracy on the ${test.count} test images: ${percent(testAccuracy)}`)

const trainSample = sampleIndices(new Random(seed), train.count, count)
const trainEmbedding = await embedReal(train, trainSample)
const baseline = {
  samples: 'Fashion-MNIST train (real)',
  truncation: '–',
  count,
  accuracy: accuracy(trainEmbedding.logits, Array.from(trainSample, (i) => train.labels[i])),
  frechet: frechetDistance(featureStatistics(trainEmbedding.features, dim), testStats),
  kid: kid(trainEmbedding.features),
  ...(opts['per-class'] ? { perClass: perClass(trainEmbedding, Array.from(trainSample, (i) => train.labels[i])) } : {}),
}

interface Row {
  samples: string
  truncation: string
  count: number
  accuracy: number
  frechet: number
  kid: KidResult
  memorisation?: { pixels: CopySummary; features?: CopySummary }
  perClass?: ClassRow[]
}
interface ClassRow { name: string; count: number; accuracy: number; meanTerm: number; spreadRatio: number }
interface CopySummary { threshold: number; copyFraction: number; medianSample: number; medianHeldOut: number }

const rows: Row[] = [baseline]
for (const [t, { label, threshold }] of truncations.entries()) {
  const rng = new Random(seed + 1 + t)
  const labels = Int32Array.from({ length: count }, (_, i) => Math.floor((i * classifier.numClasses) / count))
  const images = new Float32Array(count * imageSize)
  for (let start = 0; start < count; start += batch) {
    const n = Math.min(batch, count - start)
    const z = model.truncation.sample(rng, n, threshold)
    const y = new Float32Array(n * model.config.numClasses)
    for (let i = 0; i < n; i++) y[i * model.config.numClasses + modelClassOf[labels[start + i]]] = 1
    const x = await model.generate(z, y, { truncation: model.truncation.statisticsPsi(threshold) })
    images.set(quantise(x), start * imageSize)
  }
  const embedding = await classifier.embed(images, batch)
  const row: Row = {
    samples: 'generated',
    truncation: label,
    count,
    accuracy: accuracy(embedding.logits, Array.from(labels)),
    frechet: frechetDistance(featureStatistics(embedding.features, dim), testStats),
    kid: kid(embedding.features),
  }
  if (opts.memorisation) row.memorisation = summarise(await memorisation(images))
  if (opts['per-class']) row.perClass = perClass(embedding, Array.from(labels))
  rows.push(row)
  console.log(`truncation ${row.truncation}: accuracy ${percent(row.accuracy)}, FD ${row.frechet.toFixed(3)} (${((performance.now() - started) / 1000).toFixed(0)} s)`)
}

console.log()
console.log(`Classifier-feature distances to the ${test.count} Fashion-MNIST test images (features: ${dim}-d penultimate layer of classifier ${classifier.contentHash?.slice(0, 12)}; not FID).`)
console.log()
const memoHeader = opts.memorisation ? ' copies (pixels) | copies (features) |' : ''
console.log(`| samples | truncation | N | intended-class accuracy | Fréchet distance | KID ×10³ |${memoHeader}`)
console.log(`|---|---|---:|---:|---:|---:|${opts.memorisation ? '---:|---:|' : ''}`)
for (const r of rows) {
  const memo = opts.memorisation
    ? r.memorisation
      ? ` ${percent(r.memorisation.pixels.copyFraction)} | ${r.memorisation.features ? percent(r.memorisation.features.copyFraction) : '–'} |`
      : ' – | – |'
    : ''
  console.log(`| ${r.samples} | ${r.truncation} | ${r.count} | ${percent(r.accuracy)} | ${r.frechet.toFixed(3)} | ${(1000 * r.kid.mean).toFixed(3)} ± ${(1000 * r.kid.std).toFixed(3)} |${memo}`)
}

if (opts['per-class']) {
  console.log()
  console.log('Per class: intended-class accuracy · ‖μ_gen − μ_test‖² · spread ratio tr Σ_gen / tr Σ_test (1 = as varied as the real images)')
  console.log()
  console.log(`| class | ${rows.map((r) => (r.samples === 'generated' ? `truncation ${r.truncation}` : 'real train')).join(' | ')} |`)
  console.log(`|---|${rows.map(() => '---:').join('|')}|`)
  for (let c = 0; c < classifier.numClasses; c++) {
    const cells = rows.map((r) => {
      const x = r.perClass![c]
      return `${percent(x.accuracy)} · ${x.meanTerm.toFixed(2)} · ${x.spreadRatio.toFixed(2)}`
    })
    console.log(`| ${classifier.config.classNames[c]} | ${cells.join(' | ')} |`)
  }
}

if (opts.json) {
  const report = {
    model: { dir: opts.model, contentHash: model.manifest?.contentHash ?? null },
    classifier: { dir: opts.classifier, contentHash: classifier.contentHash, featureDim: dim, testAccuracy },
    reference: { set: 'Fashion-MNIST t10k', count: test.count },
    count,
    seed,
    kidSubsets,
    backend: backend.name,
    classNames: FASHION_MNIST_CLASSES,
    rows,
  }
  await writeFile(opts.json, `${JSON.stringify(report, null, 2)}\n`)
  console.log(`\nwrote ${opts.json}`)
}
model.dispose()
classifier.dispose()

/** The feature rows [n, dim] of the samples whose label is c. */
function rowsOf(features: Float32Array, labels: number[], c: number): Float32Array {
  const picked = labels.flatMap((label, i) => (label === c ? [i] : []))
  const out = new Float32Array(picked.length * dim)
  picked.forEach((i, k) => out.set(features.subarray(i * dim, (i + 1) * dim), k * dim))
  return out
}

/** Per class (the classifier's labels): accuracy, and the parts of the distance to that class's test images. */
function perClass(embedding: { features: Float32Array; logits: Float32Array }, labels: number[]): ClassRow[] {
  const predicted = argmaxRows(embedding.logits, classifier.numClasses)
  return classifier.config.classNames.map((name, c) => {
    const members = labels.flatMap((label, i) => (label === c ? [i] : []))
    const { meanTerm, spreadRatio } = frechetParts(featureStatistics(rowsOf(embedding.features, labels, c), dim), testByClass[c])
    return { name, count: members.length, accuracy: members.filter((i) => predicted[i] === c).length / members.length, meanTerm, spreadRatio }
  })
}

/** Classifier features and logits of real images, converted 1 000 at a time. */
async function embedReal(split: FashionMnistSplit, indices: ArrayLike<number>): Promise<{ features: Float32Array; logits: Float32Array }> {
  const features = new Float32Array(indices.length * dim)
  const logits = new Float32Array(indices.length * classifier.numClasses)
  for (let start = 0; start < indices.length; start += 1000) {
    const chunk = Array.from({ length: Math.min(1000, indices.length - start) }, (_, i) => indices[start + i])
    const e = await classifier.embed(toModelImages(split, { resolution: R, indices: chunk }), batch)
    features.set(e.features, start * dim)
    logits.set(e.logits, start * classifier.numClasses)
  }
  return { features, logits }
}

function kid(features: Float32Array): KidResult {
  return kernelInceptionDistance(features, testEmbedding.features, dim, { subsets: kidSubsets, seed })
}

async function memorisation(samples: Float32Array): Promise<MemorisationReport> {
  const nnTrain = Math.min(positiveInt('nn-train'), train.count)
  const heldOut = toModelImages(test, { resolution: R, indices: range(Math.min(positiveInt('nn-held-out'), test.count)) })
  return memorisationCheck({
    samples,
    training: { count: nnTrain, read: (start, n) => toModelImages(train, { resolution: R, indices: range(n, start) }) },
    heldOut,
    imageSize,
    features: (x) => classifier.features(x, batch),
  })
}

function summarise(report: MemorisationReport): NonNullable<Row['memorisation']> {
  const pick = (s: MemorisationReport['pixels']): CopySummary => ({
    threshold: s.threshold, copyFraction: s.copyFraction, medianSample: s.medianSample, medianHeldOut: s.medianHeldOut,
  })
  return { pixels: pick(report.pixels), ...(report.features ? { features: pick(report.features) } : {}) }
}

/** Onto the 8-bit grid the real images come from: fakes and reals are compared as the same kind of image, so a
 *  fake's extra precision cannot move the distance. */
function quantise(x: Float32Array): Float32Array {
  return x.map((v) => Math.min(255, Math.max(0, Math.round((v + 1) * 127.5))) / 127.5 - 1)
}

function accuracy(logits: Float32Array, intended: number[]): number {
  const predicted = argmaxRows(logits, classifier.numClasses)
  return predicted.reduce((s, p, i) => s + (p === intended[i] ? 1 : 0), 0) / predicted.length
}

function range(n: number, from = 0): number[] {
  return Array.from({ length: n }, (_, i) => from + i)
}

function percent(x: number): string {
  return `${(100 * x).toFixed(1)} %`
}

function positiveInt(name: keyof typeof opts): number {
  const n = Number(opts[name])
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, not '${opts[name]}'`)
  return n
}

/** m distinct indices in [0, n), in random order. */
function sampleIndices(rng: Random, n: number, m: number): Int32Array {
  if (m > n) throw new Error(`--count ${m} is more than the ${n} training images`)
  const pool = Int32Array.from({ length: n }, (_, i) => i)
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i)
    ;[pool[i], pool[j]] = [pool[j], pool[i]]
  }
  return pool.slice(0, m)
}
