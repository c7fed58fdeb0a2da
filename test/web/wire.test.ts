import { describe, expect, it } from 'vitest'
import { decodeFrame, encodeFrame, readRequest, readServerMessage, WireError } from '../../preload/contract/wire.ts'

const HEADER = 8

// A frame written by hand: header, JSON text, then raw bytes, for shapes encodeFrame would never produce.
function frame(json: string, data: Uint8Array = new Uint8Array(0), jsonLength?: number): Uint8Array {
  const body = new TextEncoder().encode(json)
  const dataStart = data.length ? Math.ceil((HEADER + body.length) / 8) * 8 : HEADER + body.length
  const out = new Uint8Array(dataStart + data.length)
  out.set([0x42, 0x47, 0x57, 0x31])
  new DataView(out.buffer).setUint32(4, jsonLength ?? body.length, true)
  out.set(body, HEADER)
  out.set(data, dataStart)
  return out
}

function jsonOf(bytes: Uint8Array): unknown {
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true)
  return JSON.parse(new TextDecoder().decode(bytes.subarray(HEADER, HEADER + n)))
}

function bitsOf(a: Float32Array): number[] {
  return [...new Uint32Array(a.buffer, a.byteOffset, a.length)]
}

describe('the web-mode frame codec', () => {
  it('round-trips nested Float32Array and Uint8Array values bit-exactly, NaN payloads and -0 included', () => {
    const z = new Float32Array([0, -0, 1.5, -3.25e-38, Infinity, -Infinity, 3.4028234663852886e38, 1e-45])
    const oddNaN = new Float32Array(new Uint32Array([0x7fc00001, 0xffa00000]).buffer)
    const pixels = new Uint8Array(4 * 3 * 5).map((_, i) => (i * 37) & 255)
    const message = {
      id: 7,
      channel: 'images:render',
      input: {
        view: 'grid',
        points: [
          { z, y: oddNaN, truncation: 0.5, seed: 42 },
          { z: new Float32Array(0), y: new Float32Array([1]), truncation: 1 },
        ],
        nested: [[{ pixels }], [new Uint8Array([255])]],
        text: 'ünïcødé ✓',
        nothing: null,
      },
    }
    const decoded = decodeFrame(encodeFrame(message)) as typeof message
    const [p0, p1] = decoded.input.points
    expect(p0.z).toBeInstanceOf(Float32Array)
    expect(bitsOf(p0.z)).toEqual(bitsOf(z))
    expect(bitsOf(p0.y)).toEqual(bitsOf(oddNaN))
    expect(p1.z).toEqual(new Float32Array(0))
    const [[first], [second]] = decoded.input.nested as unknown as [[{ pixels: Uint8Array }], [Uint8Array]]
    expect(first.pixels).toBeInstanceOf(Uint8Array)
    expect([...first.pixels]).toEqual([...pixels])
    expect([...second]).toEqual([255])
    expect({ ...decoded, input: { ...decoded.input, points: undefined, nested: undefined } }).toEqual({
      ...message,
      input: { ...message.input, points: undefined, nested: undefined },
    })
  })

  it('sends typed arrays as raw aligned sections, not as numbers in the JSON', () => {
    const pixels = new Uint8Array(1000).fill(9)
    const z = new Float32Array([1, 2, 3])
    const bytes = encodeFrame({ a: pixels, b: { z } })
    expect(jsonOf(bytes)).toEqual({ v: { a: { $bin: 0 }, b: { z: { $bin: 1 } } }, b: [['u8', 0, 1000], ['f32', 1000, 12]] })
    const jsonEnd = HEADER + new DataView(bytes.buffer).getUint32(4, true)
    const dataStart = Math.ceil(jsonEnd / 8) * 8
    expect(dataStart % 8).toBe(0)
    expect(bytes.length).toBe(dataStart + 1000 + 16)
  })

  it('decodes into arrays of their own, aligned, even from a frame at an odd offset of a larger buffer', () => {
    const encoded = encodeFrame({ z: new Float32Array([1, 2]), p: new Uint8Array([1, 2, 3]) })
    const big = new Uint8Array(encoded.length + 3)
    big.set(encoded, 3)
    const decoded = decodeFrame(big.subarray(3)) as { z: Float32Array; p: Uint8Array }
    expect(decoded.z.buffer).not.toBe(big.buffer)
    expect(decoded.z.byteOffset).toBe(0)
    expect([...decoded.z]).toEqual([1, 2])
    decoded.p[0] = 99
    expect(big[3 + encoded.length - 8]).not.toBe(99)
  })

  it("sends a Node Buffer as its bytes, not as Buffer's JSON form", () => {
    const decoded = decodeFrame(encodeFrame({ png: Buffer.from([1, 2, 3]) })) as { png: Uint8Array }
    expect([...decoded.png]).toEqual([1, 2, 3])
  })

  it('keeps a missing input missing, so that channels without input still parse', () => {
    const decoded = decodeFrame(encodeFrame({ id: 1, channel: 'engine:info', input: undefined }))
    expect(decoded).toEqual({ id: 1, channel: 'engine:info' })
    expect(readRequest(decoded)).toEqual({ id: 1, channel: 'engine:info', input: undefined })
    expect(decodeFrame(encodeFrame(undefined))).toBeUndefined()
  })

  it('refuses to encode other typed arrays, the reserved key, and cycles, with a WireError', () => {
    expect(() => encodeFrame({ x: new Float64Array(2) })).toThrow(/Float64Array/)
    expect(() => encodeFrame({ x: new Uint8Array(2).buffer })).toThrow(WireError)
    expect(() => encodeFrame({ x: { $bin: 0 } })).toThrow(/reserved key/)
    const cycle: Record<string, unknown> = {}
    cycle.self = cycle
    expect(() => encodeFrame(cycle)).toThrow(WireError)
  })
})

describe('the web-mode frame codec on hostile bytes', () => {
  const valid = encodeFrame({ id: 1, channel: 'images:render', input: { z: new Float32Array(16), p: new Uint8Array(9) } })

  it('refuses every truncation of a valid frame, and every extension of it', () => {
    for (let n = 0; n < valid.length; n++) expect(() => decodeFrame(valid.subarray(0, n)), `length ${n}`).toThrow(WireError)
    const longer = new Uint8Array(valid.length + 1)
    longer.set(valid)
    expect(() => decodeFrame(longer)).toThrow(/stray bytes/)
  })

  it('survives every single-byte corruption of a frame with a value or a WireError, nothing else', () => {
    for (let i = 0; i < valid.length; i++) {
      for (const flip of [0x01, 0x80, 0xff]) {
        const bad = valid.slice()
        bad[i] ^= flip
        try {
          decodeFrame(bad)
        } catch (e) {
          expect(e, `byte ${i} ^ ${flip}`).toBeInstanceOf(WireError)
        }
      }
    }
  })

  it('refuses a bad magic, a JSON length past the end, and one over the limit', () => {
    const bad = valid.slice()
    bad[0] = 0x50
    expect(() => decodeFrame(bad)).toThrow(/magic/)
    expect(() => decodeFrame(frame('{"v":1}', undefined, 1000))).toThrow(/runs past its end/)
    expect(() => decodeFrame(frame('{"v":1}', undefined, 0xffffffff))).toThrow(/over the limit/)
    expect(() =>
      decodeFrame(valid, { maxFrameBytes: 16, maxJsonBytes: 1 << 20, maxSections: 10, maxDepth: 10 }),
    ).toThrow(/over the limit/)
  })

  it('refuses sections that run past the end, overlap, misalign, or are too many', () => {
    const data = new Uint8Array(16)
    expect(() => decodeFrame(frame('{"v":{"$bin":0},"b":[["u8",0,17]]}', data))).toThrow(/past the frame's end/)
    expect(() => decodeFrame(frame('{"v":{"$bin":0},"b":[["u8",0,9007199254740991]]}', data))).toThrow(/past/)
    expect(() => decodeFrame(frame('{"v":{"$bin":0},"b":[["u8",4294967296,8]]}', data))).toThrow(/past/)
    expect(() => decodeFrame(frame('{"v":{"$bin":0},"b":[["u8",-8,8]]}', data))).toThrow(/non-negative/)
    expect(() => decodeFrame(frame('{"v":{"$bin":0},"b":[["u8",3,8]]}', data))).toThrow(/multiple of 8/)
    expect(() => decodeFrame(frame('{"v":[{"$bin":0},{"$bin":1}],"b":[["u8",0,16],["u8",8,8]]}', data))).toThrow(
      /overlaps/,
    )
    expect(() => decodeFrame(frame('{"v":{"$bin":0},"b":[["f32",0,6]]}', new Uint8Array(8)))).toThrow(/float32/)
    expect(() => decodeFrame(frame('{"v":{"$bin":0},"b":[["i64",0,8]]}', new Uint8Array(8)))).toThrow(/kind/)
    const many = JSON.stringify({ v: 0, b: Array.from({ length: 70_000 }, () => ['u8', 0, 0]) })
    expect(() => decodeFrame(frame(many))).toThrow(/over the limit/)
  })

  it('refuses placeholders that name no section, share one, or leave one unused', () => {
    const data = new Uint8Array(8)
    expect(() => decodeFrame(frame('{"v":{"$bin":1},"b":[["u8",0,8]]}', data))).toThrow(/does not exist/)
    expect(() => decodeFrame(frame('{"v":{"$bin":"0"},"b":[["u8",0,8]]}', data))).toThrow(/does not exist/)
    expect(() => decodeFrame(frame('{"v":{"$bin":0,"x":1},"b":[["u8",0,8]]}', data))).toThrow(/no other keys/)
    // one large section repeated a thousand times would multiply the memory a frame costs
    expect(() => decodeFrame(frame(`{"v":[${'{"$bin":0},'.repeat(999)}{"$bin":0}],"b":[["u8",0,8]]}`, data))).toThrow(
      /more than once/,
    )
    expect(() => decodeFrame(frame('{"v":1,"b":[["u8",0,8]]}', data))).toThrow(/never referenced/)
  })

  it('refuses JSON that does not parse, is not UTF-8, or is not the envelope', () => {
    expect(() => decodeFrame(frame('{"v":'))).toThrow(/does not parse/)
    expect(() => decodeFrame(frame('\ufeff{"v":1}'))).toThrow(/does not parse/)
    const invalidUtf8 = frame('{"v":"xx"}')
    invalidUtf8[HEADER + 6] = 0xc0
    expect(() => decodeFrame(invalidUtf8)).toThrow(/UTF-8/)
    expect(() => decodeFrame(frame('[1]'))).toThrow(/must be an object/)
    expect(() => decodeFrame(frame('null'))).toThrow(/must be an object/)
    expect(() => decodeFrame(frame('{"v":1,"x":2}'))).toThrow(/unknown key/)
    expect(() => decodeFrame(frame('{"v":1,"b":{}}'))).toThrow(/must be an array/)
  })

  it('refuses __proto__, constructor and prototype keys anywhere, and pollutes nothing', () => {
    for (const json of [
      '{"v":{"__proto__":{"polluted":true}}}',
      '{"v":{"input":{"a":[{"constructor":{"prototype":{"polluted":true}}}]}}}',
      '{"v":{"prototype":1}}',
    ]) {
      expect(() => decodeFrame(frame(json)), json).toThrow(/forbidden key/)
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })

  it('refuses nesting deeper than the limit instead of overflowing the stack', () => {
    const deep = '{"v":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}'
    expect(() => decodeFrame(frame(deep))).toThrow(/nests deeper/)
  })
})

describe('web-mode messages', () => {
  it('reads a request, and refuses one without an integer id or with a channel that is not a short string', () => {
    expect(readRequest({ id: 3, channel: 'engine:info', input: { a: 1 } })).toEqual({
      id: 3,
      channel: 'engine:info',
      input: { a: 1 },
    })
    for (const bad of [null, [], { channel: 'x' }, { id: -1, channel: 'x' }, { id: 1.5, channel: 'x' }, { id: 1 }, { id: 1, channel: 'x'.repeat(65) }]) {
      expect(() => readRequest(bad), JSON.stringify(bad)).toThrow(WireError)
    }
  })

  it('tells replies from events', () => {
    expect(readServerMessage({ id: 2, reply: { ok: true, value: 1 } })).toEqual({ id: 2, reply: { ok: true, value: 1 } })
    expect(readServerMessage({ event: { type: 'notice' } })).toEqual({ event: { type: 'notice' } })
    expect(() => readServerMessage({ reply: {} })).toThrow(WireError)
  })
})
