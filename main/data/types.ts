// What the image-folder loader hands to training: decoded pixels, already cropped and resized, split into a
// training part and a held-out part that training never sees (for the memorisation signals), with what the folder
// held besides (failures, counts, its content hash, the decode cache).
import type { ImageFolder } from '../engine/images.ts'

export interface ClassCount {
  name: string
  train: number
  heldOut: number
  failed: number
}

/** A file of the folder that training does not use, and why, in words that say what to do about it. */
export interface SkippedFile {
  relPath: string
  reason: string
}

export interface ImageDataset extends ImageFolder {
  resolution: number
  /** images that could not be used (regular files with an image extension); training goes on without them */
  failed: SkippedFile[]
  /** per class, in class-index order */
  counts: ClassCount[]
  /** files not read at all: not images by extension, links, special files, root images beside class folders */
  ignored: SkippedFile[]
  /** sha256 over the sorted (relPath, sha256 of file bytes) of every usable image, for run provenance */
  contentHash: string
  /** things the user should know that did not stop the load (small held-out split, unwritable cache, …) */
  warnings: string[]
  cache: { dir: string; hits: number; decoded: number }
}
