// The engine host's error, on both sides of a worker: the worker throws it for a request it refuses or cannot finish,
// and its code and message cross in the reply as they are; the clients on the main thread reject with it (a reply's
// error, a superseded or cancelled request, a worker that stopped). The services turn it into the contract's
// StudioError with the same code and message, so the renderer sees what the host said.

/** bad-input: the request cannot be served as asked; failed: the work failed (the message says why and what to
 *  do); cancelled: its caller cancelled it, or the host is shutting down; superseded: a newer request for the same
 *  view replaced it while it waited. */
export type HostErrorCode = 'bad-input' | 'failed' | 'cancelled' | 'superseded'

/** A failed request as the worker's reply carries it. */
export interface HostReplyError {
  code: HostErrorCode
  message: string
  /** the stack, where the failure was not one the host raised itself */
  detail?: string
}

export class HostError extends Error {
  override readonly name = 'HostError'
  constructor(
    readonly code: HostErrorCode,
    message: string,
  ) {
    super(message)
  }
}
