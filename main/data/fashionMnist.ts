// Fashion-MNIST (Xiao, Rasul & Vollgraf 2017) as the IDX files it ships in: 28×28 grey images of ten clothing
// classes, 60 000 for training and 10 000 for testing. The bundled default model and its quality measurement use
// it; on Debian the package dataset-fashion-mnist installs the four .gz files in DEFAULT_FASHION_MNIST_DIR.
//
// IDX (LeCun's MNIST format): a big-endian header, magic 0x00000803 (2051, unsigned bytes, 3 dims) for images or
// 0x00000801 (2049, 1 dim) for labels, then one uint32 per dimension, then the bytes in row-major order.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { DatasetError } from './errors'

export const DEFAULT_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist'

/** The ten classes in label order (label 0 = T-shirt/top), as the dataset's README names them. */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
])

export const IDX_IMAGES_MAGIC = 2051
export const IDX_LABELS_MAGIC = 2049

export type FashionMnistSplitName = 'train' | 't10k'

export interface IdxImages {
  /** [count, rows, cols] grey bytes, 0 = black background */
  images: Uint8Array
  count: number
  rows: number
  cols: number
}

export interface FashionMnistSplit extends IdxImages {
  /** [count], each in [0, 10) */
  labels: Uint8Array
}

/** Parses the (already decompressed) bytes of an IDX image file; `file` names it in errors. */
export function parseIdxImages(bytes: Uint8Array, file: string): IdxImages {
  const view = header(bytes, file, IDX_IMAGES_MAGIC, 16)
  const count = view.getUint32(4)
  const rows = view.getUint32(8)
  const cols = view.getUint32(12)
  if (rows === 0 || cols === 0) fail(file, `has images of ${rows}×${cols} pixels`)
  const expected = 16 + count * rows * cols
  if (bytes.byteLength !== expected) {
    fail(file, `declares ${count} images of ${rows}×${cols} (${expected} bytes with the header) but holds ${bytes.byteLength} bytes`)
  }
  return { images: bytes.slice(16), count, rows, cols }
}

/** Parses the (already decompressed) bytes of an IDX label file. */
export function parseIdxLabels(bytes: Uint8Array, file: string): Uint8Array {
  const view = header(bytes, file, IDX_LABELS_MAGIC, 8)
  const count = view.getUint32(4)
  if (bytes.byteLength !== 8 + count) {
    fail(file, `declares ${count} labels (${8 + count} bytes with the header) but holds ${bytes.byteLength} bytes`)
  }
  return bytes.slice(8)
}

/** Reads one split ('train' or 't10k') from `dir`: the image and label files, checked against each other. */
export async function loadFashionMnist(
  split: FashionMnistSplitName, dir: string = DEFAULT_FASHION_MNIST_DIR,
): Promise<FashionMnistSplit> {
  const imageFile = join(dir, `${split}-images-idx3-ubyte.gz`)
  const labelFile = join(dir, `${split}-labels-idx1-ubyte.gz`)
  const images = parseIdxImages(await readGzip(imageFile), imageFile)
  const labels = parseIdxLabels(await readGzip(labelFile), labelFile)
  if (images.rows !== 28 || images.cols !== 28) {
    fail(imageFile, `has ${images.rows}×${images.cols} images; Fashion-MNIST's are 28×28`)
  }
  if (labels.length !== images.count) {
    fail(labelFile, `has ${labels.length} labels but ${imageFile} has ${images.count} images; the two files must be from the same split`)
  }
  const bad = labels.findIndex((l) => l >= FASHION_MNIST_CLASSES.length)
  if (bad >= 0) fail(labelFile, `label ${bad} is ${labels[bad]}; Fashion-MNIST labels lie in 0–9`)
  return { ...images, labels }
}

async function readGzip(path: string): Promise<Uint8Array> {
  let compressed: Buffer
  try {
    compressed = await readFile(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const hint = code === 'ENOENT'
      ? 'file not found; on Debian install the package dataset-fashion-mnist, or point to a folder with the four .gz files'
      : (err as Error).message
    throw new DatasetError(`cannot read ${path}: ${hint}`, code === 'ENOENT' ? 'not-found' : 'unreadable')
  }
  try {
    const raw = gunzipSync(compressed)
    return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)
  } catch (err) {
    throw new DatasetError(`cannot decompress ${path}: ${(err as Error).message}; is it a gzip file?`, 'unreadable')
  }
}

function header(bytes: Uint8Array, file: string, magic: number, length: number): DataView {
  const short = (): never => fail(file, `is ${bytes.byteLength} bytes long, shorter than an IDX header (${length})`)
  if (bytes.byteLength < 4) short()
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const found = view.getUint32(0)
  if (found !== magic) {
    const what = magic === IDX_IMAGES_MAGIC ? 'an IDX image file' : 'an IDX label file'
    fail(file, `starts with magic ${found}, not ${magic}: it is not ${what} (swapped images and labels?)`)
  }
  if (bytes.byteLength < length) short()
  return view
}

function fail(file: string, message: string): never {
  throw new DatasetError(`${file} ${message}`, 'unreadable')
}

export interface ModelImageOptions {
  /** the side of the square output (default 32, the bundled model's resolution) */
  resolution?: number
  /** which images (default all, in order) */
  indices?: ArrayLike<number>
}

/**
 * Grey [count, rows, cols] bytes → model images [n, R, R, 3] in [−1, 1] (NHWC, the grey value in all three channels,
 * 0 → −1 and 255 → 1).
 *
 * R ≥ 28 pads: the 28×28 image is centred on a black (−1) canvas, 2 px each side at R = 32. Padding is exact (no
 * resampling filter enters the metrics) and matches the data: Fashion-MNIST's objects already sit on black, inside
 * a few pixels of margin. R < 28 shrinks with an area (box) filter, which is antialiased: metrics compare real and
 * generated images only through the same antialiased resize (clean-fid measured FID moving by 6 and more between
 * aliased resizers).
 */
export function toModelImages(source: IdxImages, options: ModelImageOptions = {}): Float32Array {
  const R = options.resolution ?? 32
  if (!Number.isInteger(R) || R < 1) throw new Error(`resolution must be a positive integer, got ${R}`)
  const { rows, cols, images } = source
  const indices = options.indices ?? Array.from({ length: source.count }, (_, i) => i)
  const out = new Float32Array(indices.length * R * R * 3).fill(-1)
  const grey = R >= rows && R >= cols ? null : areaWeights(rows, cols, R)
  for (let n = 0; n < indices.length; n++) {
    const i = indices[n]
    if (!Number.isInteger(i) || i < 0 || i >= source.count) {
      throw new Error(`image index ${i} is outside 0…${source.count - 1}`)
    }
    const src = images.subarray(i * rows * cols, (i + 1) * rows * cols)
    const base = n * R * R * 3
    if (grey === null) {
      const top = (R - rows) >> 1
      const left = (R - cols) >> 1
      for (let y = 0; y < rows; y++) {
        for (let x = 0; x < cols; x++) {
          const v = src[y * cols + x] / 127.5 - 1
          const o = base + ((y + top) * R + x + left) * 3
          out[o] = v
          out[o + 1] = v
          out[o + 2] = v
        }
      }
    } else {
      for (let y = 0; y < R; y++) {
        for (let x = 0; x < R; x++) {
          let sum = 0
          for (const [sy, wy] of grey.rows[y]) for (const [sx, wx] of grey.cols[x]) sum += src[sy * cols + sx] * wy * wx
          const v = sum / 127.5 - 1
          const o = base + (y * R + x) * 3
          out[o] = v
          out[o + 1] = v
          out[o + 2] = v
        }
      }
    }
  }
  return out
}

/** For each output row (column): the source rows (columns) it overlaps and the fraction of it each covers. */
function areaWeights(rows: number, cols: number, R: number): { rows: [number, number][][]; cols: [number, number][][] } {
  const axis = (n: number): [number, number][][] =>
    Array.from({ length: R }, (_, o) => {
      const start = (o * n) / R
      const end = ((o + 1) * n) / R
      const taps: [number, number][] = []
      for (let s = Math.floor(start); s < Math.ceil(end); s++) {
        const overlap = Math.min(end, s + 1) - Math.max(start, s)
        if (overlap > 0) taps.push([s, overlap / (end - start)])
      }
      return taps
    })
  return { rows: axis(rows), cols: axis(cols) }
}
