// The IPC router, free of Electron so that tests drive it directly: the handler table must cover every channel
// of the contract (the type checker holds it to that), each input is parsed with the contract's schema before a
// handler sees it, and each answer is a Reply — never a thrown error, which Electron would flatten to a string.
import {
  StudioError,
  contract,
  isChannel,
  type Channel,
  type Input,
  type Output,
  type Reply,
} from '../../preload/contract/index.ts'

export type Handlers = { [C in Channel]: (input: Input<C>) => Promise<Output<C>> }

export interface Router {
  handle(channel: string, input: unknown): Promise<Reply<unknown>>
}

export function createRouter(handlers: Handlers): Router {
  return {
    async handle(channel, input) {
      if (!isChannel(channel)) {
        return { ok: false, error: { code: 'bad-input', message: `unknown channel '${channel}'` } }
      }
      const handler = handlers[channel] as ((input: Input<Channel>) => Promise<Output<Channel>>) | undefined
      if (!handler) return { ok: false, error: { code: 'failed', message: `${channel}: not available in this shell` } }
      return dispatch(channel, handler, input)
    },
  }
}

async function dispatch<C extends Channel>(
  channel: C,
  handler: (input: Input<C>) => Promise<Output<C>>,
  raw: unknown,
): Promise<Reply<Output<C>>> {
  const schemas = contract[channel]
  let input: Input<C>
  try {
    input = schemas.input.parse(raw, 'input') as Input<C>
  } catch (e) {
    return { ok: false, error: { code: 'bad-input', message: `${channel}: ${messageOf(e)}` } }
  }
  try {
    const value = schemas.output.parse(await handler(input), 'output') as Output<C>
    return { ok: true, value }
  } catch (e) {
    if (e instanceof StudioError) return { ok: false, error: { code: e.code, message: e.message } }
    const detail = e instanceof Error ? e.stack : undefined
    return { ok: false, error: { code: 'failed', message: messageOf(e), ...(detail ? { detail } : {}) } }
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}
