// Web mode's transport in the browser: the contract's requests and events over one WebSocket to main/web's server,
// framed by preload/contract/wire.ts. Requests made before the socket opens wait for it; when the connection drops,
// every unanswered request fails with a Reply saying so (never hangs) and the socket reconnects with backoff.
import type { Reply } from '../../preload/contract/index.ts'
import { decodeFrame, encodeFrame, readServerMessage } from '../../preload/contract/wire.ts'

export interface WebTransport {
  invoke(channel: string, input: unknown): Promise<Reply<unknown>>
  subscribe(listener: (event: unknown) => void): () => void
  /** closes the socket for good; unanswered requests fail */
  close(): void
}

/** The part of the browser's WebSocket this transport uses (tests pass the `ws` package's). */
export interface SocketLike {
  binaryType: string
  readonly readyState: number
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: unknown) => void) | null
  onerror: ((event: unknown) => void) | null
  send(data: Uint8Array): void
  close(code?: number, reason?: string): void
}

export interface WebTransportOptions {
  /** builds a socket; the browser's WebSocket by default */
  createSocket?: (url: string) => SocketLike
  /** the first reconnection delay, doubled on each failure up to maxDelayMs */
  minDelayMs?: number
  maxDelayMs?: number
}

const OPEN = 1

export function connectWeb(url: string, token: string, options: WebTransportOptions = {}): WebTransport {
  const createSocket = options.createSocket ?? ((address: string) => new WebSocket(address) as unknown as SocketLike)
  const minDelay = options.minDelayMs ?? 250
  const maxDelay = options.maxDelayMs ?? 10_000
  const address = `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`

  const pending = new Map<number, { channel: string; resolve: (reply: Reply<unknown>) => void }>()
  /** frames of requests made while the socket was not open, sent when it opens */
  let queue: Uint8Array[] = []
  const listeners = new Set<(event: unknown) => void>()
  let nextId = 1
  let socket: SocketLike | null = null
  let delay = minDelay
  let retry: ReturnType<typeof setTimeout> | null = null
  let everOpened = false
  /** the connection dropped and has not come back yet (the page was told) */
  let dropped = false
  let closed = false

  function open(): void {
    retry = null
    const s = createSocket(address)
    socket = s
    s.binaryType = 'arraybuffer'
    s.onopen = () => {
      if (dropped) emit({ type: 'notice', level: 'info', message: 'Reconnected to the studio server.' })
      everOpened = true
      dropped = false
      delay = minDelay
      const waiting = queue
      queue = []
      for (const frame of waiting) s.send(frame)
    }
    s.onmessage = (event) => receive(event.data)
    s.onerror = () => {} // onclose follows and says what to do
    s.onclose = () => {
      if (socket !== s) return
      socket = null
      failAll(
        everOpened
          ? 'the studio server went away (the connection closed); reconnecting — try again in a moment'
          : 'cannot reach the studio server: is web mode still running? (started again on the same data folder, it keeps its address)',
      )
      if (closed) return
      if (everOpened && !dropped) {
        dropped = true
        emit({ type: 'notice', level: 'warning', message: 'Lost the connection to the studio server; reconnecting…' })
      }
      retry = setTimeout(open, delay)
      delay = Math.min(delay * 2, maxDelay)
    }
  }

  function receive(data: unknown): void {
    if (!(data instanceof ArrayBuffer)) return
    let message
    try {
      message = readServerMessage(decodeFrame(new Uint8Array(data)))
    } catch {
      return // a frame this page cannot read answers nothing; its request fails when the socket closes
    }
    if ('event' in message) return emit(message.event)
    const request = pending.get(message.id)
    if (!request) return
    pending.delete(message.id)
    request.resolve(isReply(message.reply) ? message.reply : failed(`${request.channel}: the server sent a malformed reply`))
  }

  function emit(event: unknown): void {
    for (const listener of [...listeners]) {
      try {
        listener(event)
      } catch {
        // one listener's failure is not the others'
      }
    }
  }

  function failAll(why: string): void {
    const requests = [...pending.values()]
    pending.clear()
    queue = []
    for (const { channel, resolve } of requests) resolve(failed(`${channel}: ${why}`))
  }

  open()

  return {
    invoke(channel, input) {
      if (closed) return Promise.resolve(failed(`${channel}: the connection to the studio server is closed`))
      const id = nextId++
      let frame: Uint8Array
      try {
        frame = encodeFrame({ id, channel, input })
      } catch (e) {
        return Promise.resolve({
          ok: false,
          error: { code: 'bad-input', message: `${channel}: ${e instanceof Error ? e.message : String(e)}` },
        })
      }
      return new Promise((resolve) => {
        pending.set(id, { channel, resolve })
        if (socket && socket.readyState === OPEN) socket.send(frame)
        else {
          queue.push(frame)
          // A request made while waiting to reconnect need not wait out the backoff.
          if (!socket && retry !== null) {
            clearTimeout(retry)
            open()
          }
        }
      })
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    close() {
      closed = true
      if (retry !== null) clearTimeout(retry)
      retry = null
      const s = socket
      socket = null
      failAll('the connection to the studio server was closed')
      s?.close(1000, 'closed by the page')
    },
  }
}

function isReply(value: unknown): value is Reply<unknown> {
  if (typeof value !== 'object' || value === null) return false
  const reply = value as { ok?: unknown; error?: { code?: unknown; message?: unknown } }
  if (reply.ok === true) return true
  return reply.ok === false && typeof reply.error?.code === 'string' && typeof reply.error.message === 'string'
}

function failed(message: string): Reply<unknown> {
  return { ok: false, error: { code: 'failed', message } }
}
