import { describe, expect, it } from 'vitest'
import { createRouter, type Handlers } from '../../main/ipc/router.ts'
import { buildStudioApi, CHANNELS, contract, StudioError, type Reply } from '../../preload/contract/index.ts'
import { s, SchemaError } from '../../preload/contract/schema.ts'

describe('the contract schema', () => {
  it('takes latents as finite Float32Arrays within their bound, never plain arrays or NaN', () => {
    const z = s.floats(4)
    expect(z.parse(new Float32Array([1, 2]))).toBeInstanceOf(Float32Array)
    expect(() => z.parse([1, 2])).toThrow(SchemaError)
    expect(() => z.parse(new Float32Array(5))).toThrow(/at most 4/)
    expect(() => z.parse(new Float32Array([0, Number.NaN]))).toThrow(/\[1\]/)
    expect(() => z.parse(new Float64Array(2))).toThrow(SchemaError)
  })

  it('bounds bytes, text, lists, integers, ranges and enumerations', () => {
    expect(() => s.bytes(3).parse(new Uint8Array(4))).toThrow(SchemaError)
    expect(() => s.text(3).parse('abcd')).toThrow(SchemaError)
    expect(() => s.list(s.number(), 2).parse([1, 2, 3])).toThrow(SchemaError)
    expect(() => s.integer(0, 5).parse(2.5)).toThrow(SchemaError)
    expect(() => s.integer(0, 5).parse(6)).toThrow(SchemaError)
    // a refusal shows the value beside the limit: the number, a short string, a long one's length
    expect(() => s.object({ steps: s.integer(1, 10_000_000) }).parse({ steps: 0 })).toThrow('steps: expected an integer in [1, 10000000], got 0')
    expect(() => s.text(200).parse('x'.repeat(10_000_000))).toThrow('expected a string of at most 200 characters, got a string of 10000000 characters')
    expect(() => s.oneOf('a', 'b').parse('c')).toThrow('expected one of a, b, got "c"')
    expect(() => s.range(0, 1).parse(Number.POSITIVE_INFINITY)).toThrow(SchemaError)
    expect(() => s.oneOf('gif', 'png-zip').parse('exe')).toThrow(/one of gif, png-zip/)
    expect(s.nullable(s.number()).parse(null)).toBeNull()
  })

  it('names every channel domain:verb, so the API groups them by domain', () => {
    for (const channel of CHANNELS) expect(channel).toMatch(/^[a-z]+:[a-zA-Z]+$/)
  })

  it('refuses a render request with too many points or a malformed point before any handler runs', () => {
    const input = contract['images:render'].input
    const point = { z: new Float32Array(8), y: new Float32Array(3), truncation: 1 }
    expect(input.parse({ view: 'explore', points: [point] }).points[0].z).toBeInstanceOf(Float32Array)
    expect(() => input.parse({ view: 'explore', points: Array(257).fill(point) })).toThrow(/at most 256/)
    expect(() => input.parse({ view: 'explore', points: [{ ...point, truncation: 0 }] })).toThrow(/truncation/)
  })
})

describe('the StudioApi built over a transport', () => {
  const info = {
    backend: 'wasm',
    tfBackend: 'wasm',
    threads: 1,
    simd: true,
    version: '4.22.0',
    engineVersion: '0.1.0',
    tried: [],
    notes: [],
    previews: 'tfjs',
    shell: 'web' as const,
  }

  it('maps domain.verb to the channel and checks the answer against the contract', async () => {
    const calls: string[] = []
    const api = buildStudioApi(
      async (channel) => (calls.push(channel), { ok: true, value: { ...info, extra: 1 } }),
      () => () => {},
    )
    const value = await api.engine.info()
    expect(calls).toEqual(['engine:info'])
    expect(value).toEqual(info)
  })

  it("rejects with a StudioError that keeps the back end's code, so views can ignore superseded renders", async () => {
    const router = createRouter({
      'images:render': async () => {
        throw new StudioError('superseded', 'a newer render replaced this one')
      },
    } as unknown as Handlers)
    const api = buildStudioApi((channel, input) => router.handle(channel, input) as Promise<Reply<unknown>>, () => () => {})
    const error = await api.images
      .render({ view: 'explore', points: [] })
      .then(() => null, (e: unknown) => e)
    expect(error).toBeInstanceOf(StudioError)
    expect((error as StudioError).code).toBe('superseded')
  })

  it('drops pushed events that break the contract', () => {
    let push: (e: unknown) => void = () => {}
    const api = buildStudioApi(
      async () => ({ ok: true, value: null }),
      (listener) => ((push = listener), () => {}),
    )
    const seen: unknown[] = []
    api.events.subscribe((e) => seen.push(e))
    push({ type: 'progress', job: 'models:open', done: 1, total: 4 })
    push({ type: 'format-disk' })
    push('nonsense')
    expect(seen).toEqual([{ type: 'progress', job: 'models:open', done: 1, total: 4 }])
  })
})
