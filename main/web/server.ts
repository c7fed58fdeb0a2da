// Web mode's server: the built renderer over HTTP and the contract over one WebSocket per page, on 127.0.0.1 only.
// It decides nothing about the studio: each request goes through the same Router as Electron's IPC (which parses
// its input against the contract), and each event the studio publishes goes to every page. Who may connect is
// decided in guard.ts, what files exist in static.ts, how messages are framed in preload/contract/wire.ts.
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import type { Duplex } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { WebSocket, WebSocketServer, type RawData } from 'ws'
import { LIMITS, type Reply, type StudioEvent } from '../../preload/contract/index.ts'
import { decodeFrame, encodeFrame, readRequest, WireError, type WireLimits, type WireRequest } from '../../preload/contract/wire.ts'
import type { Router } from '../ipc/router.ts'
import { isOwnOrigin, ourHost, parseTarget, tokenMatches } from './guard.ts'
import { BARE_CSP, COMMON_HEADERS, mimeOf, pageCsp, rendererFile } from './static.ts'
import { TOKEN_PAGE_CSP, TOKEN_PAGE_HTML } from './tokenPage.ts'

export interface WebServerOptions {
  /** 0 picks a free port */
  port?: number
  /** the token pages must carry (the data folder's, main/web/token.ts); 32 random bytes in hex when absent */
  token?: string
  /** the built renderer (out/renderer) */
  rendererDir: string
  router: Router
  subscribe(listener: (event: StudioEvent) => void): () => void
  log?: (line: string) => void
  /** the largest request frame; the largest file the contract accepts, plus room for its message */
  maxRequestBytes?: number
}

export interface WebServer {
  /** http://127.0.0.1:PORT/?token=… */
  url: string
  port: number
  token: string
  /** closes every WebSocket and the listening socket; the port is free once it resolves */
  close(): Promise<void>
}

const HOST = '127.0.0.1'
const DEFAULT_MAX_REQUEST_BYTES = LIMITS.favouritesFileBytes + 1024 * 1024
/** requests one page may have unanswered at once */
const MAX_IN_FLIGHT = 1024
/** a page that stops answering pings for this long is dropped */
const HEARTBEAT_MS = 30_000
/** past this much unsent data, a page misses events rather than the server buffering without bound */
const MAX_BUFFERED_EVENT_BYTES = 64 * 1024 * 1024

const STATUS_TEXT: Record<number, string> = { 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' }

interface Client {
  alive: boolean
  inFlight: number
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const token = options.token ?? randomBytes(32).toString('hex')
  if (token.length < 16) throw new Error('web mode: the token must have at least 16 characters')
  const requestedPort = options.port ?? 0
  if (!Number.isInteger(requestedPort) || requestedPort < 0 || requestedPort > 65535) {
    throw new Error(`web mode: the port must be an integer from 0 to 65535, got ${requestedPort}`)
  }
  const log = options.log ?? (() => {})
  const rendererDir = resolve(options.rendererDir)
  const maxRequestBytes = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES
  const requestLimits: WireLimits = {
    maxFrameBytes: maxRequestBytes,
    maxJsonBytes: Math.min(maxRequestBytes, 16 * 1024 * 1024),
    maxSections: 4096,
    maxDepth: 32,
  }
  const clients = new Map<WebSocket, Client>()
  let port = 0
  let closing = false

  const http = createServer((req, res) => {
    serveHttp(req, res).catch((e: unknown) => {
      log(`web: ${req.method} failed: ${messageOf(e)}`)
      if (!res.headersSent) plain(res, 500, 'internal error')
      else res.destroy()
    })
  })
  // A request Node cannot parse (malformed Host, header flood): answered and dropped, never thrown.
  http.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    else socket.destroy()
  })
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxRequestBytes, perMessageDeflate: false })
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    try {
      upgrade(req, socket, head)
    } catch (e) {
      log(`web: a WebSocket handshake failed: ${messageOf(e)}`)
      socket.destroy()
    }
  })

  async function serveHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = ourHost(req.headers.host, port)
    if (!host) return plain(res, 403, `This server answers only to 127.0.0.1:${port} and localhost:${port}.`)
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD')
      return plain(res, 405, 'only GET and HEAD')
    }
    const url = parseTarget(req.url)
    if (!url) return plain(res, 400, 'bad request')
    if (url.pathname === '/api') return plain(res, 426, 'the studio API is a WebSocket')
    const file = await rendererFile(rendererDir, url.pathname === '/' ? '/index.html' : url.pathname)
    if (!file) {
      if (url.pathname === '/' || url.pathname === '/index.html') {
        return plain(res, 500, 'The renderer is not built: run `npm run build`, then start web mode again.')
      }
      return plain(res, 404, 'not found')
    }
    // Pages need the token; scripts, styles and images do not (they hold no secret).
    if (file.endsWith('.html')) {
      if (!tokenMatches(url.searchParams.get('token'), token)) return tokenPage(res)
      const html = await readFile(file)
      return send(res, 200, html, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': pageCsp(host),
        'cache-control': 'no-store',
      })
    }
    const size = (await stat(file)).size
    res.writeHead(200, {
      ...COMMON_HEADERS,
      'content-type': mimeOf(file),
      'content-length': String(size),
      'content-security-policy': pageCsp(host),
      'cache-control': 'no-cache',
    })
    if (req.method === 'HEAD') return void res.end()
    await pipeline(createReadStream(file), res)
  }

  // Checked before the handshake, so a refused client never holds a WebSocket (ws advises against verifyClient).
  function refusalOf(req: IncomingMessage): [number, string] | null {
    if (closing) return [503, 'the server is shutting down']
    const host = ourHost(req.headers.host, port)
    if (!host) return [403, 'wrong Host']
    const url = parseTarget(req.url)
    if (!url || url.pathname !== '/api') return [404, 'no WebSocket here']
    if (!isOwnOrigin(req.headers.origin, host)) return [403, 'foreign or missing Origin']
    if (!tokenMatches(url.searchParams.get('token'), token)) return [403, 'wrong or missing token']
    return null
  }

  function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refusal = refusalOf(req)
    if (!refusal) return wss.handleUpgrade(req, socket, head, (ws) => connect(ws))
    const [status, reason] = refusal
    log(`web: refused a WebSocket (${reason})`)
    const body = `${reason}\n`
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    )
  }

  function connect(ws: WebSocket): void {
    const client: Client = { alive: true, inFlight: 0 }
    clients.set(ws, client)
    ws.on('pong', () => (client.alive = true))
    // ws reports a protocol error or an oversized message here, then closes the socket itself.
    ws.on('error', (e) => log(`web: a WebSocket failed: ${e.message}`))
    ws.on('close', () => clients.delete(ws))
    ws.on('message', (data, isBinary) => receive(ws, client, data, isBinary))
  }

  // One frame from a page: a request, answered whenever its handler finishes (requests run concurrently). A frame
  // that is not a request closes that page's socket; the page reconnects, nothing else is affected.
  function receive(ws: WebSocket, client: Client, data: RawData, isBinary: boolean): void {
    if (!isBinary) return ws.close(1003, 'binary frames only')
    let request: WireRequest
    try {
      request = readRequest(decodeFrame(bytesOf(data), requestLimits))
    } catch (e) {
      log(`web: closed a WebSocket that sent a malformed frame: ${messageOf(e)}`)
      return ws.close(e instanceof WireError ? 1007 : 1011, closeReason(messageOf(e)))
    }
    if (client.inFlight >= MAX_IN_FLIGHT) {
      return reply(ws, request, failed(`${request.channel}: over ${MAX_IN_FLIGHT} requests at once; try again`))
    }
    client.inFlight++
    options.router
      .handle(request.channel, request.input)
      .catch((e: unknown) => failed(`${request.channel}: ${messageOf(e)}`))
      .then((answer) => reply(ws, request, answer))
      .catch((e: unknown) => log(`web: ${request.channel}: no reply was sent: ${messageOf(e)}`))
      .finally(() => client.inFlight--)
  }

  function reply(ws: WebSocket, request: WireRequest, answer: Reply<unknown>): void {
    if (ws.readyState !== WebSocket.OPEN) return
    let frame: Uint8Array
    try {
      frame = encodeFrame({ id: request.id, reply: answer })
    } catch (e) {
      frame = encodeFrame({ id: request.id, reply: failed(`${request.channel}: the reply could not be sent: ${messageOf(e)}`) })
    }
    ws.send(frame, { binary: true }, (e) => e && log(`web: a reply was not sent: ${e.message}`))
  }

  function broadcast(event: StudioEvent): void {
    let frame: Uint8Array
    try {
      frame = encodeFrame({ event })
    } catch (e) {
      return log(`web: an event could not be encoded: ${messageOf(e)}`)
    }
    for (const ws of clients.keys()) {
      if (ws.readyState === WebSocket.OPEN && ws.bufferedAmount <= MAX_BUFFERED_EVENT_BYTES) {
        ws.send(frame, { binary: true }, () => {})
      }
    }
  }

  await new Promise<void>((done, fail) => {
    http.once('error', fail)
    http.listen({ port: requestedPort, host: HOST, exclusive: true }, () => {
      http.off('error', fail)
      done()
    })
  })
  http.on('error', (e) => log(`web: server error: ${e.message}`))
  port = (http.address() as AddressInfo).port
  const unsubscribe = options.subscribe(broadcast)
  const heartbeat = setInterval(() => {
    for (const [ws, client] of clients) {
      if (!client.alive) {
        ws.terminate()
        continue
      }
      client.alive = false
      ws.ping()
    }
  }, HEARTBEAT_MS)
  heartbeat.unref()

  let closed: Promise<void> | null = null
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      closing = true
      unsubscribe()
      clearInterval(heartbeat)
      await Promise.all([...clients.keys()].map(closeGracefully))
      wss.close()
      await new Promise<void>((done) => {
        http.close(() => done())
        http.closeAllConnections()
      })
    })())

  return { url: `http://${HOST}:${port}/?token=${encodeURIComponent(token)}`, port, token, close }
}

/** Says goodbye (code 1001, so the page knows to reconnect), and hangs up on a page that does not answer. */
function closeGracefully(ws: WebSocket): Promise<void> {
  return new Promise((done) => {
    if (ws.readyState === WebSocket.CLOSED) return done()
    const timer = setTimeout(() => ws.terminate(), 1000)
    ws.once('close', () => {
      clearTimeout(timer)
      done()
    })
    ws.close(1001, 'the studio server is shutting down')
  })
}

function tokenPage(res: ServerResponse): void {
  send(res, 403, Buffer.from(TOKEN_PAGE_HTML), { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': TOKEN_PAGE_CSP })
}

function plain(res: ServerResponse, status: number, text: string): void {
  send(res, status, Buffer.from(`${text}\n`), { 'content-type': 'text/plain; charset=utf-8', 'content-security-policy': BARE_CSP })
}

function send(res: ServerResponse, status: number, body: Buffer, headers: Record<string, string>): void {
  res.writeHead(status, {
    'cache-control': 'no-store',
    ...COMMON_HEADERS,
    ...headers,
    'content-length': String(body.length),
  })
  res.end(res.req.method === 'HEAD' ? undefined : body)
}

function failed(message: string): Reply<unknown> {
  return { ok: false, error: { code: 'failed', message } }
}

function bytesOf(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data
}

// A WebSocket close reason is at most 123 bytes of UTF-8.
function closeReason(message: string): string {
  return message.replace(/[^\x20-\x7e]/g, '?').slice(0, 120)
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}
