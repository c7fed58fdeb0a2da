import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  FASHION_MNIST_CLASSES, loadFashionMnist, parseIdxImages, parseIdxLabels, toModelImages,
} from '../../main/data/fashionMnist'

/** An IDX file: big-endian magic, dims, then the bytes. */
function idx(magic: number, dims: number[], body: Uint8Array): Uint8Array {
  const header = new DataView(new ArrayBuffer(4 + 4 * dims.length))
  header.setUint32(0, magic)
  dims.forEach((d, i) => header.setUint32(4 + 4 * i, d))
  const out = new Uint8Array(header.byteLength + body.length)
  out.set(new Uint8Array(header.buffer))
  out.set(body, header.byteLength)
  return out
}

/** n 28×28 images whose pixel (y, x) of image i is (i + y + x) mod 256. */
function syntheticImages(n: number): Uint8Array {
  return Uint8Array.from({ length: n * 784 }, (_, j) => (Math.floor(j / 784) + Math.floor((j % 784) / 28) + (j % 28)) % 256)
}

let dir: string

async function writeSplit(split: string, images: Uint8Array, labels: Uint8Array, folder = dir): Promise<void> {
  await writeFile(join(folder, `${split}-images-idx3-ubyte.gz`), gzipSync(images))
  await writeFile(join(folder, `${split}-labels-idx1-ubyte.gz`), gzipSync(labels))
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fashion-mnist-'))
  await writeSplit('train', idx(2051, [3, 28, 28], syntheticImages(3)), idx(2049, [3], Uint8Array.from([9, 0, 4])))
  await writeSplit('t10k', idx(2051, [2, 28, 28], syntheticImages(2)), idx(2049, [2], Uint8Array.from([1, 2])))
})

afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('Fashion-MNIST IDX files', () => {
  it('reads images and labels of both splits from the gzip files', async () => {
    const train = await loadFashionMnist('train', dir)
    expect([train.count, train.rows, train.cols]).toEqual([3, 28, 28])
    expect([...train.labels]).toEqual([9, 0, 4])
    expect(train.images).toEqual(syntheticImages(3))
    const test = await loadFashionMnist('t10k', dir)
    expect(test.count).toBe(2)
    expect([...test.labels]).toEqual([1, 2])
  })

  it('names the ten classes in label order', () => {
    expect(FASHION_MNIST_CLASSES).toHaveLength(10)
    expect(FASHION_MNIST_CLASSES[0]).toBe('T-shirt/top')
    expect(FASHION_MNIST_CLASSES[9]).toBe('Ankle boot')
  })

  it('refuses a file with the wrong magic, naming the file', () => {
    expect(() => parseIdxImages(idx(2049, [1], new Uint8Array(1)), 'x-images.gz')).toThrow(/x-images\.gz starts with magic 2049, not 2051/)
    expect(() => parseIdxLabels(idx(2051, [1, 1, 1], new Uint8Array(1)), 'y-labels.gz')).toThrow(/y-labels\.gz .*not an IDX label file/)
  })

  it('refuses files whose size contradicts their header', () => {
    expect(() => parseIdxImages(idx(2051, [2, 28, 28], new Uint8Array(784)), 'f')).toThrow(/declares 2 images of 28×28.*holds/)
    expect(() => parseIdxLabels(idx(2049, [5], new Uint8Array(4)), 'f')).toThrow(/declares 5 labels/)
    expect(() => parseIdxImages(new Uint8Array(3), 'f')).toThrow(/shorter than an IDX header/)
    expect(() => parseIdxImages(idx(2051, [1], new Uint8Array(0)), 'f')).toThrow(/8 bytes long, shorter than an IDX header \(16\)/)
  })

  it('refuses image and label files that disagree, and labels outside 0–9', async () => {
    const other = await mkdtemp(join(tmpdir(), 'fashion-mnist-bad-'))
    try {
      await writeSplit('train', idx(2051, [2, 28, 28], syntheticImages(2)), idx(2049, [3], new Uint8Array(3)), other)
      await expect(loadFashionMnist('train', other)).rejects.toThrow(/3 labels but .* has 2 images/)
      await writeSplit('train', idx(2051, [1, 28, 28], syntheticImages(1)), idx(2049, [1], Uint8Array.from([10])), other)
      await expect(loadFashionMnist('train', other)).rejects.toThrow(/label 0 is 10/)
      await writeSplit('train', idx(2051, [1, 14, 14], new Uint8Array(196)), idx(2049, [1], new Uint8Array(1)), other)
      await expect(loadFashionMnist('train', other)).rejects.toThrow(/14×14 images/)
      await writeFile(join(other, 'train-images-idx3-ubyte.gz'), 'not gzip')
      await expect(loadFashionMnist('train', other)).rejects.toThrow(/cannot decompress .*train-images-idx3-ubyte\.gz/)
    } finally {
      await rm(other, { recursive: true, force: true })
    }
  })

  it('says which file is missing and how to get it', async () => {
    await expect(loadFashionMnist('train', join(dir, 'nowhere'))).rejects.toThrow(/nowhere\/train-images-idx3-ubyte\.gz: .*dataset-fashion-mnist/)
  })
})

describe('model images from Fashion-MNIST', () => {
  const source = { images: syntheticImages(3), count: 3, rows: 28, cols: 28 }

  it('pads 28×28 to 32×32 on a black (−1) border, grey in all three channels, in [−1, 1]', () => {
    const x = toModelImages(source, { indices: [2] })
    expect(x.length).toBe(32 * 32 * 3)
    const at = (y: number, c: number, ch = 0): number => x[(y * 32 + c) * 3 + ch]
    expect(at(0, 0)).toBe(-1)
    expect(at(1, 20)).toBe(-1)
    expect(at(20, 31)).toBe(-1)
    for (const [y, c] of [[0, 0], [5, 7], [27, 27]]) {
      const expected = ((2 + y + c) % 256) / 127.5 - 1
      for (const ch of [0, 1, 2]) expect(at(y + 2, c + 2, ch)).toBeCloseTo(expected, 6)
    }
    expect(Math.min(...x)).toBeGreaterThanOrEqual(-1)
    expect(Math.max(...x)).toBeLessThanOrEqual(1)
  })

  it('converts all images in order by default', () => {
    const all = toModelImages(source)
    expect(all.length).toBe(3 * 32 * 32 * 3)
    expect(all.subarray(2 * 3072, 3 * 3072)).toEqual(toModelImages(source, { indices: [2] }))
  })

  it('shrinks below 28 with an area filter (14×14: the mean of each 2×2 block)', () => {
    const x = toModelImages(source, { resolution: 14, indices: [0] })
    const px = (y: number, c: number): number => source.images[y * 28 + c]
    const mean = (px(6, 8) + px(6, 9) + px(7, 8) + px(7, 9)) / 4
    expect(x[(3 * 14 + 4) * 3]).toBeCloseTo(mean / 127.5 - 1, 5)
  })

  it('refuses an index outside the set', () => {
    expect(() => toModelImages(source, { indices: [3] })).toThrow(/index 3 is outside 0…2/)
  })
})
