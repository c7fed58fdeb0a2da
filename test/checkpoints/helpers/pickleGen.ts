// Random pickles built from the opcodes the reader allows, with allowed globals and storage ids, so the fuzzer
// explores the unpickler's type checks (REDUCE argument shapes, BUILD targets, memo use) rather than dying at
// the first unknown byte.

import fc from 'fast-check'
import { PickleBuilder } from './pickleBuilder'

type Step = (p: PickleBuilder) => void

const globals: Array<[string, string]> = [
  ['collections', 'OrderedDict'], ['torch._utils', '_rebuild_tensor_v2'], ['torch._utils', '_rebuild_parameter'],
  ['torch', 'FloatStorage'], ['torch', 'LongStorage'], ['torch', 'Size'], ['_codecs', 'encode'], ['numpy', 'dtype'],
  ['numpy.core.multiarray', 'scalar'],
]

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constantFrom<Step>(
    (p) => p.mark(), (p) => p.tuple(), (p) => p.tuple1(), (p) => p.tuple2(), (p) => p.tuple3(), (p) => p.emptyTuple(),
    (p) => p.emptyList(), (p) => p.emptyDict(), (p) => p.append(), (p) => p.appends(), (p) => p.setitem(),
    (p) => p.setitems(), (p) => p.none(), (p) => p.bool(true), (p) => p.bool(false), (p) => p.reduce(), (p) => p.build(),
    (p) => p.newobj(), (p) => p.binpersid(), (p) => p.memoize(), (p) => p.shortUnicode('storage'),
    (p) => p.shortUnicode('cpu'), (p) => p.shortUnicode('latin1'), (p) => p.shortUnicode('f8'), (p) => p.stackGlobal(),
    (p) => p.storage('0', 6), (p) => p.storage('1', 2, 'LongStorage'),
  ),
  fc.constantFrom(...globals).map(([m, n]): Step => (p) => p.global(m, n)),
  fc.integer({ min: -2, max: 70000 }).map((n): Step => (p) => (n < 0 ? p.op(0x4a, 0xff, 0xff, 0xff, 0xff) : p.int(n))),
  fc.nat({ max: 5 }).map((i): Step => (p) => p.binget(i)),
  fc.nat({ max: 5 }).map((i): Step => (p) => p.binput(i)),
  fc.string({ maxLength: 4 }).map((s): Step => (p) => p.shortUnicode(s)),
)

export const randomPickle: fc.Arbitrary<Uint8Array> = fc.array(step, { maxLength: 60 }).map((steps) => {
  const p = new PickleBuilder().proto(2)
  for (const s of steps) s(p)
  return p.stop().bytes()
})
