// A half-downloaded file never looks finished: it is NAME.part until its size and sha256 are checked, and beside it
// NAME.part.json (the sidecar) records what it is part of: the address, the size and hash expected, and the
// server's validator (ETag or Last-Modified) that makes a resumed range come from the same file.
import { writeFileSync } from 'node:fs'
import { readFile, rm, stat } from 'node:fs/promises'
import { DownloadError } from './errors.ts'

export interface Sidecar {
  url: string
  /** the full size, where known */
  size?: number
  sha256?: string
  etag?: string
  lastModified?: string
}

export const partPath = (path: string): string => `${path}.part`
export const sidecarPath = (path: string): string => `${path}.part.json`

/** The sidecar beside `path`'s partial file, or null where there is none or it cannot be read. */
export async function readSidecar(path: string): Promise<Sidecar | null> {
  try {
    const value = JSON.parse(await readFile(sidecarPath(path), 'utf8')) as Partial<Sidecar>
    return typeof value === 'object' && value !== null && typeof value.url === 'string' ? (value as Sidecar) : null
  } catch {
    return null
  }
}

/** Written synchronously: the response it describes is already streaming, and its first bytes must not be missed. */
export function writeSidecar(path: string, sidecar: Sidecar): void {
  try {
    writeFileSync(sidecarPath(path), JSON.stringify(sidecar, null, 2) + '\n')
  } catch (err) {
    throw ioFailure(err, sidecarPath(path), 'write')
  }
}

/** Bytes already in the partial file (0 where there is none). */
export async function partialSize(path: string): Promise<number> {
  try {
    return (await stat(partPath(path))).size
  } catch {
    return 0
  }
}

/** Removes the partial file and its sidecar. */
export async function discardPartial(path: string): Promise<void> {
  await rm(partPath(path), { force: true })
  await rm(sidecarPath(path), { force: true })
}

/** Whether a partial file described by `old` can be resumed for a download expecting `now`. */
export function resumable(old: Sidecar | null, now: { urls: string[]; size?: number; sha256?: string }): old is Sidecar {
  if (!old || !now.urls.includes(old.url)) return false
  if (now.size !== undefined && old.size !== undefined && now.size !== old.size) return false
  if (now.sha256 !== undefined && old.sha256 !== undefined && now.sha256 !== old.sha256) return false
  return true
}

export function ioFailure(err: unknown, path: string, what: string): DownloadError {
  const code = (err as NodeJS.ErrnoException).code
  return new DownloadError('io', `cannot ${what} ${path} (${code ?? (err as Error).message})${code === 'ENOSPC' ? ': the disk is full, free some space and try again (the partial file is kept)' : ''}`)
}
