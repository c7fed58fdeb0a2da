// Format-blind byte mutators for the fuzz tests, as fast-check arbitraries so failures shrink.

import fc from 'fast-check'

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'int'; at: number; width: 2 | 4 | 8; value: bigint }
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'duplicate'; at: number; len: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'truncate'; at: number }

/** Length fields are where parsers break: 0, 1, signed/unsigned edges, 2^53, 2^64 − 1. */
const boundaries = [0n, 1n, 0x7fn, 0xffn, 0x7fffn, 0xffffn, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 64n - 1n]

const at = fc.nat({ max: 2 ** 30 })
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at, bit: fc.nat({ max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at, value: fc.oneof(fc.constantFrom(0, 1, 0x7f, 0x80, 0xff), fc.nat({ max: 255 })) }),
  fc.record({ kind: fc.constant('int' as const), at, width: fc.constantFrom(2 as const, 4 as const, 8 as const), value: fc.constantFrom(...boundaries) }),
  fc.record({ kind: fc.constant('delete' as const), at, len: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at, len: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('insert' as const), at, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at }),
)

export function applyMutation(input: Uint8Array, m: Mutation, region?: [number, number]): Uint8Array {
  const [lo, hi] = region ?? [0, input.byteLength]
  if (hi <= lo) return input
  const pos = lo + (m.at % (hi - lo))
  const b = new Uint8Array(input)
  switch (m.kind) {
    case 'flip': b[pos] ^= 1 << m.bit; return b
    case 'set': b[pos] = m.value; return b
    case 'int': {
      for (let i = 0; i < m.width && pos + i < b.length; i++) b[pos + i] = Number((m.value >> BigInt(8 * i)) & 0xffn)
      return b
    }
    case 'delete': return join(b.subarray(0, pos), b.subarray(pos + m.len))
    case 'duplicate': return join(b.subarray(0, pos + m.len), b.subarray(pos))
    case 'insert': return join(b.subarray(0, pos), m.bytes, b.subarray(pos))
    case 'truncate': return b.subarray(0, pos)
  }
}

export function mutateAll(input: Uint8Array, ms: Mutation[], region?: [number, number]): Uint8Array {
  return ms.reduce((b, m) => applyMutation(b, m, region && [region[0], Math.min(region[1], b.byteLength)]), input)
}

function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.byteLength, 0))
  let o = 0
  for (const p of parts) { out.set(p, o); o += p.byteLength }
  return out
}

export const mutations = fc.array(mutation, { minLength: 1, maxLength: 4 })
