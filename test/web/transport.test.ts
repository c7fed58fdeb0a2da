import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { buildStudioApi, type Reply, type StudioEvent } from '../../preload/contract/index.ts'
import { startWebServer } from '../../main/web/server.ts'
import { connectWeb, type SocketLike, type WebTransport } from '../../renderer/lib/webTransport.ts'
import { INFO, startFake, TOKEN } from './helpers.ts'

const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step()
})

// The browser's WebSocket stands in as the ws package's, sending the Origin a page served by the server would.
function transport(port: number, token = TOKEN): WebTransport {
  const web = connectWeb(`ws://127.0.0.1:${port}/api`, token, {
    createSocket: (url) => new WebSocket(url, { origin: `http://127.0.0.1:${port}` }) as unknown as SocketLike,
    minDelayMs: 10,
    maxDelayMs: 40,
  })
  cleanup.push(() => web.close())
  return web
}

function nextEvent(web: WebTransport, predicate: (e: StudioEvent) => boolean): Promise<StudioEvent> {
  return new Promise((resolve) => {
    const stop = web.subscribe((e) => {
      if (predicate(e as StudioEvent)) {
        stop()
        resolve(e as StudioEvent)
      }
    })
  })
}

describe('web mode in the browser: the WebSocket transport', () => {
  it('queues requests until the socket opens, then gets each reply, typed arrays intact', async () => {
    const { server, files } = await startFake()
    cleanup.push(() => files.remove(), () => server.close())
    const web = transport(server.port)
    const z = new Float32Array([0.25, -2, 7e-40])
    const [info, render] = await Promise.all([
      web.invoke('engine:info', undefined),
      web.invoke('images:render', { view: 'v', points: [{ z, y: new Float32Array([1]), truncation: 1 }] }),
    ])
    expect(info).toEqual({ ok: true, value: INFO })
    const pixels = (render as { ok: true; value: { pixels: Uint8Array } }).value.pixels
    expect([...pixels]).toEqual([...new Uint8Array(z.buffer)])
  })

  it('gives the views a typed StudioApi through buildStudioApi, errors as StudioError', async () => {
    const { server, files } = await startFake()
    cleanup.push(() => files.remove(), () => server.close())
    const web = transport(server.port)
    const api = buildStudioApi(web.invoke, web.subscribe)
    expect(await api.engine.info()).toEqual(INFO)
    await expect(api.favourites.delete({ id: 1 })).rejects.toMatchObject({ name: 'StudioError', code: 'failed' })
  })

  it('fans events out to every listener until it unsubscribes', async () => {
    const { server, studio, files } = await startFake()
    cleanup.push(() => files.remove(), () => server.close())
    const web = transport(server.port)
    await web.invoke('engine:info', undefined) // connected
    const a: unknown[] = []
    const b: unknown[] = []
    const stopA = web.subscribe((e) => a.push(e))
    web.subscribe((e) => b.push(e))
    studio.emit({ type: 'notice', level: 'info', message: 'one' })
    await web.invoke('engine:info', undefined) // the event was sent before this reply
    stopA()
    studio.emit({ type: 'notice', level: 'info', message: 'two' })
    await web.invoke('engine:info', undefined)
    expect(a).toEqual([{ type: 'notice', level: 'info', message: 'one' }])
    expect(b.map((e) => (e as StudioEvent).message)).toEqual(['one', 'two'])
  })

  it('fails unanswered requests when the server goes away, then reconnects once it is back', async () => {
    const first = await startFake()
    cleanup.push(() => first.files.remove())
    const port = first.server.port
    const web = transport(port)
    await web.invoke('engine:info', undefined)
    const lost = nextEvent(web, (e) => e.level === 'warning')
    const pending = web.invoke('classes:search', { query: 'wait-forever' })
    while (!first.studio.isWaiting('wait-forever')) await new Promise((r) => setTimeout(r, 5))
    await first.server.close()
    const reply = (await pending) as Reply<unknown>
    expect(reply).toMatchObject({ ok: false, error: { code: 'failed' } })
    expect(!reply.ok && reply.error.message).toMatch(/studio server went away/)
    expect((await lost).message).toMatch(/reconnecting/)

    const back = await startWebServer({
      port,
      token: TOKEN,
      rendererDir: first.files.rendererDir,
      router: first.studio.router,
      subscribe: first.studio.subscribe,
    })
    cleanup.push(() => back.close())
    await nextEvent(web, (e) => e.level === 'info' && /Reconnected/.test(e.message ?? ''))
    expect(await web.invoke('engine:info', undefined)).toEqual({ ok: true, value: INFO })
  })

  it('fails a request with a clear reply when no server answers, rather than waiting forever', async () => {
    const { server, files } = await startFake()
    cleanup.push(() => files.remove())
    const port = server.port
    await server.close()
    const reply = await transport(port).invoke('engine:info', undefined)
    expect(reply).toMatchObject({ ok: false, error: { code: 'failed' } })
    expect(!reply.ok && reply.error.message).toMatch(/cannot reach the studio server/)
  })

  it('refuses to send what the wire cannot carry, and fails everything once closed', async () => {
    const { server, files } = await startFake()
    cleanup.push(() => files.remove(), () => server.close())
    const web = transport(server.port)
    expect(await web.invoke('images:render', { z: new Float64Array(1) })).toMatchObject({
      ok: false,
      error: { code: 'bad-input' },
    })
    web.close()
    expect(await web.invoke('engine:info', undefined)).toMatchObject({ ok: false, error: { code: 'failed' } })
  })
})
