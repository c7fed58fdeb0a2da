import { connect, createServer as createTcpServer } from 'node:net'
import { networkInterfaces } from 'node:os'
import { readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { encodeFrame } from '../../preload/contract/wire.ts'
import { RENDERER_CSP } from '../../main/web/static.ts'
import { startWebServer, type WebServer } from '../../main/web/server.ts'
import {
  closed,
  fakeRendererDir,
  fakeStudio,
  http,
  inbox,
  INDEX_HTML,
  INFO,
  openSocket,
  SECRET,
  sendRequest,
  startFake,
  TOKEN,
} from './helpers.ts'

const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

async function running(overrides: Parameters<typeof startFake>[0] = {}) {
  const started = await startFake(overrides)
  cleanup.push(() => started.files.remove(), () => started.server.close())
  return started
}

async function socket(port: number, options: Parameters<typeof openSocket>[1] = {}): Promise<WebSocket> {
  const ws = await openSocket(port, options)
  cleanup.push(() => ws.terminate())
  return ws
}

async function refusal(port: number, options: Parameters<typeof openSocket>[1]): Promise<number> {
  try {
    const ws = await openSocket(port, options)
    ws.terminate()
    return 101
  } catch (e) {
    return (e as { status?: number }).status ?? -1
  }
}

function rawHttp(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.end(text))
    let out = ''
    s.on('data', (d) => (out += d.toString('latin1')))
    s.on('close', () => resolve(out))
    s.on('error', reject)
  })
}

describe('web mode: listening', () => {
  it('listens on 127.0.0.1 only, and prints an address carrying a 256-bit token by default', async () => {
    const files = fakeRendererDir()
    cleanup.push(() => files.remove())
    const studio = fakeStudio()
    const server = await startWebServer({ rendererDir: files.rendererDir, router: studio.router, subscribe: studio.subscribe })
    cleanup.push(() => server.close())
    expect(server.token).toMatch(/^[0-9a-f]{64}$/)
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${server.token}`)
    expect((await http(server.port, `/?token=${server.token}`)).status).toBe(200)
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && i.family === 'IPv4' && !i.internal)
    if (outside) {
      await expect(http(server.port, '/', { address: outside.address })).rejects.toThrow(/ECONNREFUSED/)
    }
  })

  it('refuses a port in use with EADDRINUSE, and close() frees the port and unsubscribes from events', async () => {
    const { server, studio, files } = await running()
    await expect(
      startWebServer({ port: server.port, token: TOKEN, rendererDir: files.rendererDir, router: studio.router, subscribe: studio.subscribe }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' })
    const ws = await socket(server.port)
    const goodbye = closed(ws)
    expect(studio.listenerCount()).toBe(1)
    await server.close()
    expect((await goodbye).code).toBe(1001)
    expect(studio.listenerCount()).toBe(0)
    const again = createTcpServer()
    await new Promise<void>((done, fail) => again.once('error', fail).listen(server.port, '127.0.0.1', done))
    await new Promise<void>((done) => again.close(() => done()))
    await server.close() // twice is fine
  })
})

describe('web mode: the page', () => {
  it('serves index.html only with the token, under the strict CSP plus its own WebSocket, never cached', async () => {
    const { server } = await running()
    const page = await http(server.port, `/?token=${TOKEN}`)
    expect(page.status).toBe(200)
    expect(page.body).toBe(INDEX_HTML)
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(page.headers['cache-control']).toBe('no-store')
    expect(page.headers['x-content-type-options']).toBe('nosniff')
    expect(page.headers['referrer-policy']).toBe('no-referrer')
    expect(page.headers['access-control-allow-origin']).toBeUndefined()
    const csp = String(page.headers['content-security-policy'])
    expect(csp).toContain("script-src 'self';")
    expect(csp).toContain("object-src 'none'")
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${server.port};`)
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain('unsafe')
    expect((await http(server.port, `/index.html?token=${TOKEN}`)).body).toBe(INDEX_HTML)
  })

  it('keeps the policy equal to the one the renderer declares (and so to the desktop app’s)', () => {
    const html = readFileSync(new URL('../../renderer/index.html', import.meta.url), 'utf8')
    expect(RENDERER_CSP).toBe(/http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html)?.[1])
  })

  it('answers a missing or wrong token with a 403 page that points to the printed address', async () => {
    const { server } = await running()
    for (const target of ['/', '/index.html', '/?token=', `/?token=${'b'.repeat(64)}`, `/?token=${TOKEN}x`, '/%69ndex.html']) {
      const answer = await http(server.port, target)
      expect(answer.status, target).toBe(403)
      expect(answer.body).toContain('printed')
      expect(answer.body).not.toContain('fake studio')
      expect(answer.headers['content-security-policy']).toContain("default-src 'none'")
    }
  })

  it('serves assets without the token, with their type and nosniff', async () => {
    const { server } = await running()
    const script = await http(server.port, '/assets/app.js')
    expect(script.status).toBe(200)
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(script.headers['x-content-type-options']).toBe('nosniff')
    expect(script.body).toContain('studio')
    expect((await http(server.port, '/assets/missing.js')).status).toBe(404)
    expect((await http(server.port, '/assets/app.js', { method: 'HEAD' })).body).toBe('')
  })

  it('refuses a Host that is not 127.0.0.1 or localhost at its port (DNS rebinding)', async () => {
    const { server } = await running()
    const p = server.port
    for (const host of ['evil.example', `evil.example:${p}`, `127.0.0.1:${p + 1}`, '127.0.0.1', `0.0.0.0:${p}`, `[::1]:${p}`]) {
      expect((await http(p, `/?token=${TOKEN}`, { host })).status, host).toBe(403)
      expect((await http(p, '/assets/app.js', { host })).status, host).toBe(403)
    }
    // no Host at all (HTTP/1.0), and an empty one
    expect(await rawHttp(p, `GET /?token=${TOKEN} HTTP/1.0\r\n\r\n`)).toMatch(/^HTTP\/1\.1 403/)
    expect(await rawHttp(p, `GET /?token=${TOKEN} HTTP/1.1\r\nHost: \r\n\r\n`)).toMatch(/^HTTP\/1\.1 403/)
    expect((await http(p, `/?token=${TOKEN}`, { host: `localhost:${p}` })).status).toBe(200)
    expect((await http(p, `/?token=${TOKEN}`, { host: `LOCALHOST:${p}` })).status).toBe(200)
  })

  it('never serves a file outside the renderer folder, nor dot-files inside it', async () => {
    const { server } = await running()
    for (const target of [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/..%5csecret.txt',
      '/assets/outside/secret.txt',
      '/.env',
      '/%2eenv',
      '//secret.txt',
      '/assets/app.js%00.png',
      '/%E0%A4%A',
    ]) {
      const answer = await http(server.port, target)
      expect(answer.status, target).toBeGreaterThanOrEqual(400)
      expect(answer.body, target).not.toContain(SECRET)
    }
  })

  it('allows only GET and HEAD, and answers malformed requests with 400 without falling over', async () => {
    const { server } = await running()
    expect((await http(server.port, '/assets/app.js', { method: 'POST' })).status).toBe(405)
    expect(await rawHttp(server.port, 'NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/)
    expect(await rawHttp(server.port, `GET / HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nX: \u0000\r\n\r\n`)).toMatch(
      /^HTTP\/1\.1 400/,
    )
    expect(await rawHttp(server.port, 'GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 403/,
    )
    expect((await http(server.port, '/assets/app.js')).status).toBe(200)
  })
})

describe('web mode: the WebSocket', () => {
  it('refuses a wrong or missing token, a foreign or missing Origin, a foreign Host and other paths', async () => {
    const { server, logs } = await running()
    const p = server.port
    expect(await refusal(p, { token: null })).toBe(403)
    expect(await refusal(p, { token: 'b'.repeat(64) })).toBe(403)
    expect(await refusal(p, { origin: 'http://evil.example' })).toBe(403)
    expect(await refusal(p, { origin: `http://127.0.0.1:${p}.evil.example` })).toBe(403)
    expect(await refusal(p, { origin: 'null' })).toBe(403)
    expect(await refusal(p, { origin: null })).toBe(403)
    expect(await refusal(p, { origin: `http://localhost:${p}` })).toBe(403) // not the page's own origin
    expect(await refusal(p, { host: `evil.example:${p}`, origin: `http://evil.example:${p}` })).toBe(403)
    expect(await refusal(p, { path: `/other?token=${TOKEN}` })).toBe(404)
    expect(await refusal(p, {})).toBe(101)
    expect(await refusal(p, { host: `localhost:${p}`, origin: `http://localhost:${p}` })).toBe(101)
    expect(logs.join('\n')).not.toContain(TOKEN)
  })

  it('routes a request and answers it, with Float32Array and Uint8Array crossing as exact bytes', async () => {
    const { server } = await running()
    const ws = await socket(server.port)
    const box = inbox(ws)
    const z = new Float32Array([1.5, -0, 3.4028234663852886e38, -1e-45])
    sendRequest(ws, 1, 'images:render', { view: 'explore', points: [{ z, y: new Float32Array([1]), truncation: 0.5 }] })
    const render = (await box.reply(1)) as { ok: boolean; value: { pixels: Uint8Array } }
    expect(render.ok).toBe(true)
    expect(render.value.pixels).toBeInstanceOf(Uint8Array)
    expect([...render.value.pixels]).toEqual([...new Uint8Array(z.buffer)])

    const bytes = new Uint8Array(100_000).map((_, i) => i % 251)
    sendRequest(ws, 2, 'favourites:import', { bytes })
    expect(await box.reply(2)).toEqual({
      ok: true,
      value: { imported: bytes.length, skipped: bytes.reduce((a, b) => a + b, 0), errors: [] },
    })
    sendRequest(ws, 3, 'engine:info')
    expect(await box.reply(3)).toEqual({ ok: true, value: INFO })
  })

  it('answers requests that break the contract with bad-input, and keeps the socket', async () => {
    const { server } = await running()
    const ws = await socket(server.port)
    const box = inbox(ws)
    sendRequest(ws, 1, 'engine:format-disk')
    sendRequest(ws, 2, 'images:render', { view: 'x', points: [{ z: [1, 2], y: new Float32Array(1), truncation: 1 }] })
    sendRequest(ws, 3, 'favourites:delete', { id: 1 }) // in the contract, not in this shell's table
    expect(await box.reply(1)).toMatchObject({ ok: false, error: { code: 'bad-input' } })
    expect(await box.reply(2)).toMatchObject({ ok: false, error: { code: 'bad-input' } })
    expect(await box.reply(3)).toMatchObject({ ok: false, error: { code: 'failed' } })
    expect(ws.readyState).toBe(WebSocket.OPEN)
  })

  it('runs many requests of one socket at once, each answered under its own id', async () => {
    const { server, studio } = await running()
    const ws = await socket(server.port)
    const box = inbox(ws)
    sendRequest(ws, 1, 'classes:search', { query: 'wait1' })
    for (let id = 2; id <= 60; id++) sendRequest(ws, id, 'classes:search', { query: `q${id}` })
    for (let id = 2; id <= 60; id++) expect(await box.reply(id)).toEqual({ ok: true, value: [{ index: id, name: `q${id}` }] })
    // the first is still running while the others were answered
    expect(box.messages.some((m) => m.id === 1)).toBe(false)
    studio.release('wait1')
    expect(await box.reply(1)).toEqual({ ok: true, value: [{ index: 1, name: 'wait1' }] })
  })

  it('closes only the socket that sends a malformed frame; the server and other sockets carry on', async () => {
    const { server, studio } = await running({ maxRequestBytes: 64 * 1024 })
    const bystander = await socket(server.port)
    const garbage: [string, (ws: WebSocket) => void, number][] = [
      ['text frame', (ws) => ws.send('{"id":1,"channel":"engine:info"}'), 1003],
      ['random bytes', (ws) => ws.send(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])), 1007],
      ['empty frame', (ws) => ws.send(new Uint8Array(0)), 1007],
      ['no id', (ws) => ws.send(encodeFrame({ channel: 'engine:info' })), 1007],
      ['__proto__', (ws) => ws.send(encodeFrame(JSON.parse('{"id":1,"channel":"x","input":{"__proto__":{"a":1}}}'))), 1007],
      ['over maxPayload', (ws) => ws.send(new Uint8Array(64 * 1024 + 1)), 1009],
    ]
    for (const [name, sendBad, code] of garbage) {
      const ws = await socket(server.port)
      const bye = closed(ws)
      sendBad(ws)
      expect((await bye).code, name).toBe(code)
    }
    const box = inbox(bystander)
    sendRequest(bystander, 9, 'engine:info')
    expect(await box.reply(9)).toMatchObject({ ok: true })
    studio.emit({ type: 'notice', level: 'info', message: 'still here' })
    expect(await box.events(1)).toEqual([{ type: 'notice', level: 'info', message: 'still here' }])
  })

  it('sends every event to every open socket', async () => {
    const { server, studio } = await running()
    const sockets = await Promise.all([socket(server.port), socket(server.port), socket(server.port)])
    const boxes = sockets.map(inbox)
    const model = { type: 'progress', job: 'models:open', label: 'reading', done: 1, total: 3 } as const
    studio.emit(model)
    studio.emit({ type: 'notice', level: 'warning', message: 'second' })
    for (const box of boxes) {
      expect(await box.events(2)).toEqual([model, { type: 'notice', level: 'warning', message: 'second' }])
    }
  })

  it('drops a reply whose socket closed before the handler finished, and keeps serving', async () => {
    const { server, studio } = await running()
    const ws = await socket(server.port)
    sendRequest(ws, 1, 'classes:search', { query: 'wait2' })
    while (!studio.isWaiting('wait2')) await new Promise((r) => setTimeout(r, 5))
    ws.terminate()
    await closed(ws)
    studio.release('wait2')
    const other = await socket(server.port)
    const box = inbox(other)
    sendRequest(other, 1, 'engine:info')
    expect(await box.reply(1)).toMatchObject({ ok: true })
  })
})
