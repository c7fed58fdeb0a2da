// Every file of an image folder that training does not use is named with its own reason: the files the loader does
// not try to read (not images by name, links, special files) as `ignored`, the images it could not use as `failed`.
import { execFileSync } from 'node:child_process'
import { mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadImageFolder } from '../../main/data/dataset'
import { systemReason } from '../../main/data/errors'
import { nameOf, pathOfRelPath } from '../../main/data/names'
import { readImageBytes } from '../../main/data/read'
import { scanImageFolder } from '../../main/data/scan'
import { animatedGif, badCrcPng, put, solid, svg, tiff } from './images'

const posix = process.platform !== 'win32'
let root: string

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'biggan-unused-'))
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

/** A folder holding `ok.png` and whatever `make` puts beside it. */
async function folderWith(name: string, make: (dir: string) => Promise<void>): Promise<string> {
  const dir = join(root, name)
  await put(join(dir, 'ok.png'), await solid(8, 8, [1, 200, 3], 'png'))
  await make(dir)
  return dir
}

const load = (dir: string) => loadImageFolder(dir, { resolution: 8, seed: 0, cacheDir: join(root, 'cache') })

describe('files an image folder holds but training does not read', () => {
  it('names images of other types with what they are and how to make them usable', async () => {
    const dir = await folderWith('types', async (d) => {
      await put(join(d, 'drawing.svg'), svg)
      await put(join(d, 'scan.tiff'), await tiff())
      await put(join(d, 'moving.gif'), await animatedGif())
      await put(join(d, 'notes.txt'), 'not an image')
    })
    const scan = await scanImageFolder(dir)
    expect(scan.files.map((f) => f.relPath)).toEqual(['ok.png'])
    expect(scan.ignored).toEqual([
      { relPath: 'drawing.svg', reason: 'an SVG drawing: only JPEG, PNG and WebP images are read; export it as PNG or JPEG to train on it' },
      { relPath: 'moving.gif', reason: 'a GIF: only JPEG, PNG and WebP images are read; export it as PNG or JPEG to train on it' },
      { relPath: 'notes.txt', reason: 'not an image: only .jpg, .jpeg, .png and .webp files are read' },
      { relPath: 'scan.tiff', reason: 'a TIFF image: only JPEG, PNG and WebP images are read; export it as PNG or JPEG to train on it' },
    ])
  })

  it.skipIf(!posix)('names links (to a device, in a loop, to a file) and named pipes, and follows none of them', async () => {
    const dir = await folderWith('special', async (d) => {
      await symlink('/dev/zero', join(d, 'zero.jpg'))
      await symlink(join(d, 'loop-b.png'), join(d, 'loop-a.png'))
      await symlink(join(d, 'loop-a.png'), join(d, 'loop-b.png'))
      await symlink(join(d, 'ok.png'), join(d, 'again.png'))
      await symlink(join(d, 'gone.png'), join(d, 'broken.png'))
      execFileSync('mkfifo', [join(d, 'pipe.jpg')])
    })
    const scan = await scanImageFolder(dir)
    expect(scan.files.map((f) => f.relPath)).toEqual(['ok.png'])
    const follow = 'links are not followed, so nothing outside the folder is read'
    expect(scan.ignored).toEqual([
      { relPath: 'again.png', reason: `a symbolic link to the file ${join(dir, 'ok.png')}: ${follow}; put a copy of the file itself here to train on it` },
      { relPath: 'broken.png', reason: `a broken symbolic link (to ${join(dir, 'gone.png')}, which does not exist): ${follow}; remove it` },
      { relPath: 'loop-a.png', reason: `a symbolic link in a loop (to ${join(dir, 'loop-b.png')}, which leads back to it): ${follow}; remove it` },
      { relPath: 'loop-b.png', reason: `a symbolic link in a loop (to ${join(dir, 'loop-a.png')}, which leads back to it): ${follow}; remove it` },
      { relPath: 'pipe.jpg', reason: 'a named pipe (FIFO), not a regular file: only regular files are read' },
      { relPath: 'zero.jpg', reason: `a symbolic link to a device (/dev/zero): ${follow}; remove it` },
    ])
    const ds = await load(dir)
    expect(ds.train.relPaths).toEqual(['ok.png'])
    expect(ds.failed).toEqual([])
    expect(ds.ignored).toEqual(scan.ignored)
  })

  it('names each image lying beside the class folders', async () => {
    const dir = await folderWith('beside', async (d) => {
      await put(join(d, 'cats', 'a.png'), await solid(8, 8, [200, 0, 0], 'png'))
      await put(join(d, 'z.webp'), await solid(8, 8, [0, 0, 200], 'webp'))
    })
    const scan = await scanImageFolder(dir)
    const reason = 'lies beside the class folders, so it belongs to no class: move it into a class folder to train on it'
    expect(scan.ignored).toEqual([
      { relPath: 'ok.png', reason },
      { relPath: 'z.webp', reason },
    ])
  })

  it('says which files it ignored when a folder holds no image it reads', async () => {
    const dir = join(root, 'tiffs')
    await put(join(dir, 'scan.tiff'), await tiff())
    await expect(load(dir)).rejects.toMatchObject({
      code: 'no-images',
      message: expect.stringMatching(/found no image files \(1 other file\(s\) ignored\); first: scan\.tiff, a TIFF image: only JPEG, PNG and WebP/),
    })
  })
})

describe('file names that are not UTF-8', () => {
  // macOS and Windows refuse such names; Linux file systems keep any bytes
  it.skipIf(process.platform !== 'linux')('reads the file by its bytes and names it with the odd bytes as \\xNN', async () => {
    const dir = await folderWith('latin1', async (d) => {
      const name = Buffer.concat([Buffer.from(`${d}/caf`), Buffer.from([0xe9]), Buffer.from('.png')])
      await writeFile(name, await solid(8, 8, [9, 9, 200], 'png'))
    })
    const ds = await load(dir)
    expect(ds.warnings.join('\n')).not.toMatch(/ENOENT|cannot stat/)
    expect(ds.failed).toEqual([])
    expect([...ds.train.relPaths, ...ds.heldOut.relPaths].sort()).toEqual(['caf\\xE9.png', 'ok.png'])
    // and the relPath finds the file again (the copying check's thumbnails read training images by relPath)
    const found = await pathOfRelPath(dir, 'caf\\xE9.png')
    expect((await readImageBytes(found)).ok).toBe(true)
  })

  it('writes only the bytes that are not UTF-8 as \\xNN', () => {
    expect(nameOf(Buffer.from('été.png'))).toBe('été.png')
    expect(nameOf(Buffer.from([0xc3, 0xa9, 0xff, 0x41, 0xe2, 0x82]))).toBe('é\\xFFA\\xE2\\x82')
  })
})

describe('images that cannot be used', () => {
  it('says what is wrong with a damaged or mislabelled image and what to do, for each file on its own', async () => {
    const dir = await folderWith('damaged', async (d) => {
      await put(join(d, 'header.png'), await badCrcPng('IHDR'))
      await put(join(d, 'pixels.png'), await badCrcPng('IDAT'))
      const png = await solid(8, 8, [0, 200, 0], 'png')
      await put(join(d, 'short.png'), png.subarray(0, png.length - 20))
      await put(join(d, 'tiff.png'), await tiff())
      await put(join(d, 'moving.png'), await animatedGif())
    })
    const ds = await load(dir)
    expect(ds.failed).toEqual([
      { relPath: 'header.png', reason: "cannot decode: the PNG's data is damaged (bad CRC in its IHDR chunk): re-export the file" },
      {
        relPath: 'moving.png',
        reason: 'cannot decode: the file holds an animated GIF (2 frames), not a JPEG, PNG or WebP image: export it as PNG or JPEG',
      },
      { relPath: 'pixels.png', reason: "cannot decode: the PNG's data is damaged (bad CRC in its IDAT chunk): re-export the file" },
      {
        relPath: 'short.png',
        reason: 'cannot decode: the PNG is cut short (it ends inside its IDAT chunk): the file was not saved or copied completely; copy or export it again',
      },
      { relPath: 'tiff.png', reason: 'cannot decode: the file holds a TIFF image, not a JPEG, PNG or WebP image: export it as PNG or JPEG' },
    ])
  })
})

describe('file-system errors name the path once', () => {
  it('words a system error without the path Node appends', async () => {
    const missing = join(root, 'no-such-folder')
    const e = await readdir(missing).catch((err: unknown) => err)
    expect(systemReason(e)).toBe('no such file or directory (ENOENT)')
    expect(systemReason(new Error('plain'))).toBe('plain')
  })

  it('a folder path under a file is refused with that path once', async () => {
    const file = join(root, 'a-file.txt')
    await writeFile(file, 'x')
    const under = join(file, 'images')
    const message = await scanImageFolder(under).then(() => '', (err: Error) => err.message)
    expect(message).toMatch(/not a directory \(ENOTDIR\)/)
    expect(message.split(under).length - 1).toBe(1)
  })
})
