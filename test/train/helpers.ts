// Small training fixtures: a 32 px BigGAN of width 4 with a narrow shared embedding, and image splits made in
// memory (one colour per class plus seeded noise), so the training tests need no files and finish in seconds.
import sharp from 'sharp'
import { defaultConfig, type ModelConfig } from '../../main/engine/config'
import type { ImageSplit } from '../../main/engine/images'
import { BigGANModel } from '../../main/engine/model'
import type { TrainingSink } from '../../main/engine/train/loop'
import type { JsonValue } from '../../main/engine/train/monitor'
import type { MemorisationResult } from '../../main/engine/train/memorisation'
import { Random } from '../../main/engine/sampling/random'
import type { RawTensor, TensorMap } from '../../main/tensors/tensor'
import type { TrainingData } from '../../main/engine/train/session'

export function tinyConfig(classes = 2): ModelConfig {
  return { ...defaultConfig('biggan', 32, 4, classes), sharedDim: 16, classNames: Array.from({ length: classes }, (_, i) => `c${i}`) }
}

export function tinyModel(classes = 2, seed = 1): BigGANModel {
  return BigGANModel.initialise(tinyConfig(classes), seed)
}

const colours: [number, number, number][] = [[220, 40, 40], [40, 60, 220], [40, 200, 60], [230, 220, 50]]

/** n images of r×r (32 unless asked), class i % classes, each a class colour with seeded noise. */
export function split(n: number, classes: number, seed: number, r = 32): ImageSplit {
  const rng = new Random(seed)
  const pixels = new Uint8Array(n * r * r * 3)
  const labels = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    labels[i] = i % classes
    const c = colours[labels[i] % colours.length]
    for (let p = 0; p < r * r; p++) {
      for (let k = 0; k < 3; k++) pixels[(i * r * r + p) * 3 + k] = Math.max(0, Math.min(255, c[k] + Math.round((rng.uniform() - 0.5) * 60)))
    }
  }
  return { resolution: r, count: n, pixels, labels, relPaths: Array.from({ length: n }, (_, i) => `c${labels[i]}/${i}.png`) }
}

export function tinyData(classes = 2, resolution = 32): TrainingData {
  return { train: split(12, classes, 7, resolution), heldOut: split(4, classes, 8, resolution) }
}

/** A sink that keeps metrics lines and counts previews and checkpoints, writing nothing. */
export function memorySink(): TrainingSink & {
  lines: { [key: string]: JsonValue }[]
  previews: number[]
  checkpoints: number[]
  best: number[]
  memorisations: MemorisationResult[]
} {
  const memorisations: MemorisationResult[] = []
  const lines: { [key: string]: JsonValue }[] = []
  const previews: number[] = []
  const checkpoints: number[] = []
  const best: number[] = []
  return {
    lines,
    previews,
    checkpoints,
    best,
    metrics: async (line) => void lines.push(line),
    memorisations,
    preview: async (step) => void previews.push(step),
    memorisation: async (_, result) => void memorisations.push(result),
    checkpoint: async (step, _, options) => {
      checkpoints.push(step)
      if (options.best) best.push(step)
    },
  }
}

/** Names of tensors whose bytes differ between two maps (a name missing on either side counts). */
export function differing(a: TensorMap, b: TensorMap): string[] {
  const names = new Set([...a.keys(), ...b.keys()])
  return [...names].filter((n) => {
    const x = a.get(n)
    const y = b.get(n)
    return !x || !y || !sameBytes(x, y)
  })
}

function sameBytes(x: RawTensor, y: RawTensor): boolean {
  if (x.dtype !== y.dtype || x.data.length !== y.data.length || x.shape.join() !== y.shape.join()) return false
  for (let i = 0; i < x.data.length; i++) if (x.data[i] !== y.data[i]) return false
  return true
}

/** A size×size PNG of one colour with seeded speckles: distinct, decodable training images. */
export async function speckledPng(rgb: [number, number, number], seed: number, size: number): Promise<Buffer> {
  const raw = Buffer.alloc(size * size * 3)
  let x = seed
  for (let i = 0; i < raw.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    raw[i] = Math.max(0, Math.min(255, rgb[i % 3] + ((x >>> 24) % 41) - 20))
  }
  return sharp(raw, { raw: { width: size, height: size, channels: 3 } }).png().toBuffer()
}
