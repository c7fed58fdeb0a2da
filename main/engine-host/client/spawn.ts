// The main thread's half of a worker thread's plumbing, shared by the engine client and the training client:
// starting a worker from source or from the bundle, and handing each message the worker sends to the request it
// answers (worker/serve.ts is the other half).
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { HostError } from '../protocol/errors.ts'
import type { FromWorker } from '../protocol/messages.ts'

/**
 * Starts a worker thread. `from` is the caller's import.meta.url. From source (a .ts caller: vitest, tsx) the
 * worker is `sourceEntry` (e.g. '../worker/engineWorker.ts'), compiled on the fly by tsx's loader registered inside the worker
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

/**
 * A request's settlers, wrapped so that a cancel can learn how it ended: `cancelled` resolves true once it is
 * rejected as cancelled, false once it resolves or fails otherwise (it finished before it saw the cancel).
 */
export function watchedSettlers(
  resolve: (value: unknown) => void,
  reject: (error: Error) => void,
): { resolve: (value: unknown) => void; reject: (error: Error) => void; cancelled: Promise<boolean> } {
  let ended!: (cancelled: boolean) => void
  const cancelled = new Promise<boolean>((r) => (ended = r))
  return {
    resolve: (value) => {
      ended(false)
      resolve(value)
    },
    reject: (error) => {
      ended(error instanceof HostError && error.code === 'cancelled')
      reject(error)
    },
    cancelled,
  }
}

/** A request waiting on the main thread for its reply: its promise's settlers and its listeners. */
export interface Waiting<Event = never> {
  resolve: (value: unknown) => void
  reject: (error: Error) => void
  options: {
    onProgress?: (p: { label: string; done: number; total: number }) => void
    onEvent?: (event: Event) => void
  }
}

/**
 * Hands a worker's message to the request it answers: progress (and events) to its listeners, then false; a reply
 * settles it (an error as a HostError), right after `release` has let go of it, then true.
 */
export function deliver<Event>(waiting: Waiting<Event>, message: FromWorker<Event>, release: () => void): boolean {
  if (message.type === 'progress') {
    waiting.options.onProgress?.({ label: message.label, done: message.done, total: message.total })
    return false
  }
  if (message.type === 'event') {
    waiting.options.onEvent?.(message.event)
    return false
  }
  release()
  if (message.ok) waiting.resolve(message.value)
  else waiting.reject(new HostError(message.error.code, message.error.message))
  return true
}

