// The worker's half of a worker thread's plumbing, shared by the engine worker and the training worker: serving the
// main thread's requests, each with exactly one reply, its buffers handed over and a failure turned into a reply
// error (client/spawn.ts is the other half).
import type { MessagePort } from 'node:worker_threads'
import { HostError, type HostReplyError } from '../protocol/errors.ts'
import type { AnyRequest, FromWorker, Handlers, OperationTable, ToWorker } from '../protocol/messages.ts'

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

/** A failure inside a worker as the reply carries it: a HostError keeps its code, anything else is 'failed'. */
function replyError(err: unknown): HostReplyError {
  if (err instanceof HostError) return { code: err.code, message: err.message }
  const message = err instanceof Error ? err.message : String(err)
  return { code: 'failed', message, ...(err instanceof Error && err.stack ? { detail: err.stack } : {}) }
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
