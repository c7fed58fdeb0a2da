// Trains the bundled Fashion-MNIST classifier, the feature extractor for the default model's quality numbers
// (scripts/evaluate-fashion.ts), and writes it to resources/fashion-mnist-classifier/.
//
//   npm run train:classifier -- [--data DIR] [--out DIR] [--epochs 3] [--batch 64] [--lr 3e-3] [--seed 0]
//                               [--channels 16,32,64] [--feature-dim 128] [--limit N] [--backend wasm]
//
// Adam with a cosine learning-rate decay to zero over all steps; every epoch visits the 60 000 training images in
// a new seeded order. The 10 000 test images are only measured (after each epoch, for the log; the last
// measurement is the one saved), never used to choose anything.
import { parseArgs } from 'node:util'
import { DEFAULT_FASHION_MNIST_DIR, FASHION_MNIST_CLASSES, loadFashionMnist, toModelImages, type FashionMnistSplit } from '../main/data/fashionMnist'
import { initBackend } from '../main/backend/backend'
import { ClassifierTrainer, ImageClassifier, defaultClassifierConfig } from '../main/engine/inspect/classifier'
import { saveClassifier } from '../main/disk/classifierFolder'
import { Random } from '../main/engine/sampling/random'
import { tf } from '../main/engine/tf'

const { values: opts } = parseArgs({
  options: {
    data: { type: 'string', default: DEFAULT_FASHION_MNIST_DIR },
    out: { type: 'string', default: 'resources/fashion-mnist-classifier' },
    epochs: { type: 'string', default: '3' },
    batch: { type: 'string', default: '64' },
    lr: { type: 'string', default: '3e-3' },
    seed: { type: 'string', default: '0' },
    channels: { type: 'string', default: '16,32,64' },
    'feature-dim': { type: 'string', default: '128' },
    limit: { type: 'string' },
    backend: { type: 'string', default: 'wasm' },
  },
})

const epochs = positiveInt('epochs')
const batch = positiveInt('batch')
const seed = Number(opts.seed)
const lr = Number(opts.lr)
const channels = opts.channels.split(',').map(Number)

const backend = await initBackend({ backend: opts.backend })
const train = await loadFashionMnist('train', opts.data)
const test = await loadFashionMnist('t10k', opts.data)
const trainCount = opts.limit ? Math.min(positiveInt('limit'), train.count) : train.count
console.log(`backend ${backend.name} (${backend.threads} thread${backend.threads > 1 ? 's' : ''}); ${trainCount} training images, ${test.count} test images`)

const tensorsBefore = tf.memory().numTensors
const config = { ...defaultClassifierConfig(FASHION_MNIST_CLASSES), channels, featureDim: positiveInt('feature-dim') }
const classifier = ImageClassifier.initialise(config, seed)
const trainer = new ClassifierTrainer(classifier, { learningRate: lr })
const rng = new Random(seed + 1)
const stepsPerEpoch = Math.floor(trainCount / batch)
const totalSteps = stepsPerEpoch * epochs
const started = performance.now()
let step = 0
let accuracy = 0

for (let epoch = 0; epoch < epochs; epoch++) {
  const order = shuffled(trainCount, rng)
  let lossSum = 0
  let lossCount = 0
  for (let b = 0; b < stepsPerEpoch; b++, step++) {
    trainer.learningRate = (lr * (1 + Math.cos((Math.PI * step) / totalSteps))) / 2
    const indices = order.subarray(b * batch, (b + 1) * batch)
    const images = toModelImages(train, { resolution: config.resolution, indices })
    const labels = Array.from(indices, (i) => train.labels[i])
    lossSum += await trainer.step(images, labels)
    lossCount++
    if ((step + 1) % 100 === 0 || b === stepsPerEpoch - 1) {
      const elapsed = (performance.now() - started) / 1000
      const eta = (elapsed / (step + 1)) * (totalSteps - step - 1)
      console.log(`epoch ${epoch + 1}/${epochs} step ${b + 1}/${stepsPerEpoch}: loss ${(lossSum / lossCount).toFixed(4)}, lr ${trainer.learningRate.toExponential(2)}, ${elapsed.toFixed(0)} s, ~${eta.toFixed(0)} s left`)
      lossSum = 0
      lossCount = 0
    }
  }
  accuracy = await testAccuracy(classifier, test)
  console.log(`epoch ${epoch + 1}: test accuracy ${(100 * accuracy).toFixed(2)} %`)
}
const seconds = (performance.now() - started) / 1000
const manifest = await saveClassifier(classifier, opts.out, {
  dataset: 'Fashion-MNIST (Debian dataset-fashion-mnist): train 60k / t10k 10k, 28×28 padded to 32×32, grey in all three channels, [−1, 1]',
  trainImages: trainCount,
  testImages: test.count,
  testAccuracy: Number(accuracy.toFixed(4)),
  epochs,
  batch,
  optimiser: `Adam β (0.9, 0.999), ε 1e-8, lr ${lr} with cosine decay to 0`,
  seed,
  seconds: Math.round(seconds),
  backend: `${backend.name}, ${backend.threads} thread(s)`,
})
console.log(`test accuracy ${(100 * accuracy).toFixed(2)} % after ${seconds.toFixed(0)} s of training → ${opts.out} (content hash ${manifest.contentHash})`)
trainer.dispose()
classifier.dispose()
if (tf.memory().numTensors !== tensorsBefore) {
  console.warn(`warning: ${tf.memory().numTensors - tensorsBefore} tensors leaked by training`)
}

async function testAccuracy(c: ImageClassifier, split: FashionMnistSplit): Promise<number> {
  let correct = 0
  for (let start = 0; start < split.count; start += 1000) {
    const indices = Array.from({ length: Math.min(1000, split.count - start) }, (_, i) => start + i)
    const predicted = await c.predict(toModelImages(split, { resolution: c.config.resolution, indices }))
    predicted.forEach((p, i) => (correct += p === split.labels[indices[i]] ? 1 : 0))
  }
  return correct / split.count
}

function shuffled(n: number, random: Random): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = random.int(i + 1)
    ;[order[i], order[j]] = [order[j], order[i]]
  }
  return order
}

function positiveInt(name: keyof typeof opts): number {
  const n = Number(opts[name])
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, not '${opts[name]}'`)
  return n
}
