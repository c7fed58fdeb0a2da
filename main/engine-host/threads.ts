// The plumbing both worker threads share (the engine worker that owns the previewed model, and the training
// worker). On the main thread: starting one from source or from the bundle, and handing each message the worker sends
// to the request it answers. Inside a worker: serving requests, each with exactly one reply, its buffers handed over
// and a failure turned into the contract's ReplyError.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker, type MessagePort } from 'node:worker_threads'
import { StudioError, type ReplyError } from '../../preload/contract.ts'
import { HostError } from './job.ts'
import type { AnyRequest, FromWorker, Handlers, OperationTable, ToWorker } from './messages.ts'

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
function transferables(value: unknown): ArrayBuffer[] {
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
function replyError(err: unknown): ReplyError {
  if (err instanceof HostError) return { code: err.code, message: err.message }
  const message = err instanceof Error ? err.message : String(err)
  return { code: 'failed', message, ...(err instanceof Error && err.stack ? { detail: err.stack } : {}) }
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
 * settles it (a ReplyError as a StudioError), right after `release` has let go of it, then true.
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
  else waiting.reject(studioError(message.error))
  return true
}

function studioError(error: ReplyError): StudioError {
  return new StudioError(error.code === 'forbidden' ? 'failed' : error.code, error.message)
}

export interface WorkerService<T extends OperationTable<T>, J, Event = never> {
  /** the worker as its errors name it ('engine worker') */
  name: string
  handlers: Handlers<T, J>
  /** what request `seq`'s handler gets (its cancellation check, progress, …), posting through `post` */
  job: (seq: number, request: AnyRequest<T>, post: (message: FromWorker<Event>) => void) => J
  /** awaited before the handler runs (the backend, a cancellation check); a throw is the reply */
  ready: (job: J) => Promise<void>
  /** 'queue': one request at a time, in order of arrival; 'concurrent': each as it comes */
  order: 'queue' | 'concurrent'
}

/** Inside a worker: serves the main thread's requests on `port`, answering each with exactly one reply. */
export function serveRequests<T extends OperationTable<T>, J, Event = never>(port: MessagePort, service: WorkerService<T, J, Event>): void {
  const post = (message: FromWorker<Event>, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer)
  let queue: Promise<void> = Promise.resolve()
  port.on('message', (message: ToWorker<T>) => {
    // thrown from the listener: uncaught, it ends the worker before the next message is read
    if (message.type === 'crash') throw new Error(`the ${service.name} was asked to crash (crash recovery check)`)
    const { seq, request } = message
    if (service.order === 'queue') queue = queue.then(() => serve(seq, request))
    else void serve(seq, request)
  })

  async function serve(seq: number, request: AnyRequest<T>): Promise<void> {
    const job = service.job(seq, request, post)
    try {
      await service.ready(job)
      const handler = service.handlers[request.op] as ((request: AnyRequest<T>, job: J) => Promise<unknown>) | undefined
      if (!handler) throw new HostError('bad-input', `the ${service.name} has no operation '${String(request.op)}'`)
      const value = await handler(request, job)
      post({ type: 'reply', seq, ok: true, value }, transferables(value))
    } catch (err) {
      post({ type: 'reply', seq, ok: false, error: replyError(err) })
    }
  }
}
