import { existsSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isTuple, unpickle } from '../../main/checkpoints/pickle'
import { TensorRef } from '../../main/checkpoints/pickleValues'
import { pickledToPlain } from '../../main/checkpoints/torch'
import { expectCheckpointError } from './helpers/expectError'
import { pickle } from './helpers/pickleBuilder'

const canary = join(tmpdir(), `biggan-pickle-canary-${process.pid}`)
const command = `touch ${canary}`

describe('data-only unpickling', () => {
  it('decodes plain values: ints, floats, longs, strings, bytes, bools, None, lists, tuples and dicts', () => {
    const bytes = pickle().proto(2).emptyDict().mark()
      .shortUnicode('i').int(70000)
      .shortUnicode('neg').op(0x4a, 0xff, 0xff, 0xff, 0xff)
      .shortUnicode('f').float(1e-5)
      .shortUnicode('big').long1(2n ** 70n)
      .shortUnicode('small').long1(-5n)
      .shortUnicode('b').shortBytes([1, 2])
      .shortUnicode('t').bool(true)
      .shortUnicode('n').none()
      .shortUnicode('l').emptyList().mark().int(1).int(2).appends()
      .shortUnicode('tup').int(1).int(2).tuple2()
      .setitems().stop().bytes()
    const { value } = unpickle(bytes)
    const m = value as Map<string, unknown>
    expect(Object.fromEntries(m)).toEqual({
      i: 70000, neg: -1, f: 1e-5, big: 2n ** 70n, small: -5, b: Uint8Array.from([1, 2]), t: true, n: null, l: [1, 2], tup: [1, 2],
    })
    expect(isTuple(m.get('tup'))).toBe(true)
    expect(isTuple(m.get('l'))).toBe(false)
  })

  it('keeps one object used twice as the same object (tied weights are legal)', () => {
    const bytes = pickle().proto(2).emptyList().binput(0).mark().emptyList().binput(1).binget(1).appends().stop().bytes()
    const v = unpickle(bytes).value as unknown[][]
    expect(v[0]).toBe(v[1])
  })

  it('turns a pickled config dict into a plain object, keeping __proto__ as data', () => {
    const bytes = pickle().proto(2).emptyDict().mark()
      .shortUnicode('G_ch').int(96).shortUnicode('__proto__').emptyDict().shortUnicode('layers').int(1).int(2).tuple2()
      .setitems().stop().bytes()
    const plain = pickledToPlain(unpickle(bytes).value) as Record<string, unknown>
    expect(plain.G_ch).toBe(96)
    expect(plain.layers).toEqual([1, 2])
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype)
    expect(Object.keys(plain)).toContain('__proto__')
  })

  it("decodes BigGAN-PyTorch's numpy best_IS / best_FID scalars as numbers without allowing numpy", () => {
    // numpy.core.multiarray.scalar(numpy.dtype('f8') with state (3, order, …), _codecs.encode(bytes, 'latin1'))
    const scalar = (x: number, order: string): Uint8Array => {
      const f8 = new Uint8Array(Float64Array.from([x]).buffer)
      const minus1 = [0x4a, 0xff, 0xff, 0xff, 0xff] as const
      return pickle().proto(2).emptyDict().shortUnicode('best_IS')
        .global('numpy.core.multiarray', 'scalar')
        .global('numpy', 'dtype').shortUnicode('f8').bool(false).bool(true).tuple3().reduce()
        .mark().int(3).shortUnicode(order).none().none().none().op(...minus1).op(...minus1).int(0).tuple().build()
        .global('_codecs', 'encode').unicode(String.fromCharCode(...f8)).shortUnicode('latin1').tuple2().reduce()
        .tuple2().reduce().setitem().stop().bytes()
    }
    expect((unpickle(scalar(97.35, '<')).value as Map<string, unknown>).get('best_IS')).toBe(97.35)
    expectCheckpointError(() => unpickle(scalar(1, '>')), 'unsupported', /big-endian numpy/)
    expectCheckpointError(() => unpickle(pickle().proto(2).global('numpy', 'load').stop().bytes()), 'unsafe-pickle', /numpy\.load/)
  })
})

describe('hostile pickles (globals, calls, builds, memo and stack tricks): refused, nothing executed', () => {
  const calls: Array<[string, string]> = [
    ['posix', 'system'], ['nt', 'system'], ['os', 'system'], ['builtins', 'eval'], ['builtins', 'exec'],
    ['builtins', 'getattr'], ['subprocess', 'Popen'], ['pip', 'main'], ['logging', 'FileHandler'], ['torch', 'load'],
  ]

  it.each(calls)('refuses GLOBAL %s.%s + REDUCE, naming the global', (module, name) => {
    const bytes = pickle().proto(2).global(module, name).unicode(command).tuple1().reduce().stop().bytes()
    const err = expectCheckpointError(() => unpickle(bytes, { file: 'evil.pth' }), 'unsafe-pickle', new RegExp(`"${module}\\.${name}"`))
    expect(err.message).toMatch(/^evil\.pth: .*nothing was executed/)
    expect(existsSync(canary)).toBe(false)
  })

  it('refuses STACK_GLOBAL whose strings come from the memo (the picklescan evasion)', () => {
    const bytes = pickle().proto(4).emptyList().mark().shortUnicode('os').memoize().shortUnicode('system').memoize().appends()
      .binget(0).binget(1).stackGlobal().shortUnicode(command).tuple1().reduce().tuple2().stop().bytes()
    expectCheckpointError(() => unpickle(bytes), 'unsafe-pickle', /"os\.system"/)
  })

  it('refuses STACK_GLOBAL even when the payload hides behind an allowed first pickle', () => {
    const bytes = pickle().proto(4).shortUnicode('subprocess').shortUnicode('Popen').stackGlobal().stop().bytes()
    expectCheckpointError(() => unpickle(bytes), 'unsafe-pickle', /subprocess\.Popen/)
  })

  it('refuses INST, OBJ, EXT and text PERSID opcodes as able to run code', () => {
    const inst = pickle().proto(2).mark().unicode(command).op(0x69).raw(new TextEncoder().encode('os\nsystem\n')).stop().bytes()
    expectCheckpointError(() => unpickle(inst), 'unsafe-pickle', /INST .*never allowed/)
    const obj = pickle().proto(2).mark().global('collections', 'OrderedDict').op(0x6f).stop().bytes()
    expectCheckpointError(() => unpickle(obj), 'unsafe-pickle', /OBJ/)
    expectCheckpointError(() => unpickle(pickle().proto(2).op(0x82, 1).stop().bytes()), 'unsafe-pickle', /EXT1/)
    expectCheckpointError(() => unpickle(pickle().proto(2).op(0x50).raw([0x30, 0x0a]).stop().bytes()), 'unsafe-pickle', /PERSID/)
  })

  it('refuses opcodes outside the weights-only set by byte value', () => {
    expectCheckpointError(() => unpickle(pickle().proto(2).op(0x49).raw([0x31, 0x0a]).stop().bytes()), 'bad-header', /opcode 0x49/)
  })

  it('refuses calling an allowed class outside its place: storage types, NEWOBJ of others, BUILD on tensors', () => {
    expectCheckpointError(
      () => unpickle(pickle().proto(2).global('torch', 'FloatStorage').emptyTuple().reduce().stop().bytes()),
      'unsafe-pickle', /torch\.FloatStorage cannot be called/,
    )
    expectCheckpointError(
      () => unpickle(pickle().proto(2).global('torch', 'Size').emptyTuple().newobj().stop().bytes()),
      'unsafe-pickle', /NEWOBJ of torch\.Size/,
    )
    expectCheckpointError(
      () => unpickle(pickle().proto(2).emptyList().emptyDict().build().stop().bytes()), 'unsafe-pickle', /BUILD is only allowed/,
    )
    expectCheckpointError(
      () => unpickle(pickle().proto(2).int(1).emptyTuple().reduce().stop().bytes()), 'unsafe-pickle', /not an allowlisted global/,
    )
  })

  it('refuses SETITEM/SETITEMS on a non-dict and APPEND on a non-list (CVE-2026-24747)', () => {
    expectCheckpointError(() => unpickle(pickle().proto(2).emptyList().int(1).int(2).setitem().stop().bytes()), 'bad-header', /not a dict/)
    expectCheckpointError(
      () => unpickle(pickle().proto(2).shortUnicode('s').mark().int(1).int(2).setitems().stop().bytes()), 'bad-header', /not a dict/,
    )
    expectCheckpointError(() => unpickle(pickle().proto(2).emptyTuple().int(1).append().stop().bytes()), 'bad-header', /not a list/)
    expectCheckpointError(() => unpickle(pickle().proto(2).emptyDict().mark().int(1).appends().stop().bytes()), 'bad-header', /not a list/)
    expectCheckpointError(
      () => unpickle(pickle().proto(2).emptyDict().emptyList().int(1).setitem().stop().bytes()), 'unsupported', /dict key/,
    )
  })

  it('reports stack underflow, unclosed MARK, STOP with 0 or 2 items, and a missing STOP', () => {
    expectCheckpointError(() => unpickle(pickle().proto(2).append().stop().bytes()), 'bad-header', /APPEND.*stack underflow/)
    expectCheckpointError(() => unpickle(pickle().proto(2).int(1).mark().tuple2().stop().bytes()), 'bad-header', /underflow/)
    expectCheckpointError(() => unpickle(pickle().proto(2).mark().int(1).stop().bytes()), 'bad-header', /MARK was never closed/)
    expectCheckpointError(() => unpickle(pickle().proto(2).stop().bytes()), 'bad-header', /holds 0 items/)
    expectCheckpointError(() => unpickle(pickle().proto(2).int(1).int(2).stop().bytes()), 'bad-header', /holds 2 items/)
    expectCheckpointError(() => unpickle(pickle().proto(2).int(1).bytes()), 'truncated', /cut short/)
    expectCheckpointError(() => unpickle(pickle().proto(2).tuple().stop().bytes()), 'bad-header', /no MARK/)
  })

  it('reports a BINGET of an unset memo id and keeps LONG_BINPUT 0xFFFFFFFF in a Map', () => {
    expectCheckpointError(() => unpickle(pickle().proto(2).binget(3).stop().bytes()), 'bad-header', /memo entry 3 was never stored/)
    const { value } = unpickle(pickle().proto(2).int(7).longBinput(0xffffffff).longBinget(0xffffffff).tuple2().stop().bytes())
    expect(value).toEqual([7, 7])
  })

  it('refuses string lengths past the end, invalid UTF-8 and lone surrogates, and bogus FRAME lengths', () => {
    expectCheckpointError(() => unpickle(pickle().proto(2).op(0x58, 0xff, 0xff, 0xff, 0xff).stop().bytes()), 'truncated')
    expectCheckpointError(() => unpickle(pickle().proto(2).op(0x8c, 2, 0xc0, 0xaf).stop().bytes()), 'bad-header', /UTF-8/)
    expectCheckpointError(() => unpickle(pickle().proto(2).op(0x8c, 3, 0xed, 0xa0, 0x80).stop().bytes()), 'bad-header', /UTF-8/)
    expectCheckpointError(() => unpickle(pickle().proto(4).frame(1e9).int(1).stop().bytes()), 'truncated', /FRAME/)
    expectCheckpointError(() => unpickle(pickle().proto(2).op(0x8a, 255, 1, 2).stop().bytes()), 'truncated')
    expectCheckpointError(() => unpickle(pickle().proto(2).op(0x54, 0xff, 0xff, 0xff, 0xff).stop().bytes()), 'bad-header', /negative length/)
  })

  it('survives nesting bombs: 10^6 MARKs and 10^5 nested lists', () => {
    const marks = pickle().proto(2)
    for (let i = 0; i < 1e6; i++) marks.mark()
    expectCheckpointError(() => unpickle(marks.stop().bytes()), 'bad-header')
    const nested = pickle().proto(2).emptyList()
    for (let i = 0; i < 1e5; i++) nested.emptyList()
    for (let i = 0; i < 1e5; i++) nested.append()
    const { value } = unpickle(nested.stop().bytes())
    expectCheckpointError(() => pickledToPlain(value), 'too-large', /nested deeper/)
  })

  it('survives a memo "billion laughs" (a list of itself, 30 deep) and a self-containing list', () => {
    const laughs = pickle().proto(2).mark().emptyList().binput(0)
    for (let i = 1; i <= 30; i++) laughs.emptyList().mark().binget(i - 1).binget(i - 1).appends().binput(i)
    const { value } = unpickle(laughs.tuple().stop().bytes())
    expectCheckpointError(() => pickledToPlain(value), 'too-large', /more than/)
    const cycle = unpickle(pickle().proto(2).emptyList().binput(0).binget(0).append().stop().bytes()).value
    expectCheckpointError(() => pickledToPlain(cycle), 'bad-header', /cycle/)
  })

  it('refuses a duplicate or misplaced PROTO and protocols above 5', () => {
    expectCheckpointError(() => unpickle(pickle().proto(2).proto(2).int(1).stop().bytes()), 'bad-header', /PROTO must appear once/)
    expectCheckpointError(() => unpickle(pickle().int(1).proto(2).stop().bytes()), 'bad-header', /PROTO/)
    expectCheckpointError(() => unpickle(pickle().proto(6).int(1).stop().bytes()), 'unsupported', /protocol 6/)
  })

  it('refuses a persistent id that is not a storage tuple or names an unknown storage type', () => {
    expectCheckpointError(() => unpickle(pickle().proto(2).unicode('x').binpersid().stop().bytes()), 'unsafe-pickle', /'storage'/)
    const badType = pickle().proto(2).mark().unicode('storage').global('torch', 'Size').unicode('0').unicode('cpu').int(1).tuple().binpersid()
    expectCheckpointError(() => unpickle(badType.stop().bytes()), 'bad-header', /storage type/)
    const badKey = pickle().proto(2).storage('../../x', 4)
    expectCheckpointError(() => unpickle(badKey.stop().bytes()), 'bad-header', /storage key "..\/..\/x"/)
  })
})

describe('hostile tensor rebuilds (foreign rebuild functions, storages that lie about their size)', () => {
  const rebuild = (offset: number, size: number[], stride: number[], numel = 6): Uint8Array =>
    pickle().proto(2).tensor((b) => b.storage('0', numel), offset, size, stride).stop().bytes()

  it('accepts a contiguous view and a transposed view inside the storage', () => {
    expect(unpickle(rebuild(0, [2, 3], [3, 1])).value).toBeInstanceOf(TensorRef)
    expect(unpickle(rebuild(0, [3, 2], [1, 3])).value).toBeInstanceOf(TensorRef)
    expect(unpickle(rebuild(6, [0], [1])).value).toBeInstanceOf(TensorRef)
  })

  it('refuses offsets and strides that reach past the storage', () => {
    expectCheckpointError(() => unpickle(rebuild(1, [2, 3], [3, 1])), 'bad-header', /reaches past the storage end/)
    expectCheckpointError(() => unpickle(rebuild(0, [2, 3], [4, 1])), 'bad-header', /reaches past/)
    expectCheckpointError(() => unpickle(rebuild(7, [0], [1])), 'bad-header', /starts past/)
  })

  it('refuses zero strides and overlapping strides that would repeat elements', () => {
    expectCheckpointError(() => unpickle(rebuild(0, [4, 1], [0, 1])), 'bad-header', /zero stride/)
    expectCheckpointError(() => unpickle(rebuild(0, [3, 3], [1, 1])), 'bad-header', /overlapping|more elements/)
  })

  it('refuses negative strides and shapes with more than 2^53 elements', () => {
    const negStride = pickle().proto(2).global('torch._utils', '_rebuild_tensor_v2').mark().storage('0', 6).int(0)
      .intTuple([2]).mark().op(0x4a, 0xff, 0xff, 0xff, 0xff).tuple().bool(false)
      .global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce().stop().bytes()
    expectCheckpointError(() => unpickle(negStride), 'bad-header', /stride entry -1/)
    const huge = pickle().proto(2).global('torch._utils', '_rebuild_tensor_v2').mark().storage('0', 6).int(0)
      .mark().op(0x4a, 0xff, 0xff, 0xff, 0x7f).op(0x4a, 0xff, 0xff, 0xff, 0x7f).op(0x4a, 0xff, 0xff, 0xff, 0x7f).tuple()
      .intTuple([1, 1, 1]).bool(false).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce().stop().bytes()
    expectCheckpointError(() => unpickle(huge), 'too-large', /2\^53/)
  })

  it('refuses non-empty backward_hooks and a non-bool requires_grad', () => {
    const hooks = pickle().proto(2).tensor((b) => b.storage('0', 6), 0, [6], [1], (b) => b.emptyDict().int(1).int(2).setitem())
    expectCheckpointError(() => unpickle(hooks.stop().bytes()), 'unsafe-pickle', /backward_hooks/)
    const grad = pickle().proto(2).global('torch._utils', '_rebuild_tensor_v2').mark().storage('0', 6).int(0)
      .intTuple([6]).intTuple([1]).int(1).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce().stop().bytes()
    expectCheckpointError(() => unpickle(grad), 'bad-header', /requires_grad/)
  })

  it('refuses a storage key declared twice with different sizes', () => {
    const bytes = pickle().proto(2).storage('0', 6).storage('0', 7).tuple2().stop().bytes()
    expectCheckpointError(() => unpickle(bytes), 'bad-header', /declared twice/)
  })
})

describe('the checkpoint readers cannot run code', () => {
  it('import nothing but each other and the raw tensors beneath them: no file system, no engine', () => {
    const dir = 'main/checkpoints'
    const readers = [
      'crc32', 'json', 'pickle', 'pickleGlobals', 'pickleValues', 'safetensors',
      'safetensorsWrite', 'torch', 'torchLegacy', 'torchTensors', 'torchZip', 'zip',
    ]
    for (const f of readers.map((n) => `${n}.ts`)) {
      const imports = [...readFileSync(join(dir, f), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1])
      expect(imports.filter((i) => !/^(\.\/|\.\.\/tensors\/)/.test(i)), f).toEqual([])
    }
  })
})
