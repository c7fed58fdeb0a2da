// The plumbing both worker threads share (the engine worker that owns the previewed model, and the training
// worker): starting one from source or from the bundle, and, inside a worker, handing reply buffers over and
// turning a failure into the contract's ReplyError.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { ReplyError } from '../../preload/contract.ts'
import { HostError } from './job.ts'

/**
 * Starts a worker thread. `from` is the caller's import.meta.url. From source (a .ts caller: vitest, tsx) the
 * worker is `sourceEntry` (e.g. './worker.ts'), compiled on the fly by tsx's loader registered inside the worker
 * before the entry is imported: Node 20 does not apply `--import tsx` from a worker's execArgv to the worker's own
 * entry (ERR_UNKNOWN_FILE_EXTENSION). Bundled, it is `bundledEntry` (e.g. './engineWorker.js') beside the bundle.
 */
export function spawnThread(from: string, sourceEntry: string, bundledEntry: string, workerData: unknown): Worker {
  if (from.endsWith('.ts')) {
    const entry = new URL(sourceEntry, from).href
    const tsx = tsxEsmApi(from)
    const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}) })`
    return new Worker(bootstrap, { eval: true, workerData })
  }
  return new Worker(new URL(bundledEntry, from), { workerData })
}

/** The file URL of tsx's ESM register API, from its package's export map (require.resolve would give the CommonJS
 *  build, which cannot register the ESM hooks). */
function tsxEsmApi(from: string): string {
  const manifest = createRequire(from).resolve('tsx/package.json')
  const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports
  return pathToFileURL(join(dirname(manifest), exports['./esm/api'].import.default)).href
}

/** The buffers of every typed array in a reply: handed over, not copied. Replies build their own arrays. */
export function transferables(value: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>()
  const visit = (v: unknown): void => {
    if (ArrayBuffer.isView(v)) {
      if (v.buffer instanceof ArrayBuffer) out.add(v.buffer)
    } else if (Array.isArray(v)) v.forEach(visit)
    else if (typeof v === 'object' && v !== null) Object.values(v).forEach(visit)
  }
  visit(value)
  return [...out]
}

/** A failure inside a worker as the contract's ReplyError: a HostError keeps its code, anything else is 'failed'. */
export function replyError(err: unknown): ReplyError {
  if (err instanceof HostError) return { code: err.code, message: err.message }
  const message = err instanceof Error ? err.message : String(err)
  return { code: 'failed', message, ...(err instanceof Error && err.stack ? { detail: err.stack } : {}) }
}
