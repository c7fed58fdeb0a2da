// Assembles pickle bytes opcode by opcode, so hostile inputs are written out in the test that uses them.

export class PickleBuilder {
  private readonly out: number[] = []

  op(code: number, ...payload: number[]): this {
    this.out.push(code, ...payload)
    return this
  }
  raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.out.push(bytes[i])
    return this
  }
  private le(n: number, bytes: number): number[] {
    const r: number[] = []
    for (let i = 0; i < bytes; i++) r.push(Number((BigInt(n) >> BigInt(8 * i)) & 0xffn))
    return r
  }

  proto(v = 2): this { return this.op(0x80, v) }
  stop(): this { return this.op(0x2e) }
  mark(): this { return this.op(0x28) }
  global(module: string, name: string): this { return this.op(0x63).raw(new TextEncoder().encode(`${module}\n${name}\n`)) }
  stackGlobal(): this { return this.op(0x93) }
  reduce(): this { return this.op(0x52) }
  build(): this { return this.op(0x62) }
  newobj(): this { return this.op(0x81) }
  binpersid(): this { return this.op(0x51) }
  binput(i: number): this { return this.op(0x71, i) }
  binget(i: number): this { return this.op(0x68, i) }
  longBinput(i: number): this { return this.op(0x72, ...this.le(i, 4)) }
  longBinget(i: number): this { return this.op(0x6a, ...this.le(i, 4)) }
  memoize(): this { return this.op(0x94) }
  emptyDict(): this { return this.op(0x7d) }
  emptyList(): this { return this.op(0x5d) }
  emptyTuple(): this { return this.op(0x29) }
  tuple(): this { return this.op(0x74) }
  tuple1(): this { return this.op(0x85) }
  tuple2(): this { return this.op(0x86) }
  tuple3(): this { return this.op(0x87) }
  append(): this { return this.op(0x61) }
  appends(): this { return this.op(0x65) }
  setitem(): this { return this.op(0x73) }
  setitems(): this { return this.op(0x75) }
  none(): this { return this.op(0x4e) }
  bool(v: boolean): this { return this.op(v ? 0x88 : 0x89) }
  /** the smallest BININT* opcode that holds n */
  int(n: number): this {
    if (n >= 0 && n < 256) return this.op(0x4b, n)
    if (n >= 0 && n < 65536) return this.op(0x4d, ...this.le(n, 2))
    return this.op(0x4a, ...this.le(n, 4))
  }
  float(x: number): this {
    const b = new Uint8Array(8)
    new DataView(b.buffer).setFloat64(0, x, false)
    return this.op(0x47).raw(b)
  }
  long1(n: bigint): this {
    const bytes: number[] = []
    let v = n
    while (v !== 0n && v !== -1n) { bytes.push(Number(v & 0xffn)); v >>= 8n }
    if (n > 0n && bytes.length > 0 && bytes[bytes.length - 1] & 0x80) bytes.push(0)
    if (n < 0n && (bytes.length === 0 || !(bytes[bytes.length - 1] & 0x80))) bytes.push(0xff)
    return this.op(0x8a, bytes.length, ...bytes)
  }
  unicode(s: string): this {
    const b = new TextEncoder().encode(s)
    return this.op(0x58, ...this.le(b.length, 4)).raw(b)
  }
  shortUnicode(s: string): this {
    const b = new TextEncoder().encode(s)
    return this.op(0x8c, b.length).raw(b)
  }
  shortBytes(b: ArrayLike<number>): this { return this.op(0x43, b.length).raw(b) }
  frame(n: number): this { return this.op(0x95, ...this.le(n, 8)) }

  /** `('storage', torch.<type>, key, location, numel)` followed by BINPERSID */
  storage(key: string, numel: number, type = 'FloatStorage', legacy = false): this {
    this.mark().unicode('storage').global('torch', type).unicode(key).unicode('cpu').int(numel)
    if (legacy) this.none()
    return this.tuple().binpersid()
  }
  intTuple(xs: number[]): this {
    this.mark()
    for (const x of xs) this.int(x)
    return this.tuple()
  }
  /** `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())` with the storage already built by `storageOps` */
  tensor(storageOps: (b: this) => void, offset: number, size: number[], stride: number[], hooks?: (b: this) => void): this {
    this.global('torch._utils', '_rebuild_tensor_v2').mark()
    storageOps(this)
    this.int(offset).intTuple(size).intTuple(stride).bool(false)
    if (hooks) hooks(this)
    else this.global('collections', 'OrderedDict').emptyTuple().reduce()
    return this.tuple().reduce()
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.out)
  }
}

export const pickle = (): PickleBuilder => new PickleBuilder()
