// Training batches from a loaded split: an endless stream of fixed-size batches, reshuffled every epoch, with
// optional random horizontal mirroring (the `--mirror` x-flip of ADA/DiffAugment, for subjects with no
// handedness).
//
// Every batch has exactly `batchSize` images: when an epoch runs out mid-batch, the batch is filled from the
// next epoch's order. Tensor shapes then never change (no retracing on the last batch), no image is dropped,
// and a folder smaller than one batch still trains. Each image appears once per epoch.
//
// Determinism: all randomness comes from the Random passed in, which the caller owns. For an exact resume,
// save rng.state() and stream.state() together and pass both back.

import type { Random } from '../sampling/random.ts'
import type { ImageFolder, ImageSplit } from '../images.ts'

export interface Batch {
  /** [batchSize, R, R, 3] in [−1, 1] */
  x: Float32Array
  /** [batchSize] class indices */
  labels: Int32Array
  /** [batchSize] which image of the split each row is */
  indices: Int32Array
  /** [batchSize] 1 where the row was mirrored */
  mirrored: Uint8Array
  /** epoch of the batch's first image, from 0 */
  epoch: number
}

export interface BatchStreamState {
  /** the current epoch's order of image indices */
  order: number[]
  /** next position in `order` */
  position: number
  epoch: number
}

export interface BatchOptions {
  mirror: boolean
  resume?: BatchStreamState
}

export class BatchStream implements IterableIterator<Batch> {
  private order: number[]
  private position: number
  private epoch: number
  private readonly R: number

  constructor(
    private readonly split: ImageSplit,
    private readonly batchSize: number,
    private readonly rng: Random,
    private readonly mirror: boolean,
    resume?: BatchStreamState,
  ) {
    if (split.count === 0) throw new Error('cannot make training batches: the split has no images')
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new Error(`batch size must be a whole number ≥ 1, got ${batchSize}`)
    }
    this.R = split.resolution
    if (resume) {
      checkResume(resume, split.count)
      this.order = [...resume.order]
      this.position = resume.position
      this.epoch = resume.epoch
    } else {
      this.order = this.shuffled()
      this.position = 0
      this.epoch = 0
    }
  }

  [Symbol.iterator](): BatchStream {
    return this
  }

  /** Never done: training decides when to stop. */
  next(): IteratorResult<Batch> {
    return { done: false, value: this.take() }
  }

  state(): BatchStreamState {
    return { order: [...this.order], position: this.position, epoch: this.epoch }
  }

  private take(): Batch {
    const S = this.R * this.R * 3
    const b = this.batchSize
    const batch: Batch = {
      x: new Float32Array(b * S),
      labels: new Int32Array(b),
      indices: new Int32Array(b),
      mirrored: new Uint8Array(b),
      epoch: this.epoch,
    }
    for (let row = 0; row < b; row++) {
      if (this.position === this.order.length) {
        this.epoch++
        this.order = this.shuffled()
        this.position = 0
      }
      const image = this.order[this.position++]
      const flip = this.mirror && this.rng.uniform() < 0.5
      batch.indices[row] = image
      batch.labels[row] = this.split.labels[image]
      batch.mirrored[row] = flip ? 1 : 0
      this.writeImage(image, flip, batch.x.subarray(row * S, (row + 1) * S))
    }
    return batch
  }

  private writeImage(image: number, flip: boolean, out: Float32Array): void {
    const R = this.R
    const src = this.split.pixels.subarray(image * R * R * 3, (image + 1) * R * R * 3)
    for (let y = 0; y < R; y++) {
      for (let x = 0; x < R; x++) {
        const from = (y * R + (flip ? R - 1 - x : x)) * 3
        const to = (y * R + x) * 3
        out[to] = src[from] / 127.5 - 1
        out[to + 1] = src[from + 1] / 127.5 - 1
        out[to + 2] = src[from + 2] / 127.5 - 1
      }
    }
  }

  /** Fisher–Yates over all images. */
  private shuffled(): number[] {
    const order = Array.from({ length: this.split.count }, (_, i) => i)
    for (let i = order.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1)
      ;[order[i], order[j]] = [order[j], order[i]]
    }
    return order
  }
}

/** Batches from the training split (or any split). */
export function batches(
  source: Pick<ImageFolder, 'train'> | ImageSplit,
  batchSize: number,
  rng: Random,
  options: BatchOptions,
): BatchStream {
  const split = 'train' in source ? source.train : source
  return new BatchStream(split, batchSize, rng, options.mirror, options.resume)
}

function checkResume(state: BatchStreamState, count: number): void {
  const seen = new Uint8Array(count)
  const isPermutation =
    state.order.length === count &&
    state.order.every((i) => Number.isInteger(i) && i >= 0 && i < count && seen[i]++ === 0)
  if (!isPermutation || !Number.isInteger(state.position) || state.position < 0 || state.position > count) {
    throw new Error(
      `cannot resume the batch stream: its saved order does not fit this split of ${count} images ` +
        `(was the folder changed since the checkpoint? compare the dataset contentHash)`,
    )
  }
}
