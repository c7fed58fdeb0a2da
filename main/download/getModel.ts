// Getting a model: what to fetch (a catalogue entry, or one file from an address), how much that is before it starts
// (the catalogue's sizes, else the server's answer to a HEAD request, and what is already here), and fetching every
// file into one folder, with progress over the whole. What imports the result is the caller's: the CLI and the
// studio both hand `importPath` to the import dispatch.
import { basename, join } from 'node:path'
import { entrySize, isSafeName, type CatalogueEntry, type CatalogueFile } from './catalogue.ts'
import { DEFAULT_IDLE_TIMEOUT_MS, downloadFile, insideFolder, type DownloadOptions, type Downloaded, type FileProgress } from './download.ts'
import { DownloadError } from './errors.ts'
import { open } from './http.ts'
import { partialSize } from './partial.ts'
import { formatBytes } from './progress.ts'
import { stat } from 'node:fs/promises'

export interface GetTarget {
  /** the model's name: the catalogue's, or the file's for an address */
  name: string
  files: CatalogueFile[]
  entry?: CatalogueEntry
}

export interface PlannedFile {
  name: string
  /** bytes, where the catalogue or the server says */
  size: number | undefined
  /** bytes already here (a finished file, or a partial one to resume) */
  have: number
}

export interface Plan {
  files: PlannedFile[]
  /** the total, where every size is known */
  total: number | undefined
  have: number
}

export interface ModelProgress extends FileProgress {
  /** over every file of the model */
  allDone: number
  allTotal: number | undefined
}

/** The catalogue entry as a target, or the reason it cannot be fetched directly. */
export function targetFromEntry(entry: CatalogueEntry): GetTarget {
  if (entry.files.length === 0) {
    throw new DownloadError('manual', `${entry.name} cannot be downloaded directly: ${entry.manual?.steps ?? 'the catalogue lists no files for it'}${entry.manual ? ` (${entry.manual.url})` : ''}`)
  }
  return { name: entry.name, files: entry.files, entry }
}

/** One file from an address; its name is the address's last path segment (made safe), its hash the one given. */
export function targetFromUrl(url: string, sha256?: string): GetTarget {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new DownloadError('catalogue', `"${url}" is neither a catalogue name nor an address (http:// or https://)`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new DownloadError('catalogue', `${url}: only http and https addresses can be downloaded`)
  const last = decodeURIComponent(basename(parsed.pathname)).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '')
  const name = isSafeName(last) ? last : 'download.bin'
  if (sha256 !== undefined && !/^[0-9a-f]{64}$/i.test(sha256)) throw new DownloadError('catalogue', `--sha256 must be 64 hex digits, got "${sha256}"`)
  return { name: name.replace(/\.[^.]*$/, '') || name, files: [{ name, urls: [url], ...(sha256 ? { sha256: sha256.toLowerCase() } : {}) }] }
}

/** What importing the downloaded target reads: the folder for several files, else the one file. */
export function importPath(dir: string, target: GetTarget): string {
  return target.files.length === 1 ? join(dir, target.files[0].name) : dir
}

/** Sizes before anything is downloaded. */
export async function planDownload(dir: string, target: GetTarget, options: Pick<DownloadOptions, 'signal' | 'idleTimeoutMs'> = {}): Promise<Plan> {
  const files: PlannedFile[] = []
  for (const f of target.files) {
    const path = insideFolder(dir, f.name)
    const finished = await stat(path).then((s) => s.size, () => undefined)
    const size = f.size ?? finished ?? (await askSize(f.urls, options))
    files.push({ name: f.name, size, have: finished ?? (await partialSize(path)) })
  }
  const total = files.every((f) => f.size !== undefined) ? files.reduce((n, f) => n + f.size!, 0) : undefined
  return { files, total, have: files.reduce((n, f) => n + f.have, 0) }
}

/** The first address's Content-Length, or undefined where no server says. */
async function askSize(urls: string[], options: Pick<DownloadOptions, 'signal' | 'idleTimeoutMs'>): Promise<number | undefined> {
  for (const url of urls) {
    try {
      const { response } = await open(url, {
        method: 'HEAD',
        idleTimeoutMs: options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS,
        ...(options.signal ? { signal: options.signal } : {}),
      })
      response.resume()
      const length = response.headers['content-length']
      if (response.statusCode === 200 && length !== undefined && /^\d+$/.test(length)) return Number(length)
    } catch (err) {
      if (err instanceof DownloadError && err.code === 'cancelled') throw err
      // the download itself reports what is wrong with the address
    }
  }
  return undefined
}

/** Downloads every file of the target into `dir`, one after another. */
export async function downloadTarget(
  dir: string, target: GetTarget, plan: Plan, options: DownloadOptions & { onModelProgress?: (p: ModelProgress) => void } = {},
): Promise<Downloaded[]> {
  const results: Downloaded[] = []
  let before = 0
  for (const [i, f] of target.files.entries()) {
    const planned = plan.files[i]
    const result = await downloadFile(dir, f, {
      ...options,
      onProgress: (p) => {
        options.onProgress?.(p)
        // while verifying, the bytes are all here: the whole counts this file as done
        const fileDone = p.phase === 'verify' ? p.total ?? p.done : p.done
        options.onModelProgress?.({ ...p, allDone: before + fileDone, allTotal: plan.total })
      },
    })
    before += planned?.size ?? result.size
    results.push(result)
  }
  return results
}

/** '2 files, 235 MB (12.0 MB already here: the download resumes)', as the CLI and the studio say it. */
export function describePlan(plan: Plan): string {
  const files = `${plan.files.length} file${plan.files.length === 1 ? '' : 's'}`
  const size = plan.total !== undefined ? formatBytes(plan.total) : 'size unknown until the transfer starts'
  const here =
    plan.total !== undefined && plan.have >= plan.total
      ? ' (all here: it is verified and opened without downloading)'
      : plan.have > 0 ? ` (${formatBytes(plan.have)} already here: the download resumes)` : ''
  return `${files}, ${size}${here}`
}

/** An entry's size in words: '1.23 GB', 'size asked of the server' (the catalogue does not know it), or 'manual download'. */
export function describeEntrySize(entry: CatalogueEntry): string {
  if (entry.files.length === 0) return 'manual download'
  const size = entrySize(entry)
  return size !== undefined ? formatBytes(size) : 'size asked of the server'
}
