// Timings measured on this machine, kept in the cache folder so that a choice between runtimes is timed once per
// machine and model size: inference's runtime (select.ts, runtime-timings.json) and a training run's executor
// (main/runs/executor.ts, training-timings.json) each keep a file of their own.
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus } from 'node:os'
import { join } from 'node:path'

/** One measured candidate: milliseconds per unit of work (an image, a step), or why it could not run. */
export interface Timing {
  ms: number
  measuredAt: string
  /** set where the candidate failed: what it said; `ms` is then Infinity in memory and absent on disk */
  failed?: string
}

/** This machine, as timings name it: a timing taken on other hardware says nothing here. */
export function machineKey(): string {
  return `${process.platform}-${process.arch} ${cpus()[0]?.model ?? 'unknown CPU'} ×${availableParallelism()}`
}

/** The timings kept in `cacheDir/file`; none where the file is absent or unreadable (they are measured again). */
export async function readTimings(cacheDir: string, file: string): Promise<Record<string, Timing>> {
  try {
    const value = JSON.parse(await readFile(join(cacheDir, file), 'utf8')) as unknown
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return {}
    const valid: Record<string, Timing> = {}
    for (const [key, t] of Object.entries(value as Record<string, Partial<Timing>>)) {
      if (typeof t?.measuredAt !== 'string') continue
      if (typeof t.failed === 'string') valid[key] = { ms: Infinity, measuredAt: t.measuredAt, failed: t.failed }
      else if (Number.isFinite(t.ms)) valid[key] = { ms: t.ms!, measuredAt: t.measuredAt }
    }
    return valid
  } catch {
    return {}
  }
}

/** Adds one timing to `cacheDir/file`, atomically (a crash leaves the old file or the new one). */
export async function writeTiming(cacheDir: string, file: string, key: string, timing: Timing): Promise<void> {
  await mkdir(cacheDir, { recursive: true })
  const all = { ...(await readTimings(cacheDir, file)), [key]: timing }
  const path = join(cacheDir, file)
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  await writeFile(tmp, JSON.stringify(all, (_, v: unknown) => (v === Infinity ? undefined : v), 1) + '\n')
  await rename(tmp, path)
}
