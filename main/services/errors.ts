// The engine host's errors as the contract's: a HostError (a worker's refusal or failure, a superseded or cancelled
// request, a worker that stopped) reaches the renderer as a StudioError with the same code and message. The studio
// passes every handler through here, so no service needs to catch one.
import { StudioError } from '../../preload/contract/index.ts'
import { HostError } from '../engine-host/protocol/errors.ts'
import type { Handlers } from '../ipc/router.ts'

function studioError(err: unknown): unknown {
  return err instanceof HostError ? new StudioError(err.code, err.message) : err
}

/** The handlers, each rejecting with studioError(err) where it would reject with err. */
export function withStudioErrors(handlers: Handlers): Handlers {
  const wrapped: Record<string, (input: unknown) => Promise<unknown>> = {}
  for (const [channel, handler] of Object.entries(handlers) as [string, (input: unknown) => Promise<unknown>][]) {
    wrapped[channel] = async (input) => {
      try {
        return await handler(input)
      } catch (err) {
        throw studioError(err)
      }
    }
  }
  return wrapped as Handlers
}
