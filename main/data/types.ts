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

export interface FailedImage {
  relPath: string
  reason: string
}

export interface ImageDataset extends ImageFolder {
  resolution: number
  /** files with an image extension that could not be used, with the reason; training goes on without them */
  failed: FailedImage[]
  /** per class, in class-index order */
  counts: ClassCount[]
  /** files that are not images by extension, or symlinks, or root images beside class folders */
  ignored: number
  /** sha256 over the sorted (relPath, sha256 of file bytes) of every usable image, for run provenance */
  contentHash: string
  /** things the user should know that did not stop the load (small held-out split, unwritable cache, …) */
  warnings: string[]
  cache: { dir: string; hits: number; decoded: number }
}
