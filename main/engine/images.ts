// Images as the engine takes them: N square RGB images at G's resolution, NHWC row-major, with a class label each,
// as the folder loader's uint8 pixels (0–255) or already in G's range [−1, 1] as float32; and the one-hot class
// vectors G and D are conditioned on.

/** N images of one resolution, laid out for the engine. */
export interface ImageSplit {
  resolution: number
  count: number
  /** [count, resolution, resolution, 3] uint8 RGB. May be a view: use byteOffset/length, not `.buffer` alone. */
  pixels: Uint8Array
  /** [count] class index into ImageDataset.classes */
  labels: Int32Array
  /** [count] path of each image relative to the folder, '/'-separated */
  relPaths: string[]
}

/** The images of a folder, split into the part training sees and the held-out part it never does. */
export interface ImageFolder {
  /** where they came from (absolute, symlinks resolved): named in errors and run records */
  dir: string
  /** class names, index = label */
  classes: string[]
  train: ImageSplit
  heldOut: ImageSplit
}


/** [count, R, R, 3] in [−1, 1]; uint8 input is mapped by x / 127.5 − 1. Checks the length against count and R. */
export function modelPixels(pixels: Float32Array | Uint8Array, count: number, resolution: number, what = 'images'): Float32Array {
  if (!(Number.isInteger(count) && count >= 1)) throw new Error(`${what}: count must be a whole number ≥ 1, got ${count}`)
  const expected = count * resolution * resolution * 3
  if (pixels.length !== expected) {
    throw new Error(
      `${what}: ${pixels.length} values where ${count} images of ${resolution}×${resolution}×3 need ${expected}; ` +
        `resize the folder to the model's resolution (${resolution} px)`,
    )
  }
  if (pixels instanceof Float32Array) return pixels
  const out = new Float32Array(expected)
  for (let i = 0; i < expected; i++) out[i] = pixels[i] / 127.5 - 1
  return out
}

/** One-hot rows [labels.length, numClasses] for class indices, each checked against the model's classes. */
export function oneHot(labels: ArrayLike<number>, numClasses: number, what = 'labels'): Float32Array {
  const y = new Float32Array(labels.length * numClasses)
  for (let i = 0; i < labels.length; i++) {
    const k = labels[i]
    if (!(Number.isInteger(k) && k >= 0 && k < numClasses)) {
      throw new Error(`${what}[${i}] is ${k}, not a class of this model (0–${numClasses - 1})`)
    }
    y[i * numClasses + k] = 1
  }
  return y
}
