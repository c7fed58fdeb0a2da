// What kind of image a file is, for the reasons that name it: the image types people keep beside their photos that
// training does not read, by file extension (what the scan sees) and by sharp's name for the content (what the
// decoder sees).

/** By sharp's format name. */
const OTHER_IMAGES: Record<string, { what: string; extensions: string[] }> = {
  gif: { what: 'a GIF', extensions: ['.gif'] },
  tiff: { what: 'a TIFF image', extensions: ['.tif', '.tiff'] },
  svg: { what: 'an SVG drawing', extensions: ['.svg', '.svgz'] },
  heif: { what: 'a HEIF image (HEIC or AVIF)', extensions: ['.heic', '.heif', '.avif'] },
  jxl: { what: 'a JPEG XL image', extensions: ['.jxl'] },
  jp2k: { what: 'a JPEG 2000 image', extensions: ['.jp2', '.j2k'] },
  bmp: { what: 'a BMP image', extensions: ['.bmp'] },
  pdf: { what: 'a PDF', extensions: ['.pdf'] },
}

/** What a file of another image type is, by its name; undefined where the name is of no image type known here. */
export function otherImageByName(name: string): string | undefined {
  const lower = name.toLowerCase()
  return Object.values(OTHER_IMAGES).find((t) => t.extensions.some((ext) => lower.endsWith(ext)))?.what
}

/** What sharp found in a file that holds no JPEG, PNG or WebP: its format, and its frames where it has several. */
export function otherImageByContent(format: string | undefined, pages: number | undefined): string {
  if (format === 'gif' && pages !== undefined && pages > 1) return `an animated GIF (${pages} frames)`
  if (format === undefined) return 'content of no known image format'
  return OTHER_IMAGES[format]?.what ?? `${format.toUpperCase()} content`
}
