// The only file-system code among the checkpoint readers. Safetensors files are read by offset (header first, then
// one tensor at a time) so a multi-gigabyte or sparse file is never read whole, and written atomically: a
// temporary file beside the target, fsync, rename, fsync of the folder, so a crash leaves the old file or the
// new one, never half of each.

import { randomBytes } from 'node:crypto'
import { open, rename, stat, unlink, type FileHandle } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { CheckCancelled } from '../checkpoints/cancel.ts'
import { CheckpointError } from '../tensors/errors.ts'
import {
  encodeSafetensorsHeader, parseSafetensorsHeader, readHeaderLength, type SafetensorsEntry,
} from '../checkpoints/safetensors.ts'
import { checkedNumel, itemSize, type LazyTensor, type RawTensor } from '../tensors/tensor.ts'

const ioMessages: Record<string, string> = {
  ENOENT: 'file not found; check the path',
  EISDIR: 'this is a folder, not a file; choose the checkpoint file inside it',
  ENOTDIR: 'a part of the path is not a folder; check the path',
  EACCES: 'permission denied; check the file permissions',
  EPERM: 'operation not permitted; the file may be locked by another program',
  ENOSPC: 'the disk is full; free some space and try again',
  EROFS: 'the file system is read-only; choose another folder',
  EMFILE: 'too many open files; close some programs and try again',
  EBUSY: 'the file is busy; try again',
}

/** A Node error as a CheckpointError('io') that says what failed, where, and what to do. */
export function ioError(err: unknown, path: string, action: string): CheckpointError {
  if (err instanceof CheckpointError) return err
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? ''
  if (code === 'ERR_FS_FILE_TOO_LARGE') {
    return new CheckpointError('too-large', `cannot ${action}: the file is too large to read into memory at once`, path)
  }
  const hint = ioMessages[code] ?? (err instanceof Error ? err.message : String(err))
  return new CheckpointError('io', `cannot ${action}: ${hint}${code ? ` (${code})` : ''}`, path)
}

/** What fs.readFile reads at most in one go; a larger checkpoint is refused the way readFile refused it. */
const maxWholeFile = 2 ** 31 - 1
/** Read between two calls of checkCancelled: well under a second from any disk. */
const chunkBytes = 64 * 2 ** 20

/** The whole file, for the torch readers (whose formats need random access across the file), read in chunks with
 *  `checkCancelled` called between them; its error comes through unchanged. */
export async function readFileChecked(path: string, checkCancelled?: CheckCancelled): Promise<Uint8Array> {
  const io = <T>(work: Promise<T>): Promise<T> => work.catch((err: unknown) => {
    throw ioError(err, path, 'read the checkpoint')
  })
  const s = await io(stat(path))
  if (s.isDirectory()) throw ioError({ code: 'EISDIR' }, path, 'read the checkpoint')
  if (s.size > maxWholeFile) throw ioError({ code: 'ERR_FS_FILE_TOO_LARGE' }, path, 'read the checkpoint')
  const fh = await io(open(path, 'r'))
  try {
    const out = new Uint8Array(s.size)
    for (let at = 0; at < s.size; at += chunkBytes) {
      checkCancelled?.()
      await io(readExact(fh, at, Math.min(chunkBytes, s.size - at), path, out.subarray(at)))
    }
    return out
  } finally {
    await fh.close()
  }
}

/** Reads exactly `length` bytes at `position` (into `out`, or a new array), or says the file changed under us. */
async function readExact(
  fh: FileHandle, position: number, length: number, path: string, out = new Uint8Array(length),
): Promise<Uint8Array> {
  let done = 0
  while (done < length) {
    const { bytesRead } = await fh.read(out, done, Math.min(length - done, 1 << 30), position + done)
    if (bytesRead === 0) {
      throw new CheckpointError('truncated', `the file ended at byte ${position + done} while reading; was it changed or cut short?`, path)
    }
    done += bytesRead
  }
  return out.subarray(0, length)
}

export interface SafetensorsFile {
  path: string
  entries: SafetensorsEntry[]
  metadata: Record<string, string>
  has(name: string): boolean
  /** one tensor's bytes, read by offset */
  read(name: string): Promise<RawTensor>
  close(): Promise<void>
}

export async function openSafetensorsFile(path: string): Promise<SafetensorsFile> {
  let fh: FileHandle
  try {
    fh = await open(path, 'r')
  } catch (err) {
    throw ioError(err, path, 'open the safetensors file')
  }
  try {
    const size = (await fh.stat()).size
    if (size < 8) readHeaderLength(new Uint8Array(0), size, path)
    const n = readHeaderLength(await readExact(fh, 0, 8, path), size, path)
    const header = parseSafetensorsHeader(await readExact(fh, 0, 8 + n, path), size, path)
    const byName = new Map(header.entries.map((e) => [e.name, e]))
    const handle = fh
    return {
      path,
      entries: header.entries,
      metadata: header.metadata,
      has: (name) => byName.has(name),
      async read(name) {
        const e = byName.get(name)
        if (!e) throw new CheckpointError('missing-key', 'no tensor of this name in the file', path, name)
        try {
          return { dtype: e.dtype, shape: [...e.shape], data: await readExact(handle, e.begin, e.end - e.begin, path) }
        } catch (err) {
          throw ioError(err, path, `read tensor ${name}`)
        }
      },
      close: () => handle.close(),
    }
  } catch (err) {
    await fh.close().catch(() => undefined)
    throw ioError(err, path, 'read the safetensors header')
  }
}

function toLazy(tensors: Iterable<[string, RawTensor]> | readonly LazyTensor[]): LazyTensor[] {
  return [...tensors].map((t) =>
    Array.isArray(t) ? { name: t[0], dtype: t[1].dtype, shape: t[1].shape, data: () => t[1].data } : (t as LazyTensor),
  )
}

/** Linux moves at most 0x7ffff000 bytes per write(), so loop on bytesWritten. */
async function writeAll(fh: FileHandle, data: Uint8Array): Promise<void> {
  let done = 0
  while (done < data.byteLength) {
    const { bytesWritten } = await fh.write(data, done, Math.min(data.byteLength - done, 1 << 30))
    if (bytesWritten === 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' })
    done += bytesWritten
  }
}

/** Makes a folder's entries (a rename into it) durable. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined
  try {
    fh = await open(dir, 'r')
    await fh.sync()
  } catch (err) {
    // Windows cannot open or fsync a folder; the rename is still atomic there, only not yet durable.
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EACCES') throw err
  } finally {
    await fh?.close()
  }
}

/** Writes a safetensors file atomically: on any error the temporary file is removed and `path` is untouched. */
export async function writeSafetensorsFile(
  path: string, metadata: Record<string, string> | undefined,
  tensors: Iterable<[string, RawTensor]> | readonly LazyTensor[],
): Promise<void> {
  const list = toLazy(tensors)
  const { header } = encodeSafetensorsHeader(list, metadata)
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`
  let fh: FileHandle | undefined
  try {
    fh = await open(tmp, 'wx')
    await writeAll(fh, header)
    for (const t of list) {
      const data = await t.data()
      const expected = (checkedNumel(t.shape) ?? 0) * itemSize[t.dtype]
      if (data.byteLength !== expected) {
        throw new CheckpointError(
          'shape-mismatch', `${t.dtype} [${t.shape}] needs ${expected} bytes but ${data.byteLength} were produced`, path, t.name,
        )
      }
      await writeAll(fh, data)
    }
    await fh.sync()
    await fh.close()
    fh = undefined
    await rename(tmp, path)
    await fsyncDir(dirname(path))
  } catch (err) {
    await fh?.close().catch(() => undefined)
    await unlink(tmp).catch(() => undefined)
    throw ioError(err, path, 'write the safetensors file')
  }
}
