// DiffAugment (Zhao et al., NeurIPS 2020, arXiv 2006.10738): the same differentiable augmentation T runs on real
// images in D's step and on fake images in both D's and G's steps, so G's gradient flows back through T.
// The three policies follow the authors' DiffAugment_pytorch.py / DiffAugment_tf.py, on NHWC images in [−1, 1]:
//
//   color       brightness  x + (u − 0.5)                         u ~ U[0, 1) per image
//               saturation  (x − mean over channels)·2u + that mean (per pixel)
//               contrast    (x − mean over H, W, C)·(u + 0.5) + that mean (per image)
//   translation out[i, j] = x[i + dy, j + dx], zero where that falls outside; dy, dx integers in [−s, s] with
//               s = ⌊size/8 + 0.5⌋ (the authors' int(size·ratio + 0.5))
//   cutout      zero a k×k square, k = ⌊size/2 + 0.5⌋, rows [c − ⌊k/2⌋, c − ⌊k/2⌋ + k) clipped to the image, centre c
//               drawn from [0, size + 1 − k mod 2) (so an even k may hang over either border by the same amount)
//
// ADA-style strength: each policy is applied to each image with probability p (p = 1 is plain DiffAugment).
// Every random number is drawn in JS from the caller's seeded `Random`, a fixed count per call whatever p is, so a
// run replays and resumes exactly. Translation is a slice and a pad per image and cutout a constant mask: both
// differentiate on wasm, where tf.gather's gradient (UnsortedSegmentSum) is missing.
import type { Ops } from '../forward'
import type { Random } from '../sampling/random'
import { tf } from '../tf'

export type AugmentPolicy = 'color' | 'translation' | 'cutout'

/** The authors' order when all three are asked for ('color,translation,cutout'). */
export const AUGMENT_POLICIES: readonly AugmentPolicy[] = ['color', 'translation', 'cutout']

const TRANSLATION_RATIO = 1 / 8
const CUTOUT_RATIO = 1 / 2

/** The random draws of one policy for a batch; `applied[b]` false leaves image b untouched by it. */
export type AugmentDraw =
  | { policy: 'color'; applied: boolean[]; brightness: number[]; saturation: number[]; contrast: number[] }
  | { policy: 'translation'; applied: boolean[]; dy: number[]; dx: number[] }
  | { policy: 'cutout'; applied: boolean[]; centreY: number[]; centreX: number[] }

/** DiffAugment with per-image probability p; the caller owns the result. */
export function diffAugment(x: tf.Tensor4D, policies: AugmentPolicy[], p: number, rng: Random): tf.Tensor4D {
  if (x.rank !== 4) throw new Error(`diffAugment expects images [batch, h, w, channels], got shape [${x.shape}]`)
  const [batch, height, width] = x.shape
  return applyAugmentation(x, drawAugmentation(batch, height, width, policies, p, rng))
}

/** Draws every policy's parameters, in order: per image a gate u < p, then the policy's own numbers. */
export function drawAugmentation(
  batch: number,
  height: number,
  width: number,
  policies: AugmentPolicy[],
  p: number,
  rng: Random,
): AugmentDraw[] {
  if (!(p >= 0 && p <= 1)) throw new Error(`augmentation probability p must lie in [0, 1], got ${p}`)
  for (const policy of policies) {
    if (!AUGMENT_POLICIES.includes(policy)) {
      throw new Error(`unknown augmentation policy '${policy}': choose from ${AUGMENT_POLICIES.join(', ')}`)
    }
  }
  return policies.map((policy): AugmentDraw => {
    const applied: boolean[] = []
    // u < p is never true at p = 0 and always true at p = 1, since u ∈ [0, 1)
    const gate = (): void => void applied.push(rng.uniform() < p)
    if (policy === 'color') {
      const brightness: number[] = []
      const saturation: number[] = []
      const contrast: number[] = []
      for (let b = 0; b < batch; b++) {
        gate()
        brightness.push(rng.uniform() - 0.5)
        saturation.push(rng.uniform() * 2)
        contrast.push(rng.uniform() + 0.5)
      }
      return { policy, applied, brightness, saturation, contrast }
    }
    if (policy === 'translation') {
      const sy = translationLimit(height)
      const sx = translationLimit(width)
      const dy: number[] = []
      const dx: number[] = []
      for (let b = 0; b < batch; b++) {
        gate()
        dy.push(rng.int(2 * sy + 1) - sy)
        dx.push(rng.int(2 * sx + 1) - sx)
      }
      return { policy, applied, dy, dx }
    }
    const ky = cutoutSize(height)
    const kx = cutoutSize(width)
    const centreY: number[] = []
    const centreX: number[] = []
    for (let b = 0; b < batch; b++) {
      gate()
      centreY.push(rng.int(height + 1 - (ky % 2)))
      centreX.push(rng.int(width + 1 - (kx % 2)))
    }
    return { policy, applied, centreY, centreX }
  })
}

/** Applies drawn policies in order; always a new tensor, which the caller owns. */
export function applyAugmentation(x: tf.Tensor4D, draws: AugmentDraw[]): tf.Tensor4D {
  return tf.tidy(() => {
    let y = x
    for (const draw of draws) {
      if (draw.applied.length !== x.shape[0]) {
        throw new Error(`augmentation drawn for ${draw.applied.length} images applied to a batch of ${x.shape[0]}`)
      }
      if (!draw.applied.some(Boolean)) continue
      if (draw.policy === 'color') {
        const augmented = contrast(saturation(brightness(y, draw.brightness), draw.saturation), draw.contrast)
        y = draw.applied.every(Boolean) ? augmented : selectImages(draw.applied, augmented, y)
      } else if (draw.policy === 'translation') {
        const off = (v: number, b: number): number => (draw.applied[b] ? v : 0)
        y = translate(y, draw.dy.map(off), draw.dx.map(off))
      } else {
        const [, height, width] = y.shape
        y = tf.mul(y, cutoutMask(height, width, draw.centreY, draw.centreX, draw.applied))
      }
    }
    return y === x ? tf.clone(x) : y
  })
}

/** x + amount[b] for image b (the authors' amount is U[0, 1) − 0.5). */
export function brightness(x: tf.Tensor4D, amounts: number[]): tf.Tensor4D {
  return tf.tidy(() => tf.add(x, perImage(amounts)))
}

/** (x − mean over channels)·factor[b] + that mean, per pixel (the authors' factor is 2·U[0, 1)). */
export function saturation(x: tf.Tensor4D, factors: number[]): tf.Tensor4D {
  return tf.tidy(() => {
    const mean = tf.mean(x, 3, true) // [batch, h, w, 1]
    return tf.add(tf.mul(tf.sub(x, mean), perImage(factors)), mean)
  })
}

/** (x − mean of the image)·factor[b] + that mean (the authors' factor is U[0, 1) + 0.5). */
export function contrast(x: tf.Tensor4D, factors: number[]): tf.Tensor4D {
  return tf.tidy(() => {
    const mean = tf.mean(x, [1, 2, 3], true) // [batch, 1, 1, 1]
    return tf.add(tf.mul(tf.sub(x, mean), perImage(factors)), mean)
  })
}

/**
 * out[b, i, j] = x[b, i + dy[b], j + dx[b]], zero outside the image: the authors' gather from a padded image with
 * clamped indices, done as one slice and one pad per image so that its gradient exists on every backend.
 */
export function translate(x: tf.Tensor4D, dy: number[], dx: number[]): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, height, width] = x.shape
    if (dy.length !== batch || dx.length !== batch) {
      throw new Error(`translate needs one shift per image: batch ${batch}, got ${dy.length} dy and ${dx.length} dx`)
    }
    if (dy.every((v) => v === 0) && dx.every((v) => v === 0)) return tf.clone(x)
    const images = tf.split(x, batch, 0) as tf.Tensor4D[] // each [1, h, w, c]
    const shifted = images.map((image, b) => {
      const ty = dy[b]
      const tx = dx[b]
      if (ty === 0 && tx === 0) return image
      if (Math.abs(ty) >= height || Math.abs(tx) >= width) return tf.zerosLike(image)
      const kept = tf.slice(image, [0, Math.max(ty, 0), Math.max(tx, 0), 0], [1, height - Math.abs(ty), width - Math.abs(tx), -1])
      return tf.pad(kept, [
        [0, 0],
        [Math.max(-ty, 0), Math.max(ty, 0)],
        [Math.max(-tx, 0), Math.max(tx, 0)],
        [0, 0],
      ])
    })
    return tf.concat(shifted, 0)
  })
}

/** x with each image's cutout square set to 0 (every image cut). */
export function cutout(x: tf.Tensor4D, centreY: number[], centreX: number[]): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, height, width] = x.shape
    return tf.mul(x, cutoutMask(height, width, centreY, centreX, new Array<boolean>(batch).fill(true)))
  })
}

/** The 0/1 mask [batch, h, w, 1]: 0 inside image b's square when applied[b], 1 elsewhere. */
export function cutoutMask(height: number, width: number, centreY: number[], centreX: number[], applied: boolean[]): tf.Tensor4D {
  const batch = applied.length
  if (centreY.length !== batch || centreX.length !== batch) {
    throw new Error(`cutout needs one centre per image: batch ${batch}, got ${centreY.length} rows and ${centreX.length} columns`)
  }
  const mask = new Float32Array(batch * height * width).fill(1)
  for (let b = 0; b < batch; b++) {
    if (!applied[b]) continue
    const [y0, y1] = cutoutSpan(centreY[b], height)
    const [x0, x1] = cutoutSpan(centreX[b], width)
    for (let i = y0; i < y1; i++) mask.fill(0, (b * height + i) * width + x0, (b * height + i) * width + x1)
  }
  return tf.tensor4d(mask, [batch, height, width, 1])
}

/** The largest translation along an axis of this size: the authors' int(size·1/8 + 0.5). */
export function translationLimit(size: number): number {
  return Math.floor(size * TRANSLATION_RATIO + 0.5)
}

/** The cutout square's side along an axis of this size: the authors' int(size·1/2 + 0.5). */
export function cutoutSize(size: number): number {
  return Math.floor(size * CUTOUT_RATIO + 0.5)
}

/**
 * Rows (or columns) [start, end) that a cutout centred at `centre` zeroes: the authors' indices
 * centre − ⌊k/2⌋ + [0, k) clamped into [0, size − 1]; clamping lands only on rows already inside the square, so
 * this is the square clipped at the border.
 */
export function cutoutSpan(centre: number, size: number): [number, number] {
  const k = cutoutSize(size)
  const start = centre - Math.floor(k / 2)
  return [Math.max(start, 0), Math.min(start + k, size)]
}

// ——— the same draws as tensors, for an executor that compiles the step (main/onnx/training) ———
// A compiled graph cannot branch per image or slice by a drawn offset, so a draw becomes inputs whose values carry
// it: the colour factors per image (0, 1, 1 where the policy was not applied: the identity), translation as two
// 0/1 shift matrices per image (out = rows · x · cols, the identity where not applied: exact, since each output
// element is one input element times 1 plus zeros), and cutout as its mask. applyDrawn computes on any executor.

/** The inputs of the drawn policies, by name, with their shapes: [batch] factors, [batch, h, h] and [batch, w, w]
 *  shift matrices, the [batch, h, w, 1] cutout mask. */
export type AugmentInputName = 'brightness' | 'saturation' | 'contrast' | 'rows' | 'cols' | 'mask'

/** The input names a policy list reads, in order, with their shapes for a batch of images. */
export function augmentInputShapes(policies: readonly AugmentPolicy[], batch: number, height: number, width: number): [AugmentInputName, number[]][] {
  return policies.flatMap((policy): [AugmentInputName, number[]][] => {
    if (policy === 'color') return [['brightness', [batch]], ['saturation', [batch]], ['contrast', [batch]]]
    if (policy === 'translation') return [['rows', [batch, height, height]], ['cols', [batch, width, width]]]
    return [['mask', [batch, height, width, 1]]]
  })
}

/** The values of those inputs for drawn policies. */
export function augmentInputs(draws: AugmentDraw[], height: number, width: number): Map<AugmentInputName, Float32Array> {
  const values = new Map<AugmentInputName, Float32Array>()
  for (const draw of draws) {
    const batch = draw.applied.length
    if (draw.policy === 'color') {
      values.set('brightness', Float32Array.from(draw.brightness, (v, b) => (draw.applied[b] ? v : 0)))
      values.set('saturation', Float32Array.from(draw.saturation, (v, b) => (draw.applied[b] ? v : 1)))
      values.set('contrast', Float32Array.from(draw.contrast, (v, b) => (draw.applied[b] ? v : 1)))
    } else if (draw.policy === 'translation') {
      // rows[b][i][k] = 1 where k = i + dy: out row i is x's row i + dy; cols[b][k][j] = 1 where k = j + dx
      const rows = new Float32Array(batch * height * height)
      const cols = new Float32Array(batch * width * width)
      for (let b = 0; b < batch; b++) {
        const dy = draw.applied[b] ? draw.dy[b] : 0
        const dx = draw.applied[b] ? draw.dx[b] : 0
        for (let i = 0; i < height; i++) if (i + dy >= 0 && i + dy < height) rows[(b * height + i) * height + i + dy] = 1
        for (let j = 0; j < width; j++) if (j + dx >= 0 && j + dx < width) cols[(b * width + j + dx) * width + j] = 1
      }
      values.set('rows', rows)
      values.set('cols', cols)
    } else {
      const mask = cutoutMask(height, width, draw.centreY, draw.centreX, draw.applied)
      values.set('mask', mask.dataSync() as Float32Array)
      mask.dispose()
    }
  }
  return values
}

/** DiffAugment from its drawn inputs (augmentInputs) on any executor: x [batch, h, w, c] → the augmented images. */
export function applyDrawn<T>(ops: Ops<T>, x: T, policies: readonly AugmentPolicy[], input: (name: AugmentInputName) => T): T {
  const [batch, height, width, channels] = ops.shape(x)
  const perImage = (v: T): T => ops.reshape(v, [batch, 1, 1, 1])
  let y = x
  for (const policy of policies) {
    if (policy === 'color') {
      y = ops.add(y, perImage(input('brightness')))
      const pixelMean = ops.reshape(ops.mean(y, [3]), [batch, height, width, 1])
      y = ops.add(ops.mul(ops.sub(y, pixelMean), perImage(input('saturation'))), pixelMean)
      const imageMean = perImage(ops.mean(y, [1, 2, 3]))
      y = ops.add(ops.mul(ops.sub(y, imageMean), perImage(input('contrast'))), imageMean)
    } else if (policy === 'translation') {
      // columns: [batch, c·h, w] · cols[b]; rows: rows[b] · [batch, h, c·w]
      const byRow = ops.reshape(ops.transpose(y, [0, 3, 1, 2]), [batch, channels * height, width])
      const shiftedCols = ops.reshape(ops.matMul(byRow, input('cols')), [batch, channels, height, width])
      const byColumn = ops.reshape(ops.transpose(shiftedCols, [0, 2, 1, 3]), [batch, height, channels * width])
      const shifted = ops.reshape(ops.matMul(input('rows'), byColumn), [batch, height, channels, width])
      y = ops.transpose(shifted, [0, 1, 3, 2])
    } else {
      y = ops.mul(y, input('mask'))
    }
  }
  return y
}

/** One value per image as [batch, 1, 1, 1]. */
function perImage(values: number[]): tf.Tensor4D {
  return tf.tensor4d(values, [values.length, 1, 1, 1])
}

/** Image b from `chosen` where pick[b], else from `other`. */
function selectImages(pick: boolean[], chosen: tf.Tensor4D, other: tf.Tensor4D): tf.Tensor4D {
  const condition = tf.tensor4d(
    pick.map((v) => (v ? 1 : 0)),
    [pick.length, 1, 1, 1],
    'bool',
  )
  return tf.where(condition, chosen, other)
}
