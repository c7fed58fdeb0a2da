import { mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DecodeCache } from '../../main/data/cache'
import { loadImageFolder, type LoadProgress } from '../../main/data/dataset'
import { DatasetError } from '../../main/data/errors'
import { scanImageFolder } from '../../main/data/scan'
import { greyPng, noise, put, redBlueRed, solid, transparentPng } from './images'

const R = 16
let root: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'biggan-data-'))
  // classes/: one folder per class, with every kind of file a real folder collects
  const c = join(root, 'classes')
  await put(join(c, 'cats', 'a.png'), await solid(40, 30, [250, 0, 0], 'png'))
  await put(join(c, 'cats', 'b.JPG'), await solid(30, 40, [0, 250, 0], 'jpeg'))
  await put(join(c, 'cats', 'deep', 'er', 'c.webp'), await solid(33, 33, [0, 0, 250], 'webp'))
  await put(join(c, 'cats', 'grey.png'), await greyPng(90))
  await put(join(c, 'cats', 'clear.png'), await transparentPng())
  await put(join(c, 'cats', 'big.jpeg'), await solid(4000, 3000, [10, 120, 240], 'jpeg'))
  await put(join(c, 'cats', 'bad.jpg'), noise(3000))
  await put(join(c, 'cats', 'empty.png'), '')
  await put(join(c, 'cats', 'notes.txt'), 'not an image')
  await put(join(c, 'cats', '.hidden.png'), await solid(8, 8, [1, 2, 3], 'png'))
  await put(join(c, 'dogs', 'wide.png'), await redBlueRed(30))
  await put(join(c, 'dogs', 'd.webp'), await solid(20, 20, [128, 128, 0], 'webp'))
  await put(join(c, 'dogs', 'e.png'), await solid(20, 20, [0, 128, 128], 'png'))
  await put(join(c, 'docs', 'readme.txt'), 'no images here, so no class')
  await put(join(c, '.git', 'x.png'), await solid(8, 8, [9, 9, 9], 'png'))
  await put(join(c, 'stray.png'), await solid(8, 8, [5, 5, 5], 'png'))

  // flat/: the whole folder is one class
  const f = join(root, 'flat')
  for (let i = 0; i < 4; i++) await put(join(f, `img${i}.png`), await solid(24, 24, [i * 60, 10, 10], 'png'))
  await put(join(f, 'sub', 'notes.txt'), 'text only')
  await put(join(root, 'outside.png'), await solid(8, 8, [7, 7, 7], 'png'))
  await symlink(join(root, 'outside.png'), join(f, 'link.png'))

  // many/: enough images for a full held-out split, two classes 30 + 10
  for (let i = 0; i < 40; i++) {
    const cls = i < 30 ? 'big' : 'small'
    await put(join(root, 'many', cls, `${i}.png`), await solid(8, 8, [i * 6, 255 - i * 6, i], 'png'))
  }

  await put(join(root, 'bad', 'x.jpg'), noise(2000))
  await put(join(root, 'bad', 'y.png'), '')
  await put(join(root, 'bad', 'z.txt'), 'text')
  await put(join(root, 'none', 'a.txt'), 'text')
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('scanning an image folder', () => {
  it('makes each top-level subfolder with images a class, sorted, and ignores root images beside them', async () => {
    const scan = await scanImageFolder(join(root, 'classes'))
    expect(scan.classes).toEqual(['cats', 'dogs'])
    expect(scan.files.map((f) => [f.relPath, f.classIndex])).toEqual([
      ['cats/a.png', 0],
      ['cats/b.JPG', 0],
      ['cats/bad.jpg', 0],
      ['cats/big.jpeg', 0],
      ['cats/clear.png', 0],
      ['cats/deep/er/c.webp', 0],
      ['cats/empty.png', 0],
      ['cats/grey.png', 0],
      ['dogs/d.webp', 1],
      ['dogs/e.png', 1],
      ['dogs/wide.png', 1],
    ])
    expect(scan.ignored).toEqual([
      { relPath: 'cats/notes.txt', reason: expect.stringMatching(/^not an image: only \.jpg, \.jpeg, \.png and \.webp files are read$/) },
      { relPath: 'docs/readme.txt', reason: expect.stringMatching(/^not an image/) },
      { relPath: 'stray.png', reason: expect.stringMatching(/^lies beside the class folders/) },
    ])
    expect(scan.warnings).toEqual([expect.stringMatching(/1 image\(s\) lie directly in .* \(first: stray\.png\)/)])
    const a = scan.files[0]
    expect(a.size).toBe((await stat(a.path)).size)
  })

  it('makes a folder without image subfolders one class, named after it, and follows no symlinks', async () => {
    const scan = await scanImageFolder(join(root, 'flat'))
    expect(scan.classes).toEqual(['flat'])
    expect(scan.files.map((f) => f.relPath)).toEqual(['img0.png', 'img1.png', 'img2.png', 'img3.png'])
    expect(scan.files.every((f) => f.classIndex === 0)).toBe(true)
    expect(scan.ignored).toEqual([
      { relPath: 'link.png', reason: expect.stringMatching(/^a symbolic link to the file .*outside\.png: links are not followed/) },
      { relPath: 'sub/notes.txt', reason: expect.stringMatching(/^not an image/) },
    ])
  })

  it('says when the folder is missing or is a file', async () => {
    await expect(scanImageFolder(join(root, 'nope'))).rejects.toMatchObject({ code: 'not-found' })
    await expect(scanImageFolder(join(root, 'outside.png'))).rejects.toMatchObject({ code: 'not-a-folder' })
  })
})

describe('loading an image folder', () => {
  it('decodes what it can, lists what it cannot with the reason, and labels by class', async () => {
    const progress: LoadProgress[] = []
    const ds = await loadImageFolder(join(root, 'classes'), {
      resolution: R,
      seed: 1,
      cacheDir: join(root, 'cache-classes'),
      onProgress: (p) => progress.push(p),
    })
    expect(ds.classes).toEqual(['cats', 'dogs'])
    expect(ds.failed).toEqual([
      { relPath: 'cats/bad.jpg', reason: expect.stringMatching(/^cannot decode: /) },
      { relPath: 'cats/empty.png', reason: 'empty file (0 bytes): copy or export it again' },
    ])
    // 9 usable: floor(9/3) = 3 held out, with a warning that it is fewer than 10
    expect(ds.train.count + ds.heldOut.count).toBe(9)
    expect(ds.heldOut.count).toBe(3)
    expect(ds.warnings).toContainEqual(expect.stringMatching(/holding out 3 instead of 10/))
    expect(ds.warnings).toContainEqual(expect.stringMatching(/stray\.png/))
    expect(ds.train.pixels.length).toBe(ds.train.count * R * R * 3)
    expect(ds.heldOut.pixels.length).toBe(3 * R * R * 3)
    expect(ds.counts).toEqual([
      { name: 'cats', train: expect.any(Number), heldOut: expect.any(Number), failed: 2 },
      { name: 'dogs', train: expect.any(Number), heldOut: expect.any(Number), failed: 0 },
    ])
    expect(ds.counts[0].train + ds.counts[0].heldOut).toBe(6)
    const all = [...ds.train.relPaths, ...ds.heldOut.relPaths]
    const labels = [...ds.train.labels, ...ds.heldOut.labels]
    all.forEach((p, i) => expect(labels[i]).toBe(p.startsWith('dogs/') ? 1 : 0))
    expect(ds.contentHash).toMatch(/^[0-9a-f]{64}$/)
    expect(progress.length).toBe(11)
    expect(progress.at(-1)).toMatchObject({ done: 11, total: 11 })
    expect(progress.filter((p) => p.outcome === 'failed').length).toBe(2)
  })

  it('puts the centre crop of a wide image, not its squashed whole, into the dataset', async () => {
    const ds = await loadImageFolder(join(root, 'classes'), {
      resolution: R,
      seed: 1,
      cacheDir: join(root, 'cache-classes'),
      heldOut: { fraction: 0, min: 0, max: 0 },
    })
    const k = ds.train.relPaths.indexOf('dogs/wide.png')
    const img = ds.train.pixels.subarray(k * R * R * 3, (k + 1) * R * R * 3)
    let red = 0
    let blue = 0
    for (let i = 0; i < img.length; i += 3) {
      red += img[i]
      blue += img[i + 2]
    }
    expect(blue / (R * R)).toBeGreaterThan(200)
    expect(red / (R * R)).toBeLessThan(50)
  })

  it('reads decoded images from the cache on the second load, and rebuilds a corrupt entry', async () => {
    const dir = join(root, 'flat')
    const cacheDir = join(root, 'cache-flat')
    const first = await loadImageFolder(dir, { resolution: R, seed: 2, cacheDir })
    expect(first.cache).toMatchObject({ hits: 0, decoded: 4 })

    const cache = new DecodeCache(cacheDir, R)
    const hash = createHash('sha256').update(await readFile(join(dir, 'img0.png'))).digest('hex')
    const entry = cache.entryPath(hash)
    expect((await stat(entry)).size).toBeGreaterThan(R * R * 3)

    const second = await loadImageFolder(dir, { resolution: R, seed: 2, cacheDir })
    expect(second.cache).toMatchObject({ hits: 4, decoded: 0 })
    expect(second.train.pixels).toEqual(first.train.pixels)
    expect(second.heldOut.pixels).toEqual(first.heldOut.pixels)
    expect(second.contentHash).toBe(first.contentHash)

    const bytes = await readFile(entry)
    bytes[bytes.length - 1] ^= 0xff
    await writeFile(entry, bytes)
    const third = await loadImageFolder(dir, { resolution: R, seed: 2, cacheDir })
    expect(third.cache).toMatchObject({ hits: 3, decoded: 1 })
    expect(third.train.pixels).toEqual(first.train.pixels)
    expect(await cache.get(hash)).not.toBeNull()

    const otherSize = await loadImageFolder(dir, { resolution: 8, seed: 2, cacheDir })
    expect(otherSize.cache).toMatchObject({ hits: 0, decoded: 4 })
  })

  it('keeps the cache under the folder by default, hidden from the scan', async () => {
    const dir = join(root, 'flat')
    const ds = await loadImageFolder(dir, { resolution: 8, seed: 0 })
    expect(ds.cache.dir.startsWith(join(ds.dir, '.biggan-cache'))).toBe(true)
    expect((await loadImageFolder(dir, { resolution: 8, seed: 0 })).cache.hits).toBe(4)
  })

  it('still loads when the cache cannot be written, and says so', async () => {
    const ds = await loadImageFolder(join(root, 'flat'), {
      resolution: R,
      seed: 0,
      cacheDir: join(root, 'outside.png'),
    })
    expect(ds.train.count + ds.heldOut.count).toBe(4)
    expect(ds.warnings).toContainEqual(expect.stringMatching(/could not be cached/))
  })

  it('holds out 10 images stratified per class, the same ones for the same seed', async () => {
    const dir = join(root, 'many')
    const load = (seed: number) => loadImageFolder(dir, { resolution: 8, seed, cacheDir: join(root, 'cache-many') })
    const a = await load(4)
    expect(a.heldOut.count).toBe(10)
    expect(a.train.count).toBe(30)
    expect(a.counts).toEqual([
      { name: 'big', train: 22, heldOut: 8, failed: 0 },
      { name: 'small', train: 8, heldOut: 2, failed: 0 },
    ])
    expect(a.warnings).toEqual([])
    expect((await load(4)).heldOut.relPaths).toEqual(a.heldOut.relPaths)
    expect((await load(5)).heldOut.relPaths).not.toEqual(a.heldOut.relPaths)
    const overlap = a.train.relPaths.filter((p) => a.heldOut.relPaths.includes(p))
    expect(overlap).toEqual([])
  })

  it('fails clearly when no image is usable, when there are none, and when cancelled', async () => {
    const bad = loadImageFolder(join(root, 'bad'), { resolution: R, seed: 0, cacheDir: join(root, 'cache-bad') })
    await expect(bad).rejects.toBeInstanceOf(DatasetError)
    await expect(bad).rejects.toMatchObject({
      code: 'no-usable-images',
      message: expect.stringMatching(
        /^no usable images in .*bad: 2 file\(s\) failed to decode \(first: x\.jpg: cannot decode: .*\); supported: JPEG, PNG, WebP/,
      ),
    })
    await expect(loadImageFolder(join(root, 'none'), { resolution: R, seed: 0 })).rejects.toMatchObject({
      code: 'no-images',
      message: expect.stringMatching(/no images in .*none: found no image files \(1 other file\(s\) ignored\)/),
    })
    const controller = new AbortController()
    controller.abort()
    await expect(
      loadImageFolder(join(root, 'flat'), { resolution: R, seed: 0, signal: controller.signal }),
    ).rejects.toMatchObject({ code: 'cancelled' })
  })

  it.skipIf(process.platform === 'win32')('skips a FIFO named like an image instead of waiting on it', async () => {
    const dir = join(root, 'odd')
    await put(join(dir, 'ok.png'), await solid(8, 8, [1, 200, 3], 'png'))
    execFileSync('mkfifo', [join(dir, 'pipe.jpg')])
    const ds = await loadImageFolder(dir, { resolution: 8, seed: 0, cacheDir: join(root, 'cache-odd') })
    expect(ds.train.relPaths).toEqual(['ok.png'])
    expect(ds.ignored).toEqual([{ relPath: 'pipe.jpg', reason: expect.stringMatching(/^a named pipe \(FIFO\), not a regular file/) }])
  })

  it('refuses nonsense options before touching the folder', async () => {
    await expect(loadImageFolder(join(root, 'nope'), { resolution: 0, seed: 0 })).rejects.toMatchObject({
      code: 'bad-option',
      message: expect.stringMatching(/resolution/),
    })
    await expect(
      loadImageFolder(join(root, 'flat'), { resolution: 8, seed: 0, heldOut: { min: 20, max: 10 } }),
    ).rejects.toMatchObject({ code: 'bad-option' })
  })
})
