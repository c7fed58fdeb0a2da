// A web-mode server over a fake renderer folder and a small handler table, and clients that speak to it the way a
// browser would (HTTP with any Host, WebSocket with any Origin).
import { request } from 'node:http'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import type { EngineInfo, StudioEvent } from '../../preload/contract/index.ts'
import { decodeFrame, encodeFrame } from '../../preload/contract/wire.ts'
import { createRouter, type Handlers } from '../../main/ipc/router.ts'
import { startWebServer, type WebServer, type WebServerOptions } from '../../main/web/server.ts'

export const TOKEN = 'a'.repeat(64)
export const INDEX_HTML = '<!doctype html><title>fake studio</title><script type="module" src="./assets/app.js"></script>'
export const SECRET = 'the secret outside the renderer folder'

export const INFO: EngineInfo = {
  backend: 'cpu',
  tfBackend: 'cpu',
  threads: 1,
  simd: false,
  version: '4.22.0',
  engineVersion: 'test',
  tried: [{ name: 'cpu', ok: true }],
  notes: [],
  previews: 'tfjs',
  shell: 'web',
}

/** A temporary folder holding `renderer/` (index.html, assets/app.js, a link leading out) and a secret beside it. */
export function fakeRendererDir(): { dir: string; rendererDir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'biggan-web-'))
  const rendererDir = join(dir, 'renderer')
  mkdirSync(join(rendererDir, 'assets'), { recursive: true })
  writeFileSync(join(rendererDir, 'index.html'), INDEX_HTML)
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log("studio")\n')
  writeFileSync(join(rendererDir, '.env'), SECRET)
  writeFileSync(join(dir, 'secret.txt'), SECRET)
  symlinkSync(dir, join(rendererDir, 'assets', 'outside'))
  return { dir, rendererDir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Handlers for a few channels: engine:info, images:render (pixels are the bytes of the points' z), favourites:import
 *  (counts and sums the bytes), classes:search (answers when `release(query)` is called, to test concurrency). */
export function fakeStudio() {
  const listeners = new Set<(event: StudioEvent) => void>()
  const waiting = new Map<string, () => void>()
  const handlers = {
    'engine:info': async () => INFO,
    'images:render': async ({ points }: { points: { z: Float32Array }[] }) => {
      const bytes = points.flatMap((p) => [...new Uint8Array(p.z.buffer, p.z.byteOffset, p.z.byteLength)])
      return { width: bytes.length / 4, height: 1, count: 1, pixels: new Uint8Array(bytes) }
    },
    'favourites:import': async ({ bytes }: { bytes: Uint8Array }) => ({
      imported: bytes.length,
      skipped: bytes.reduce((a, b) => a + b, 0),
      errors: [],
    }),
    'classes:search': async ({ query }: { query: string }) => {
      if (query.startsWith('wait')) await new Promise<void>((done) => waiting.set(query, done))
      return [{ index: Number(query.replace(/\D/g, '') || 0), name: query }]
    },
  } as unknown as Handlers
  return {
    router: createRouter(handlers),
    subscribe(listener: (event: StudioEvent) => void) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    emit: (event: StudioEvent) => listeners.forEach((l) => l(event)),
    listenerCount: () => listeners.size,
    release: (query: string) => waiting.get(query)?.(),
    isWaiting: (query: string) => waiting.has(query),
  }
}

export async function startFake(
  overrides: Partial<WebServerOptions> = {},
): Promise<{ server: WebServer; studio: ReturnType<typeof fakeStudio>; files: ReturnType<typeof fakeRendererDir>; logs: string[] }> {
  const files = fakeRendererDir()
  const studio = fakeStudio()
  const logs: string[] = []
  const server = await startWebServer({
    port: 0,
    token: TOKEN,
    rendererDir: files.rendererDir,
    router: studio.router,
    subscribe: studio.subscribe,
    log: (line) => logs.push(line),
    ...overrides,
  })
  return { server, studio, files, logs }
}

export interface HttpAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

/** GET (or another method) with the exact target and Host given, as a raw client would send them. */
export function http(
  port: number,
  target: string,
  options: { host?: string; method?: string; address?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: options.address ?? '127.0.0.1',
        port,
        path: target,
        method: options.method ?? 'GET',
        headers: { host: options.host ?? `127.0.0.1:${port}` },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/** Opens a WebSocket to /api like a page would; rejects with the HTTP status when the server refuses. */
export function openSocket(
  port: number,
  options: { token?: string | null; origin?: string | null; host?: string; path?: string } = {},
): Promise<WebSocket> {
  const token = options.token === undefined ? TOKEN : options.token
  const path = options.path ?? `/api${token === null ? '' : `?token=${encodeURIComponent(token)}`}`
  const origin = options.origin === undefined ? `http://127.0.0.1:${port}` : options.origin
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, {
      ...(origin === null ? {} : { origin }),
      headers: options.host ? { host: options.host } : {},
    })
    ws.binaryType = 'nodebuffer'
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => {
      reject(Object.assign(new Error(`refused with ${res.statusCode}`), { status: res.statusCode }))
      ws.terminate()
    })
    ws.once('error', reject)
  })
}

/** Collects what the server sends a socket, decoded. */
export function inbox(ws: WebSocket) {
  const messages: Record<string, unknown>[] = []
  const waiters: (() => void)[] = []
  ws.on('message', (data: Buffer) => {
    messages.push(decodeFrame(new Uint8Array(data)) as Record<string, unknown>)
    waiters.splice(0).forEach((w) => w())
  })
  const until = async (predicate: () => boolean): Promise<void> => {
    while (!predicate()) await new Promise<void>((done) => waiters.push(done))
  }
  return {
    messages,
    async reply(id: number): Promise<Record<string, unknown>> {
      await until(() => messages.some((m) => m.id === id))
      return messages.find((m) => m.id === id)!.reply as Record<string, unknown>
    },
    async events(count: number): Promise<unknown[]> {
      await until(() => messages.filter((m) => 'event' in m).length >= count)
      return messages.filter((m) => 'event' in m).map((m) => m.event)
    },
  }
}

export function sendRequest(ws: WebSocket, id: number, channel: string, input?: unknown): void {
  ws.send(encodeFrame({ id, channel, input }))
}

export function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    if (ws.readyState === WebSocket.CLOSED) return resolve({ code: 1006, reason: '' })
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))
  })
}
