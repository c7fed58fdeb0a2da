// Files in and out of the page: picking the PNG out of a drop, recognising PNG bytes, and saving bytes through a
// Blob and an <a download> (the renderer has no file system).

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)
}

interface NamedFile {
  name: string
  type: string
}

/** The first file of a drop that looks like a PNG (by type or name), else null. */
export function firstPng<F extends NamedFile>(files: ArrayLike<F> | null | undefined): F | null {
  if (!files) return null
  for (let i = 0; i < files.length; i++) {
    const f = files[i]
    if (f.type === 'image/png' || /\.png$/i.test(f.name)) return f
  }
  return null
}

/** Whether a drag carries files (so the window should accept the drop instead of navigating). */
export function carriesFiles(types: ArrayLike<string> | null | undefined): boolean {
  if (!types) return false
  for (let i = 0; i < types.length; i++) if (types[i] === 'Files') return true
  return false
}

const MIME: Record<string, string> = {
  png: 'image/png',
  gif: 'image/gif',
  zip: 'application/zip',
  json: 'application/json',
}

export function mimeOf(fileName: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase() ?? ''
  return MIME[ext] ?? 'application/octet-stream'
}

/** Offers bytes to the user as a download. */
export function download(bytes: Uint8Array, fileName: string): void {
  // copy into a plain ArrayBuffer: the bytes may view a larger or shared buffer
  const blob = new Blob([bytes.slice()], { type: mimeOf(fileName) })
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  a.rel = 'noopener'
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

export async function readBytes(file: Blob): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer())
}
