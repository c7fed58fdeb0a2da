// The messages between the main thread and a worker thread, for any table of operations (engine.ts for the engine
// worker, training.ts for a training worker). The client numbers each request by `seq`; the worker answers it
// with exactly one reply and, while it works, any number of progress messages (and, where the worker has them,
// events). Each protocol file declares only its operations: what each request carries and what its reply's value is.
import type { HostReplyError } from './errors.ts'

/** Each operation by name: what the request carries and what the reply's value is (`T extends OperationTable<T>`: an
 *  interface of operations qualifies, having no index signature). */
export type OperationTable<T> = { [O in keyof T]: { request: object; result: unknown } }

export type RequestOf<T extends OperationTable<T>, O extends keyof T> = { op: O } & T[O]['request']
export type ResultOf<T extends OperationTable<T>, O extends keyof T> = T[O]['result']
export type AnyRequest<T extends OperationTable<T>> = { [O in keyof T]: RequestOf<T, O> }[keyof T]

/** What serves each operation inside the worker, given what the running request may use (`J`: its job). */
export type Handlers<T extends OperationTable<T>, J> = { [O in keyof T]: (request: RequestOf<T, O>, job: J) => Promise<ResultOf<T, O>> }

/** main → worker */
export type ToWorker<T extends OperationTable<T>> =
  | { type: 'request'; seq: number; request: AnyRequest<T> }
  /** ends the worker the way an uncaught error would: lets tests and diagnostics exercise crash recovery */
  | { type: 'crash' }

/** worker → main. `Event`: what the worker reports besides progress (a training run's events); none by default. */
export type FromWorker<Event = never> =
  | { type: 'reply'; seq: number; ok: true; value: unknown }
  | { type: 'reply'; seq: number; ok: false; error: HostReplyError }
  | { type: 'progress'; seq: number; label: string; done: number; total: number }
  | ([Event] extends [never] ? never : { type: 'event'; seq: number; event: Event })
