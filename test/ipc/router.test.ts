import { describe, expect, it } from 'vitest'
import { createRouter, type Handlers } from '../../main/ipc/router.ts'
import { isTrustedSender } from '../../main/ipc/sender.ts'
import type { EngineInfo } from '../../preload/contract/index.ts'

const INFO: EngineInfo = {
  backend: 'wasm',
  tfBackend: 'wasm',
  threads: 1,
  simd: true,
  version: '4.22.0',
  engineVersion: '0.1.0',
  tried: [{ name: 'wasm', ok: true }],
  notes: [],
  previews: 'tfjs',
  shell: 'web',
}

function router(engineInfo: Handlers['engine:info']) {
  return createRouter({ 'engine:info': engineInfo } as unknown as Handlers)
}

describe('the IPC router', () => {
  it('answers engine:info with the handler value, checked against the contract', async () => {
    const reply = await router(async () => INFO).handle('engine:info', undefined)
    expect(reply).toEqual({ ok: true, value: INFO })
  })

  it('drops fields the contract does not declare', async () => {
    const extra = { ...INFO, secret: '/home/user' } as EngineInfo
    const reply = await router(async () => extra).handle('engine:info', undefined)
    expect(reply.ok && 'secret' in (reply.value as object)).toBe(false)
  })

  it('refuses an unknown channel and an input the contract does not allow, without calling the handler', async () => {
    let called = false
    const r = router(async () => ((called = true), INFO))
    expect(await r.handle('engine:format-disk', undefined)).toMatchObject({ ok: false, error: { code: 'bad-input' } })
    expect(await r.handle('__proto__', undefined)).toMatchObject({ ok: false, error: { code: 'bad-input' } })
    expect(await r.handle('engine:info', { path: '/etc' })).toMatchObject({ ok: false, error: { code: 'bad-input' } })
    expect(called).toBe(false)
  })

  it('turns a handler failure or a malformed answer into an error reply', async () => {
    const failing = await router(async () => {
      throw new Error('wasm did not load')
    }).handle('engine:info', undefined)
    expect(failing).toMatchObject({ ok: false, error: { code: 'failed', message: 'wasm did not load' } })
    const malformed = await router(async () => ({ ...INFO, threads: 'many' }) as unknown as EngineInfo).handle(
      'engine:info',
      undefined,
    )
    expect(malformed).toMatchObject({
      ok: false,
      error: { code: 'failed', message: expect.stringContaining('threads') },
    })
  })
})

describe('IPC sender check', () => {
  const origins = ['app://studio']
  it('trusts only the top frame of the studio origin', () => {
    expect(isTrustedSender({ url: 'app://studio/index.html', isTopFrame: true }, origins)).toBe(true)
    expect(isTrustedSender({ url: 'app://studio/index.html', isTopFrame: false }, origins)).toBe(false)
    expect(isTrustedSender({ url: 'app://evil/index.html', isTopFrame: true }, origins)).toBe(false)
    expect(isTrustedSender({ url: 'https://example.com/', isTopFrame: true }, origins)).toBe(false)
    expect(isTrustedSender({ url: 'file:///tmp/x.html', isTopFrame: true }, origins)).toBe(false)
    expect(isTrustedSender({ url: 'not a url', isTopFrame: true }, origins)).toBe(false)
    expect(isTrustedSender(null, origins)).toBe(false)
  })
})
