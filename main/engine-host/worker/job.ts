// What a running request gives the code that serves it in the worker: a cancellation check for between batches and
// a progress reporter; and the error whose code travels back to the caller as it is.
import type { ReplyError } from '../../../preload/contract/index.ts'

export class HostError extends Error {
  override readonly name = 'HostError'
  constructor(
    readonly code: ReplyError['code'],
    message: string,
  ) {
    super(message)
  }
}

export interface Job {
  /** throws HostError('cancelled') once the caller has cancelled this request */
  check(): void
  progress(label: string, done: number, total: number): void
}
