// Reads one image file's bytes, refusing what a training folder should never make us read: special files (a
// FIFO named cat.jpg would block forever), a link swapped in after the scan, and files too big to be photos.

import { constants } from 'node:fs'
import { open } from 'node:fs/promises'

/** 256 MiB: larger than any JPEG/PNG/WebP under the 100 MP decode limit is likely to be. */
export const MAX_FILE_BYTES = 256 * 1024 * 1024

export type ReadResult = { ok: true; bytes: Buffer } | { ok: false; reason: string }

export async function readImageBytes(path: string): Promise<ReadResult> {
  // O_NONBLOCK so opening a FIFO returns at once instead of waiting for a writer; O_NOFOLLOW refuses links.
  // Both are 0 (absent) on Windows, where neither trap exists in the same form.
  const flags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0)
  let handle
  try {
    handle = await open(path, flags)
  } catch (e) {
    return { ok: false, reason: `cannot read: ${(e as Error).message}` }
  }
  try {
    const s = await handle.stat()
    if (!s.isFile()) return { ok: false, reason: 'cannot read: not a regular file' }
    if (s.size === 0) return { ok: false, reason: 'empty file' }
    if (s.size > MAX_FILE_BYTES) {
      return {
        ok: false,
        reason: `too large: the file is ${(s.size / 2 ** 20).toFixed(0)} MiB, over the ${MAX_FILE_BYTES / 2 ** 20} MiB limit`,
      }
    }
    return { ok: true, bytes: await handle.readFile() }
  } catch (e) {
    return { ok: false, reason: `cannot read: ${(e as Error).message}` }
  } finally {
    await handle.close().catch(() => undefined)
  }
}
