// Finds the training images in a folder and decides their classes.
//
// Class rule: if any top-level subfolder holds an image (at any depth), each such subfolder is one class, named
// after it, indexed in sorted order; images lying directly in the root beside class folders are then ignored
// (each listed, and summed up in a warning) because they belong to no class. Otherwise the whole folder is one class,
// named after the folder.
//
// Hidden files and folders (leading '.') are skipped silently: that covers .DS_Store, .git and our own
// .biggan-cache. Every other file that is not used is listed in `ignored` with its reason: other types, special files
// (a FIFO named cat.jpg), and symbolic links, which are never followed, so nothing outside the folder is read and no
// link can form a cycle. Names are read as bytes (names.ts). Sorting is by UTF-16 code unit, not locale, so class
// indices are the same on every machine.

import type { Dirent, Stats } from 'node:fs'
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { DatasetError, systemReason } from './errors'
import { otherImageByName } from './formats'
import { childPath, nameOf, openable } from './names'
import type { SkippedFile } from './types'

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp'] as const

/** Deeper folders than this are skipped with a warning: no real dataset nests so far, a hostile tree might. */
const MAX_DEPTH = 32

const NOT_FOLLOWED = 'links are not followed, so nothing outside the folder is read'

export interface ScannedFile {
  /** absolute; the bytes themselves where a name in it is not UTF-8 */
  path: string | Buffer
  /** relative to the scanned folder, '/'-separated on every platform (names as names.ts writes them) */
  relPath: string
  classIndex: number
  /** bytes */
  size: number
}

export interface FolderScan {
  /** absolute, symlinks resolved */
  dir: string
  classes: string[]
  /** sorted by relPath */
  files: ScannedFile[]
  /** every other file, with why it is not used: not images by name, links, special files, root images beside class
   *  folders; sorted by relPath */
  ignored: SkippedFile[]
  warnings: string[]
}

interface Found {
  path: string | Buffer
  relPath: string
  size: number
}

interface Walk {
  ignored: SkippedFile[]
  warnings: string[]
}

/** A folder's entry: its name as text (names.ts), its path as bytes. */
interface Entry {
  name: string
  path: Buffer
  dirent: Dirent<Buffer>
}

export function isImageName(name: string): boolean {
  const lower = name.toLowerCase()
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext))
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export async function scanImageFolder(folder: string): Promise<FolderScan> {
  const dir = await resolveRoot(folder)
  const walk: Walk = { ignored: [], warnings: [] }

  let entries
  try {
    entries = await list(Buffer.from(dir))
  } catch (e) {
    throw new DatasetError(`cannot read the image folder ${dir}: ${systemReason(e)}`, 'unreadable')
  }

  const rootImages: Found[] = []
  const classFolders: { name: string; images: Found[] }[] = []
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue
    if (entry.dirent.isDirectory()) {
      const images: Found[] = []
      await collect(entry.path, entry.name, 1, images, walk)
      if (images.length > 0) classFolders.push({ name: entry.name, images })
    } else {
      const found = await examine(entry, entry.name, walk)
      if (found) rootImages.push(found)
    }
  }

  if (classFolders.length === 0) {
    return { dir, classes: [basename(dir)], files: rootImages.map((f) => ({ ...f, classIndex: 0 })), ...done(walk) }
  }

  if (rootImages.length > 0) {
    for (const f of rootImages) {
      walk.ignored.push({
        relPath: f.relPath,
        reason: 'lies beside the class folders, so it belongs to no class: move it into a class folder to train on it',
      })
    }
    walk.warnings.push(
      `${rootImages.length} image(s) lie directly in ${dir} beside class folders and belong to no class, so they ` +
        `are not used (first: ${rootImages[0].relPath}); move them into a class folder to train on them`,
    )
  }
  const files: ScannedFile[] = []
  classFolders.forEach((c, classIndex) => {
    for (const f of c.images) files.push({ ...f, classIndex })
  })
  files.sort((a, b) => byCodeUnit(a.relPath, b.relPath))
  return { dir, classes: classFolders.map((c) => c.name), files, ...done(walk) }
}

function done(walk: Walk): Pick<FolderScan, 'ignored' | 'warnings'> {
  return { ignored: walk.ignored.sort((a, b) => byCodeUnit(a.relPath, b.relPath)), warnings: walk.warnings }
}

async function resolveRoot(folder: string): Promise<string> {
  let dir: string
  try {
    // The root itself may be a link (a user's "Pictures" alias); only links inside it are refused.
    dir = await realpath(folder)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new DatasetError(`image folder not found: ${folder}`, 'not-found')
    throw new DatasetError(`cannot open the image folder ${folder}: ${systemReason(e)}`, 'unreadable')
  }
  if (!(await stat(dir)).isDirectory()) {
    throw new DatasetError(`${folder} is a file, not a folder: choose the folder that holds the images`, 'not-a-folder')
  }
  return dir
}

async function list(dirPath: Buffer): Promise<Entry[]> {
  const dirents = await readdir(dirPath, { withFileTypes: true, encoding: 'buffer' })
  return dirents
    .map((dirent) => ({ name: nameOf(dirent.name), path: childPath(dirPath, dirent.name), dirent }))
    .sort((a, b) => byCodeUnit(a.name, b.name))
}

async function collect(dirPath: Buffer, rel: string, depth: number, out: Found[], walk: Walk): Promise<void> {
  if (depth > MAX_DEPTH) {
    walk.warnings.push(`folder ${rel} is nested more than ${MAX_DEPTH} levels deep: skipped`)
    return
  }
  let entries
  try {
    entries = await list(dirPath)
  } catch (e) {
    walk.warnings.push(`cannot read folder ${rel}: ${systemReason(e)}; skipped`)
    return
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue
    const relPath = `${rel}/${entry.name}`
    if (entry.dirent.isDirectory()) await collect(entry.path, relPath, depth + 1, out, walk)
    else {
      const found = await examine(entry, relPath, walk)
      if (found) out.push(found)
    }
  }
}

/** A file that is no folder: an image to read, or an ignored file with its reason. */
async function examine(entry: Entry, relPath: string, walk: Walk): Promise<Found | null> {
  const ignore = (reason: string): null => {
    walk.ignored.push({ relPath, reason })
    return null
  }
  if (entry.dirent.isSymbolicLink()) return ignore(await linkReason(entry.path))
  if (!entry.dirent.isFile()) return ignore(`${kindOf(entry.dirent)}, not a regular file: only regular files are read`)
  if (!isImageName(entry.name)) return ignore(typeReason(entry.name))
  let s: Stats
  try {
    s = await lstat(entry.path)
  } catch (e) {
    return ignore(`could not be examined (${systemReason(e)}): it may have been moved while the folder was read; scan again`)
  }
  if (!s.isFile()) return ignore(`${kindOf(s)}, not a regular file: only regular files are read`)
  return { path: openable(entry.path), relPath, size: s.size }
}

function typeReason(name: string): string {
  const what = otherImageByName(name)
  if (what) return `${what}: only JPEG, PNG and WebP images are read; export it as PNG or JPEG to train on it`
  return `not an image: only ${IMAGE_EXTENSIONS.slice(0, -1).join(', ')} and ${IMAGE_EXTENSIONS.at(-1)} files are read`
}

/** What a special file is, for "…, not a regular file". */
function kindOf(s: Pick<Stats, 'isFIFO' | 'isSocket' | 'isBlockDevice' | 'isCharacterDevice' | 'isDirectory'>): string {
  if (s.isFIFO()) return 'a named pipe (FIFO)'
  if (s.isSocket()) return 'a socket'
  if (s.isBlockDevice() || s.isCharacterDevice()) return 'a device'
  if (s.isDirectory()) return 'a folder'
  return 'something else'
}

/** Why a link is not used: where it points and what is there (found with stat, which reads no file's content). */
async function linkReason(path: Buffer): Promise<string> {
  const target = await readlink(path, { encoding: 'buffer' }).then(nameOf, () => '?')
  let s: Stats
  try {
    s = await stat(path)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ELOOP') return `a symbolic link in a loop (to ${target}, which leads back to it): ${NOT_FOLLOWED}; remove it`
    if (code === 'ENOENT') return `a broken symbolic link (to ${target}, which does not exist): ${NOT_FOLLOWED}; remove it`
    return `a symbolic link to ${target}: ${NOT_FOLLOWED}`
  }
  if (s.isFile()) return `a symbolic link to the file ${target}: ${NOT_FOLLOWED}; put a copy of the file itself here to train on it`
  if (s.isDirectory()) {
    return `a symbolic link to the folder ${target}: ${NOT_FOLLOWED}; put a copy of the folder itself here to train on its images`
  }
  return `a symbolic link to ${kindOf(s)} (${target}): ${NOT_FOLLOWED}; remove it`
}
