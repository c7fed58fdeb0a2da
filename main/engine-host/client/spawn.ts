// The main thread's half of a worker thread's plumbing, shared by the engine client and the training client:
// handing each message the worker sends to the request it answers (worker/serve.ts is the other half). Starting
// the worker, from source or from the bundle, is main/threads/spawnThread.ts.
import { HostError } from '../protocol/errors.ts'
import type { FromWorker } from '../protocol/messages.ts'

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

