// Reads one image file's bytes, refusing what a training folder should never make us read: special files (a
// FIFO named cat.jpg would block forever), a link swapped in after the scan, and files too big to be photos.

import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import { systemReason } from './errors'

/** 256 MiB: larger than any JPEG/PNG/WebP under the 100 MP decode limit is likely to be. */
export const MAX_FILE_BYTES = 256 * 1024 * 1024

/** What an empty file says, read or decoded. */
export const EMPTY = 'empty file (0 bytes): copy or export it again'
const AGAIN = 'scan the folder again'

export type ReadResult = { ok: true; bytes: Buffer } | { ok: false; reason: string }

/** `path`: the bytes themselves where a name in it is not UTF-8 (names.ts). */
export async function readImageBytes(path: string | Buffer): Promise<ReadResult> {
  // O_NONBLOCK so opening a FIFO returns at once instead of waiting for a writer; O_NOFOLLOW refuses links.
  // Both are 0 (absent) on Windows, where neither trap exists in the same form.
  const flags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0)
  let handle
  try {
    handle = await open(path, flags)
  } catch (e) {
    return { ok: false, reason: cannotOpen(e as NodeJS.ErrnoException) }
  }
  try {
    const s = await handle.stat()
    if (!s.isFile()) return { ok: false, reason: 'cannot read: not a regular file (only regular files are read)' }
    if (s.size === 0) return { ok: false, reason: EMPTY }
    if (s.size > MAX_FILE_BYTES) {
      return {
        ok: false,
        reason:
          `too large: the file is ${(s.size / 2 ** 20).toFixed(0)} MiB, over the ${MAX_FILE_BYTES / 2 ** 20} MiB limit; ` +
          `downscale it or save it with stronger compression`,
      }
    }
    return { ok: true, bytes: await handle.readFile() }
  } catch (e) {
    return { ok: false, reason: `cannot read: ${systemReason(e)}` }
  } finally {
    await handle.close().catch(() => undefined)
  }
}

/** Why a file that the scan found could not be opened, and what to do. */
function cannotOpen(e: NodeJS.ErrnoException): string {
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return 'cannot read: permission denied; allow yourself to read the file, or copy it somewhere you can'
    case 'ENOENT':
      return `cannot read: the file was moved or deleted after the folder was scanned; ${AGAIN}`
    case 'ELOOP':
      return `cannot read: the file became a symbolic link after the folder was scanned, and links are not followed; ${AGAIN}`
    default:
      return `cannot read: ${e.message}`
  }
}
