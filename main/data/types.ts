// What the image-folder loader hands to training: decoded pixels, already cropped and resized, split into a
// training part and a held-out part that training never sees (for the memorisation signals).

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

export interface ImageDataset {
  /** absolute, symlinks resolved */
  dir: string
  resolution: number
  /** class names, index = label */
  classes: string[]
  train: ImageSplit
  heldOut: ImageSplit
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
