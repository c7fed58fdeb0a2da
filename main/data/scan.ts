// Finds the training images in a folder and decides their classes.
//
// Class rule: if any top-level subfolder holds an image (at any depth), each such subfolder is one class, named
// after it, indexed in sorted order; images lying directly in the root beside class folders are then ignored
// (counted, and named in a warning) because they belong to no class. Otherwise the whole folder is one class,
// named after the folder.
//
// Hidden files and folders (leading '.') are skipped silently: that covers .DS_Store, .git and our own
// .biggan-cache. Symbolic links are never followed, so nothing outside the folder is read and no link can form
// a cycle; they are counted as ignored. Sorting is by UTF-16 code unit, not locale, so class indices are the
// same on every machine.

import { lstat, readdir, realpath, stat } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { DatasetError } from './errors'

export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.webp'] as const

/** Deeper folders than this are skipped with a warning: no real dataset nests so far, a hostile tree might. */
const MAX_DEPTH = 32

export interface ScannedFile {
  /** absolute path */
  path: string
  /** relative to the scanned folder, '/'-separated on every platform */
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
  /** non-image files, symlinks, special files, and root images beside class folders */
  ignored: number
  warnings: string[]
}

interface Found {
  path: string
  relPath: string
  size: number
}

interface Walk {
  ignored: number
  warnings: string[]
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
  const walk: Walk = { ignored: 0, warnings: [] }

  let entries
  try {
    entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => byCodeUnit(a.name, b.name))
  } catch (e) {
    throw new DatasetError(`cannot read the image folder ${dir}: ${(e as Error).message}`, 'unreadable')
  }

  const rootImages: Found[] = []
  const classFolders: { name: string; images: Found[] }[] = []
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      const images: Found[] = []
      await collect(path, entry.name, 1, images, walk)
      if (images.length > 0) classFolders.push({ name: entry.name, images })
    } else if (entry.isFile() && isImageName(entry.name)) {
      const found = await describe(path, entry.name, walk)
      if (found) rootImages.push(found)
    } else {
      walk.ignored++
    }
  }

  if (classFolders.length === 0) {
    return {
      dir,
      classes: [basename(dir)],
      files: rootImages.map((f) => ({ ...f, classIndex: 0 })),
      ignored: walk.ignored,
      warnings: walk.warnings,
    }
  }

  if (rootImages.length > 0) {
    walk.ignored += rootImages.length
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
  return { dir, classes: classFolders.map((c) => c.name), files, ignored: walk.ignored, warnings: walk.warnings }
}

async function resolveRoot(folder: string): Promise<string> {
  let dir: string
  try {
    // The root itself may be a link (a user's "Pictures" alias); only links inside it are refused.
    dir = await realpath(folder)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new DatasetError(`image folder not found: ${folder}`, 'not-found')
    throw new DatasetError(`cannot open the image folder ${folder}: ${(e as Error).message}`, 'unreadable')
  }
  if (!(await stat(dir)).isDirectory()) {
    throw new DatasetError(`${folder} is a file, not a folder: choose the folder that holds the images`, 'not-a-folder')
  }
  return dir
}

async function collect(dirPath: string, rel: string, depth: number, out: Found[], walk: Walk): Promise<void> {
  if (depth > MAX_DEPTH) {
    walk.warnings.push(`folder ${rel} is nested more than ${MAX_DEPTH} levels deep: skipped`)
    return
  }
  let entries
  try {
    entries = (await readdir(dirPath, { withFileTypes: true })).sort((a, b) => byCodeUnit(a.name, b.name))
  } catch (e) {
    walk.warnings.push(`cannot read folder ${rel}: ${(e as Error).message}; skipped`)
    return
  }
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue
    const path = join(dirPath, entry.name)
    const relPath = `${rel}/${entry.name}`
    if (entry.isDirectory()) await collect(path, relPath, depth + 1, out, walk)
    else if (entry.isFile() && isImageName(entry.name)) {
      const found = await describe(path, relPath, walk)
      if (found) out.push(found)
    } else walk.ignored++
  }
}

async function describe(path: string, relPath: string, walk: Walk): Promise<Found | null> {
  try {
    const s = await lstat(path)
    if (!s.isFile()) {
      walk.ignored++
      return null
    }
    return { path, relPath, size: s.size }
  } catch (e) {
    walk.warnings.push(`cannot stat ${relPath}: ${(e as Error).message}; skipped`)
    return null
  }
}
