// What a running request gives the code that serves it in the worker: a cancellation check for between batches and
// a progress reporter. What it throws to refuse or fail a request is protocol/errors.ts's HostError.

export interface Job {
  /** throws HostError('cancelled') once the caller has cancelled this request */
  check(): void
  progress(label: string, done: number, total: number): void
}
