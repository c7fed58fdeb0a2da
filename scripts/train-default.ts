// `npm run train:default`: reproduces the bundled default model, resources/default-model/, a class-conditional
// BigGAN trained with this project's own loop on Fashion-MNIST (Debian package dataset-fashion-mnist).
//
//   1. exports the 60 000 training images once as 32×32 RGB PNGs (28×28 centred on black), one folder per class,
//      so the run trains through the same image-folder path a user's data takes;
//   2. trains (or, when the run folder exists, resumes: the run is exact across interruptions) with `biggan train`;
//   3. publishes the run's best checkpoint (G, D and the EMA of G; no optimiser state) to resources/default-model.
//
// Options: --steps N (total, default 20000), --run DIR (default .cache/default-model-run), --publish-only,
// --publish-to DIR (publish a progress check elsewhere: no sample sheet, resources/ untouched),
// --threads N (wasm threads, default max: one per core; the threads change the speed, never a number).
import { existsSync } from 'node:fs'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { main as biggan } from '../main/cli/index.ts'
import { FASHION_MNIST_CLASSES, loadFashionMnist } from '../main/data/fashionMnist.ts'
import { encodePng } from '../main/images/png.ts'
import { loadModel, saveModel } from '../main/disk/modelFolder.ts'
import { runInfoFile, runPaths } from '../main/runs/layout.ts'

const root = resolve(import.meta.dirname, '..')
const args = process.argv.slice(2)
const option = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback
}
const steps = option('steps', '20000')
const threads = ['--threads', option('threads', 'max')]
const run = resolve(option('run', join(root, '.cache/default-model-run')))
const images = join(root, '.cache/fashion-mnist-png')
const publishTo = option('publish-to', '')
const target = publishTo ? resolve(publishTo) : join(root, 'resources/default-model')
const sampleSheet = join(root, 'resources/default-model-samples.png')

/** The bundled model's architecture: BigGAN at 32×32, ch 16 (G 0.37M, D 0.27M parameters), 10 classes, attention at
 *  16×16. */
const architecture = ['--arch', 'biggan', '--res', '32', '--ch', '16', '--attention', '16']

/**
 * The recipe of the bundled model: what the paper scales, as far as a CPU's hours allow — batch 32 and two D steps
 * per G step (the paper's), equal learning rates (2e-4, BigGAN-PyTorch's CIFAR rates), EMA from step 300, and no
 * mirroring: Fashion-MNIST's shoes all face one way, and flipping them would move the model off the test
 * distribution. The copying check (each preview sample's nearest training images and the samples' distance to the
 * folder, in D's features of 2 000 references) runs every 1 000 steps rather than at every preview. Width stays at
 * ch 16: on the development machine's two cores a step took 1.2 s at ch 16 and 2.2 s at ch 24 (the steps on
 * onnxruntime, the run's 'auto'), and the same hours bought twice the G steps at ch 16. A first recipe (batch 16, one
 * D step per G step, 6 200 steps) scored worse at ψ = 1; the README's "The default model" has both.
 */
const recipe = ['--batch', '32', '--d-steps', '2', '--lr-g', '2e-4', '--lr-d', '2e-4', '--ema-start', '300', '--no-mirror', '--memorisation-every', '1000']

async function exportImages(): Promise<void> {
  const done = join(images, '.complete')
  if (existsSync(done)) return
  const train = await loadFashionMnist('train')
  await rm(images, { recursive: true, force: true })
  // folder names are the class names, so the model's classes carry them
  const folders = FASHION_MNIST_CLASSES.map((name) => join(images, name.replace(/\//g, '-')))
  for (const f of folders) await mkdir(f, { recursive: true })
  const rgb = new Uint8Array(32 * 32 * 3)
  for (let n = 0; n < train.count; n++) {
    rgb.fill(0)
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const v = train.images[(n * 28 + y) * 28 + x]
        rgb.fill(v, ((y + 2) * 32 + x + 2) * 3, ((y + 2) * 32 + x + 3) * 3)
      }
    }
    await writeFile(join(folders[train.labels[n]], `${String(n).padStart(5, '0')}.png`), encodePng(rgb, 32, 32))
    if (n % 10000 === 0) process.stderr.write(`exporting Fashion-MNIST ${n}/${train.count}\n`)
  }
  await writeFile(done, '')
}

async function publish(): Promise<void> {
  const { BigGANModel } = await import('../main/engine/model.ts')
  const { initBackend } = await import('../main/backend/backend.ts')
  await initBackend()
  const source = existsSync(join(run, runPaths.best)) ? join(run, runPaths.best) : join(run, runPaths.latest)
  const { accumulateStandingStatistics } = await import('../main/engine/train/standingStatistics.ts')
  const model = await loadModel(source)
  try {
    // the paper's standing statistics (App. C.1) for the EMA generator the studio samples, in place of the running
    // averages of batch moments that G's own weights left behind during training
    accumulateStandingStatistics(model.G, model.ema ?? model.params, model.config, { accumulations: 32, batch: 32 })
    await rm(target, { recursive: true, force: true })
    const step = String(model.manifest?.state?.step ?? '?')
    const manifest = await saveModel(model, target, {
      source: 'train',
      from: `scripts/train-default.ts (${relative(root, source)}, step ${step})`,
      notes:
        `Fashion-MNIST (Debian dataset-fashion-mnist), 28×28 padded to 32×32 RGB; BigGAN ch ${model.config.gChannels}, batch 32, 2 D steps per G step, step ${step}; ` +
        'standing statistics (32 × 32); npm run train:default reproduces it',
    })
    console.log(`published ${source} → ${target} (content hash ${manifest.contentHash})`)
    if (publishTo) return
    await writeSampleSheet(model)
    console.log(`sample sheet → ${sampleSheet}`)
  } finally {
    model.dispose()
  }
}

/**
 * The README's picture of the published model: one row per class (the model's order), the same ten latents in every
 * row (seeds 0–9 of one stream, the paper's truncation at threshold 1.0), EMA generator, standing statistics.
 */
async function writeSampleSheet(model: import('../main/engine/model.ts').BigGANModel): Promise<void> {
  const { gridLayout, tileGrid } = await import('../main/images/pixels.ts')
  const { toPixels } = await import('../main/engine/pixels.ts')
  const { Random } = await import('../main/engine/sampling/random.ts')
  const { zDim, numClasses, resolution } = model.config
  const columns = 10
  const z1 = model.truncation.sample(new Random(0), columns, 1.0)
  const z = new Float32Array(numClasses * columns * zDim)
  const y = new Float32Array(numClasses * columns * numClasses)
  for (let c = 0; c < numClasses; c++) {
    z.set(z1, c * columns * zDim)
    for (let i = 0; i < columns; i++) y[(c * columns + i) * numClasses + c] = 1
  }
  const images = await model.generate(z, y, { truncation: model.truncation.statisticsPsi(1.0) })
  const grid = tileGrid(toPixels(images), gridLayout(numClasses * columns, resolution, columns))
  await writeFile(sampleSheet, encodePng(grid.rgb, grid.width, grid.height))
}

if (!args.includes('--publish-only') && !publishTo) {
  await exportImages()
  const resume = existsSync(runInfoFile(run))
  const code = await biggan(
    resume
      ? [...threads, 'train', '--resume', '--out', run, '--steps', steps]
      : [...threads, 'train', '--data', images, ...architecture, ...recipe, '--steps', steps, '--out', run, '--checkpoint-every', '100', '--preview-every', '100', '--keep', '2'],
  )
  if (code !== 0 && code !== 130) process.exit(code)
}
await publish()
