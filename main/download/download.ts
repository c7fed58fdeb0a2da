// Downloads one file into a folder so that a person can trust the result: it is written as NAME.part with a sidecar
// (partial.ts) and resumed with an HTTP Range request (If-Range on the server's validator) after an interruption or a
// restart; a server that ignores Range, or whose file changed, starts it again from the first byte. The size is
// checked against the catalogue and the server, the sha256 before the file takes its real name. An interrupted or
// cancelled transfer keeps its partial file; one that is provably corrupt (too long, a wrong hash) is removed.
import { createHash } from 'node:crypto'
import { createReadStream, createWriteStream } from 'node:fs'
import { mkdir, rename, stat } from 'node:fs/promises'
import type { IncomingMessage } from 'node:http'
import { resolve, sep } from 'node:path'
import { isSafeName, type CatalogueFile } from './catalogue.ts'
import { DownloadError } from './errors.ts'
import { cancelled, open } from './http.ts'
import { discardPartial, ioFailure, partPath, partialSize, readSidecar, resumable, writeSidecar, type Sidecar } from './partial.ts'
import { Rate } from './progress.ts'

export interface FileProgress {
  file: string
  /** 'download' while bytes arrive, 'verify' while the sha256 is computed */
  phase: 'download' | 'verify'
  done: number
  total: number | undefined
  bytesPerSecond: number
}

export interface DownloadOptions {
  signal?: AbortSignal
  onProgress?: (p: FileProgress) => void
  /** what happened that the person should know (resumed, restarted, …), in words */
  onNote?: (line: string) => void
  /** how long a silent connection is waited for, in ms */
  idleTimeoutMs?: number
}

export interface Downloaded {
  path: string
  size: number
  sha256: string
  /** whether the catalogue's sha256 was checked (false: none was known; the computed one is reported) */
  verified: boolean
}

export const DEFAULT_IDLE_TIMEOUT_MS = 60_000

/** `name` inside `dir`, refused where it would land anywhere else. */
export function insideFolder(dir: string, name: string): string {
  const base = resolve(dir)
  const path = resolve(base, name)
  if (!isSafeName(name) || !path.startsWith(base + sep)) {
    throw new DownloadError('path', `refusing the file name "${name}": a download is written only as a plain file inside ${base}`)
  }
  return path
}

/** Downloads `file` into `dir` (or finds it already there and verified). */
export async function downloadFile(dir: string, file: CatalogueFile, options: DownloadOptions = {}): Promise<Downloaded> {
  const path = insideFolder(dir, file.name)
  try {
    await mkdir(dir, { recursive: true })
  } catch (err) {
    throw ioFailure(err, dir, 'create the download folder')
  }
  const done = await alreadyComplete(path, file, options)
  if (done) return done

  const old = await readSidecar(path)
  if (!resumable(old, file)) await discardPartial(path)
  const failures: string[] = []
  for (const url of old && resumable(old, file) ? [old.url, ...file.urls.filter((u) => u !== old.url)] : file.urls) {
    try {
      await transfer(path, url, file, options)
      return await finish(path, file, options)
    } catch (err) {
      // another address may serve the file where this one is unreachable or missing
      if (err instanceof DownloadError && (err.code === 'offline' || err.code === 'http') && file.urls.length > 1) {
        failures.push(err.message)
        continue
      }
      throw err
    }
  }
  throw new DownloadError(failures.length && failures.every((f) => f.startsWith('cannot reach')) ? 'offline' : 'http',
    `no address served ${file.name}:\n  ${failures.join('\n  ')}`)
}

/** The finished file where it is there and passes the checks; a finished file that fails them is set aside as a
 *  partial (its hash is wrong, so it is removed in finish) to be fetched again. */
async function alreadyComplete(path: string, file: CatalogueFile, options: DownloadOptions): Promise<Downloaded | null> {
  let size: number
  try {
    size = (await stat(path)).size
  } catch {
    return null
  }
  if (file.size !== undefined && size !== file.size) {
    options.onNote?.(`${file.name} is here but has ${size} bytes, not ${file.size}: downloading it again`)
    return null
  }
  const sha256 = await hashFile(path, file.name, size, options)
  if (file.sha256 !== undefined && sha256 !== file.sha256) {
    options.onNote?.(`${file.name} is here but its sha256 is not the catalogue's: downloading it again`)
    return null
  }
  return { path, size, sha256, verified: file.sha256 !== undefined }
}

/** One attempt from one address: appends to the partial file from where it stops, or starts it again. */
async function transfer(path: string, url: string, file: CatalogueFile, options: DownloadOptions): Promise<void> {
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS
  let offset = await partialSize(path)
  const old = await readSidecar(path)
  const headers: Record<string, string> = {}
  if (offset > 0) {
    headers.range = `bytes=${offset}-`
    const validator = old?.etag && !old.etag.startsWith('W/') ? old.etag : old?.lastModified
    if (validator) headers['if-range'] = validator
  }
  const { response, url: servedBy } = await open(url, { headers, idleTimeoutMs, ...(options.signal ? { signal: options.signal } : {}) })
  const status = response.statusCode ?? 0
  let total: number | undefined
  if (status === 206 && offset > 0) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers['content-range'] ?? '')
    if (!range || Number(range[1]) !== offset) {
      response.resume()
      await discardPartial(path)
      throw new DownloadError('interrupted', `${servedBy} answered a resume with the wrong range (${response.headers['content-range'] ?? 'none'}): the partial file was removed; try again to download it whole`)
    }
    total = range[3] === '*' ? undefined : Number(range[3])
    options.onNote?.(`resuming ${file.name} at ${offset} bytes`)
  } else if (status === 416 && offset > 0) {
    response.resume()
    const whole = /^bytes \*\/(\d+)$/.exec(response.headers['content-range'] ?? '')
    if (whole && Number(whole[1]) === offset) return // every byte is already here
    await discardPartial(path)
    throw new DownloadError('interrupted', `${servedBy} refused to resume ${file.name} at byte ${offset} (416): the partial file was removed; try again to download it whole`)
  } else if (status === 200) {
    if (offset > 0) {
      options.onNote?.(`${new URL(servedBy).host} did not resume ${file.name} (it ignores Range, or the file changed): starting again from the first byte`)
      offset = 0
    }
    const length = response.headers['content-length']
    total = length !== undefined && /^\d+$/.test(length) ? Number(length) : undefined
  } else {
    response.resume()
    throw statusError(servedBy, response, file.name)
  }

  const expected = file.size ?? total
  if (file.size !== undefined && total !== undefined && total !== file.size) {
    response.resume()
    throw new DownloadError('size', `${servedBy} serves ${total} bytes for ${file.name}, but the catalogue expects ${file.size}: the address may serve another file now. Nothing more was downloaded${offset > 0 ? ' (the partial file is kept)' : ''}; check the catalogue entry`)
  }
  const sidecar: Sidecar = {
    url,
    ...(expected !== undefined ? { size: expected } : {}),
    ...(file.sha256 ? { sha256: file.sha256 } : {}),
    ...(typeof response.headers.etag === 'string' ? { etag: response.headers.etag } : {}),
    ...(typeof response.headers['last-modified'] === 'string' ? { lastModified: response.headers['last-modified'] } : {}),
  }
  writeSidecar(path, sidecar)
  const received = await receive(response, path, offset, expected, file.name, options)
  if (expected !== undefined && received < expected) {
    throw new DownloadError('interrupted', `the transfer of ${file.name} stopped at ${received} of ${expected} bytes: the partial file is kept; run the download again to resume`)
  }
}

/** Streams the body into the partial file (appending at `offset`); resolves with the partial file's size. */
function receive(
  response: IncomingMessage, path: string, offset: number, expected: number | undefined, name: string, options: DownloadOptions,
): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const out = createWriteStream(partPath(path), { flags: offset > 0 ? 'a' : 'w' })
    const rate = new Rate()
    let size = offset
    let failure: Error | null = null
    let lastReport = 0
    const stop = (err: Error): void => {
      if (failure) return
      failure = err
      response.destroy()
      out.end()
    }
    const onAbort = (): void => stop(cancelled(name))
    options.signal?.addEventListener('abort', onAbort, { once: true })
    response.on('data', (chunk: Buffer) => {
      if (failure) return
      size += chunk.length
      if (expected !== undefined && size > expected) {
        stop(new DownloadError('size', `the server sent more than the ${expected} bytes expected for ${name}: the file is not the one described, and the partial file was removed`))
        return
      }
      if (!out.write(chunk)) {
        response.pause()
        out.once('drain', () => response.resume())
      }
      const now = Date.now()
      const speed = rate.add(size - offset)
      if (now - lastReport >= 100 || size === expected) {
        lastReport = now
        options.onProgress?.({ file: name, phase: 'download', done: size, total: expected, bytesPerSecond: speed })
      }
    })
    response.on('end', () => out.end())
    response.on('aborted', () => stop(new DownloadError('interrupted', `the connection closed during ${name} at ${size} bytes: the partial file is kept; run the download again to resume`)))
    response.on('error', (err) => stop(err instanceof DownloadError && err.code === 'cancelled' ? err : new DownloadError('interrupted', `the transfer of ${name} stopped at ${size} bytes (${err.message}): the partial file is kept; run the download again to resume`)))
    out.on('error', (err) => stop(ioFailure(err, partPath(path), 'write')))
    out.on('close', () => {
      options.signal?.removeEventListener('abort', onAbort)
      if (!failure) return resolvePromise(size)
      const err = failure as DownloadError
      if (err.code === 'size') void discardPartial(path).then(() => reject(err), () => reject(err))
      else reject(err)
    })
  })
}

/** Checks the finished partial file's size and sha256, then gives it its real name. */
async function finish(path: string, file: CatalogueFile, options: DownloadOptions): Promise<Downloaded> {
  const size = await partialSize(path)
  if (file.size !== undefined && size !== file.size) {
    await discardPartial(path)
    throw new DownloadError('size', `${file.name} has ${size} bytes, but the catalogue expects ${file.size}: the file was removed`)
  }
  const sha256 = await hashFile(partPath(path), file.name, size, options)
  if (file.sha256 !== undefined && sha256 !== file.sha256) {
    await discardPartial(path)
    throw new DownloadError('hash', `${file.name} arrived whole but its sha256 is ${sha256}, not the catalogue's ${file.sha256}: the file is damaged or not the published one, so it was removed and nothing was imported. Try again; if it fails again, the catalogue entry or the server is wrong`)
  }
  try {
    await rename(partPath(path), path)
  } catch (err) {
    throw ioFailure(err, path, 'name the finished file')
  }
  await discardPartial(path)
  return { path, size, sha256, verified: file.sha256 !== undefined }
}

async function hashFile(path: string, name: string, size: number, options: DownloadOptions): Promise<string> {
  const hash = createHash('sha256')
  const rate = new Rate()
  let done = 0
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
      if (options.signal?.aborted) throw cancelled(name)
      hash.update(chunk as Buffer)
      done += (chunk as Buffer).length
      options.onProgress?.({ file: name, phase: 'verify', done, total: size, bytesPerSecond: rate.add(done) })
    }
  } catch (err) {
    if (err instanceof DownloadError) throw err
    throw ioFailure(err, path, 'read')
  }
  return hash.digest('hex')
}

function statusError(url: string, response: IncomingMessage, name: string): DownloadError {
  const status = response.statusCode ?? 0
  const what = `${url} answered ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''} for ${name}`
  if (status === 404 || status === 410) return new DownloadError('http', `${what}: the file is not there (moved or removed); check the catalogue's address`)
  if (status === 401 || status === 403) return new DownloadError('http', `${what}: the server refuses it (it may need a login in a browser); download it by hand and import it`)
  if (status >= 500) return new DownloadError('http', `${what}: the server failed; try again later (a partial download is kept and resumes)`)
  return new DownloadError('http', `${what}: not a file the downloader can use`)
}

