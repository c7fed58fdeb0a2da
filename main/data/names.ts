// File names as the file system keeps them: bytes. On Linux a name need not be UTF-8 (a file from an old Windows
// disk, or a zip made under another code page); Node decodes such a name lossily, to a string that opens nothing.
// So image folders are listed with their names as bytes and files opened by those bytes, and a name is shown with
// each byte that is not UTF-8 written as \xNN: two such names stay apart, and a relPath can be found again.

import { isUtf8 } from 'node:buffer'
import { readdir } from 'node:fs/promises'
import { join, sep } from 'node:path'

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** The name as text: its UTF-8, with any byte that is not part of a UTF-8 character as \xNN. */
export function nameOf(bytes: Uint8Array): string {
  if (isUtf8(bytes)) return strict.decode(bytes)
  let text = ''
  for (let i = 0; i < bytes.length; ) {
    const n = characterAt(bytes, i)
    text += n > 0 ? strict.decode(bytes.subarray(i, i + n)) : `\\x${bytes[i].toString(16).toUpperCase().padStart(2, '0')}`
    i += Math.max(n, 1)
  }
  return text
}

/** The length of the UTF-8 character starting at byte i, or 0 where none does. */
function characterAt(bytes: Uint8Array, i: number): number {
  for (let n = 1; n <= 4 && i + n <= bytes.length; n++) {
    if (isUtf8(bytes.subarray(i, i + n))) return n
  }
  return 0
}

/** A path that Node can open: a string where every byte of it is UTF-8, else the bytes themselves. */
export function openable(path: Buffer): string | Buffer {
  return isUtf8(path) ? path.toString('utf8') : path
}

export function childPath(parent: Buffer, name: Buffer): Buffer {
  return Buffer.concat([parent, Buffer.from(sep), name])
}

/** The file a relPath ('/'-separated, its names as nameOf wrote them) names under `dir`: a name with a \xNN in it is
 *  looked up among its folder's names as bytes. `relPath` must already be known to stay inside `dir`. */
export async function pathOfRelPath(dir: string, relPath: string): Promise<string | Buffer> {
  if (!relPath.includes('\\x')) return join(dir, relPath)
  let path: Buffer = Buffer.from(dir)
  for (const part of relPath.split('/').filter((p) => p !== '' && p !== '.')) {
    let name = Buffer.from(part)
    if (part.includes('\\x')) {
      const names = await readdir(path, { encoding: 'buffer' }).catch(() => [])
      name = names.find((n) => nameOf(n) === part) ?? name
    }
    path = childPath(path, name)
  }
  return openable(path)
}
