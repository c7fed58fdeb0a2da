// A file server on 127.0.0.1 for the download tests, with the misbehaviours real servers have: it honours Range
// (with an ETag) unless told not to, and a route can cut the connection after some bytes, stall, lie about the
// length, redirect, or fail with a status. Nothing here touches the internet.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Route {
  /** the file's bytes */
  body?: Uint8Array
  /** answer with this status and no body */
  status?: number
  /** answer 302 to this path or address */
  redirect?: string
  /** ignore Range headers (always 200 with the whole file) */
  ignoreRange?: boolean
  /** close the connection after this many body bytes, for the first `cutTimes` requests */
  cutAfter?: number
  cutTimes?: number
  /** send the headers, then nothing */
  stall?: boolean
  /** send without Content-Length (chunked), so the client cannot know the size */
  chunked?: boolean
  /** send the body in pieces of this many bytes, `paceMs` apart (a slow link, so progress can be watched) */
  paceBytes?: number
  paceMs?: number
  /** change the ETag (as if the file were replaced) */
  etag?: string
}

export interface TestServer {
  url: (path: string) => string
  /** the requests seen, as 'METHOD path range' */
  log: string[]
  routes: Map<string, Route>
  close: () => Promise<void>
}

export async function startServer(routes: Record<string, Route> = {}): Promise<TestServer> {
  const table = new Map(Object.entries(routes))
  const log: string[] = []
  const cuts = new WeakMap<Route, number>() // per route object, so a route set again cuts again
  const open = new Set<ServerResponse>()
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]
    log.push(`${req.method} ${path} ${req.headers.range ?? ''}`.trim())
    const route = table.get(path)
    if (!route) return void res.writeHead(404).end('not found')
    if (route.redirect) return void res.writeHead(302, { location: route.redirect }).end()
    if (route.status) return void res.writeHead(route.status).end()
    const body = route.body ?? new Uint8Array()
    const etag = route.etag ?? `"v1-${body.length}"`
    let start = 0
    let status = 200
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '')
    const ifRange = req.headers['if-range']
    if (range && !route.ignoreRange && (!ifRange || ifRange === etag)) {
      start = Number(range[1])
      if (start >= body.length) {
        return void res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end()
      }
      status = 206
    }
    const headers: Record<string, string> = { etag, 'accept-ranges': route.ignoreRange ? 'none' : 'bytes' }
    if (!route.chunked) headers['content-length'] = String(body.length - start)
    if (status === 206) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`
    res.writeHead(status, headers)
    if (req.method === 'HEAD') return void res.end()
    if (route.stall) {
      open.add(res)
      res.write(body.subarray(start, start + 1))
      return
    }
    const cutsSoFar = cuts.get(route) ?? 0
    if (route.cutAfter !== undefined && cutsSoFar < (route.cutTimes ?? 1)) {
      cuts.set(route, cutsSoFar + 1)
      res.write(body.subarray(start, start + route.cutAfter), () => res.destroy())
      return
    }
    if (route.paceBytes) {
      const piece = route.paceBytes
      const send = (at: number): void => {
        if (at >= body.length) return void res.end()
        res.write(body.subarray(at, at + piece))
        setTimeout(() => send(at + piece), route.paceMs ?? 10)
      }
      return send(start)
    }
    res.end(body.subarray(start))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    log,
    routes: table,
    close: async () => {
      for (const res of open) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** Deterministic bytes of a given length. */
export function bytesOf(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x >>> 24
  }
  return out
}
