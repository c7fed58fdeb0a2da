// An animated GIF89a encoder for exported latent walks: one local palette per frame (exact when the frame has at
// most 256 colours, else median cut over a 5-bit-per-channel histogram), LZW as the GIF spec wants it (variable
// code size from min+1 to 12 bits, a clear code when the table fills), the NETSCAPE2.0 extension for looping, and
// frame delays in the GIF's 1/100 s clock. Pure: pixels in, bytes out. Incremental (addFrame, then finish) so a
// caller can report progress and stop between frames.

export interface GifOptions {
  /** times the animation repeats; 0 (the default) loops forever */
  loop?: number
}

/** Per-frame delays in 1/100 s for `count` frames at `fps`: rounded so that the running total stays on the true
 *  clock, and never below 2, the smallest delay browsers honour (they slow 0 and 1 to 10): above 50 fps a GIF plays
 *  at 50. */
export function gifDelays(count: number, fps: number): number[] {
  if (!(fps > 0)) throw new Error(`frames per second must be > 0, got ${fps}`)
  return Array.from({ length: count }, (_, i) =>
    Math.max(2, Math.round((100 * (i + 1)) / fps) - Math.round((100 * i) / fps)),
  )
}

export class GifEncoder {
  private readonly parts: Uint8Array[] = []
  private readonly lzw = new LzwTable()
  private frames = 0
  private finished = false

  constructor(
    readonly width: number,
    readonly height: number,
    options: GifOptions = {},
  ) {
    if (!(Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1 && width <= 0xffff && height <= 0xffff)) {
      throw new Error(`a GIF is 1 to 65535 pixels on a side, not ${width}×${height}`)
    }
    const loop = options.loop ?? 0
    const header = new ByteWriter()
    header.ascii('GIF89a')
    // logical screen: no global colour table (each frame brings its own), 8 bits per primary
    header.u16(width).u16(height).u8(0x70).u8(0).u8(0)
    // NETSCAPE2.0 application extension: loop count
    header.u8(0x21).u8(0xff).u8(11).ascii('NETSCAPE2.0').u8(3).u8(1).u16(loop).u8(0)
    this.parts.push(header.bytes())
  }

  /** Adds a frame: `pixels` [height, width, channels] row-major, channels 3 (RGB) or 4 (RGBA, alpha ignored);
   *  `delay` in 1/100 s. */
  addFrame(pixels: Uint8Array, channels: 3 | 4, delay: number): void {
    if (this.finished) throw new Error('GifEncoder: finish() was already called')
    const n = this.width * this.height
    if (pixels.length !== n * channels) {
      throw new Error(`GifEncoder: frame ${this.frames} has ${pixels.length} bytes, not ${this.width}×${this.height}×${channels}`)
    }
    const { palette, indices } = quantise(pixels, channels, n)
    const bits = Math.max(1, Math.ceil(Math.log2(palette.length / 3)))
    const tableSize = 1 << bits
    const w = new ByteWriter()
    // graphic control extension: disposal 1 (leave the frame; the next one covers it), no transparency
    w.u8(0x21).u8(0xf9).u8(4).u8(0x04).u16(Math.max(0, Math.min(0xffff, Math.round(delay)))).u8(0).u8(0)
    // image descriptor with a local colour table of 2^bits entries
    w.u8(0x2c).u16(0).u16(0).u16(this.width).u16(this.height).u8(0x80 | (bits - 1))
    const table = new Uint8Array(tableSize * 3)
    table.set(palette)
    w.raw(table)
    const minCodeSize = Math.max(2, bits)
    w.u8(minCodeSize)
    const data = this.lzw.encode(indices, minCodeSize)
    for (let o = 0; o < data.length; o += 255) {
      const block = data.subarray(o, Math.min(o + 255, data.length))
      w.u8(block.length).raw(block)
    }
    w.u8(0)
    this.parts.push(w.bytes())
    this.frames++
  }

  /** The GIF file. */
  finish(): Uint8Array {
    if (this.frames === 0) throw new Error('GifEncoder: a GIF needs at least one frame')
    if (!this.finished) {
      this.parts.push(Uint8Array.of(0x3b))
      this.finished = true
    }
    const out = new Uint8Array(this.parts.reduce((s, p) => s + p.length, 0))
    let o = 0
    for (const p of this.parts) {
      out.set(p, o)
      o += p.length
    }
    return out
  }
}

/** A palette (RGB triples, at most 256) and one index per pixel. */
function quantise(pixels: Uint8Array, channels: number, n: number): { palette: Uint8Array; indices: Uint8Array } {
  return exactPalette(pixels, channels, n) ?? medianCut(pixels, channels, n)
}

/** The frame's own colours where there are at most 256 of them: lossless. */
function exactPalette(pixels: Uint8Array, channels: number, n: number): { palette: Uint8Array; indices: Uint8Array } | null {
  const seen = new Map<number, number>()
  const indices = new Uint8Array(n)
  for (let i = 0; i < n; i++) {
    const o = i * channels
    const key = (pixels[o] << 16) | (pixels[o + 1] << 8) | pixels[o + 2]
    let index = seen.get(key)
    if (index === undefined) {
      if (seen.size === 256) return null
      index = seen.size
      seen.set(key, index)
    }
    indices[i] = index
  }
  const palette = new Uint8Array(seen.size * 3)
  for (const [key, index] of seen) palette.set([key >> 16, (key >> 8) & 0xff, key & 0xff], index * 3)
  return { palette, indices }
}

/** Median cut (Heckbert 1982) over a histogram of 5-bit-per-channel colours: the box with the longest side is
 *  split at its pixel-weighted median until there are 256 boxes; each box's colour is the mean of its pixels. */
function medianCut(pixels: Uint8Array, channels: number, n: number): { palette: Uint8Array; indices: Uint8Array } {
  const bins = 1 << 15
  const count = new Uint32Array(bins)
  const sums = new Float64Array(bins * 3)
  const keyOf = (o: number): number => ((pixels[o] >> 3) << 10) | ((pixels[o + 1] >> 3) << 5) | (pixels[o + 2] >> 3)
  for (let i = 0; i < n; i++) {
    const o = i * channels
    const k = keyOf(o)
    count[k]++
    sums[k * 3] += pixels[o]
    sums[k * 3 + 1] += pixels[o + 1]
    sums[k * 3 + 2] += pixels[o + 2]
  }
  const used: number[] = []
  for (let k = 0; k < bins; k++) if (count[k] > 0) used.push(k)
  const channel = (k: number, c: number): number => (k >> (10 - 5 * c)) & 31

  interface Box { keys: number[]; axis: number; span: number }
  const boxOf = (keys: number[]): Box => {
    let axis = 0
    let span = -1
    for (let c = 0; c < 3; c++) {
      let lo = 31
      let hi = 0
      for (const k of keys) {
        const v = channel(k, c)
        if (v < lo) lo = v
        if (v > hi) hi = v
      }
      if (hi - lo > span) {
        span = hi - lo
        axis = c
      }
    }
    return { keys, axis, span }
  }
  const boxes: Box[] = [boxOf(used)]
  while (boxes.length < 256) {
    let pick = -1
    for (let b = 0; b < boxes.length; b++) {
      if (boxes[b].keys.length > 1 && (pick < 0 || boxes[b].span > boxes[pick].span)) pick = b
    }
    if (pick < 0) break
    const { keys, axis } = boxes[pick]
    keys.sort((a, b) => channel(a, axis) - channel(b, axis))
    let total = 0
    for (const k of keys) total += count[k]
    let cut = 1
    for (let acc = 0, i = 0; i < keys.length - 1; i++) {
      acc += count[keys[i]]
      cut = i + 1
      if (acc * 2 >= total) break
    }
    boxes.splice(pick, 1, boxOf(keys.slice(0, cut)), boxOf(keys.slice(cut)))
  }
  const palette = new Uint8Array(boxes.length * 3)
  const lookup = new Uint8Array(bins)
  boxes.forEach((box, b) => {
    let r = 0
    let g = 0
    let bl = 0
    let m = 0
    for (const k of box.keys) {
      lookup[k] = b
      m += count[k]
      r += sums[k * 3]
      g += sums[k * 3 + 1]
      bl += sums[k * 3 + 2]
    }
    palette.set([Math.round(r / m), Math.round(g / m), Math.round(bl / m)], b * 3)
  })
  const indices = new Uint8Array(n)
  for (let i = 0; i < n; i++) indices[i] = lookup[keyOf(i * channels)]
  return { palette, indices }
}

/** GIF's LZW: codes of minCodeSize+1 up to 12 bits, packed least significant bit first. The string table is a
 *  hash of (prefix code, next index) with generation stamps, so a clear code costs nothing. */
class LzwTable {
  private readonly code = new Int32Array(4096 * 256)
  private readonly stamp = new Uint32Array(4096 * 256)
  private generation = 0

  encode(indices: Uint8Array, minCodeSize: number): Uint8Array {
    const clear = 1 << minCodeSize
    const eoi = clear + 1
    let next = eoi + 1
    let codeSize = minCodeSize + 1
    const out = new ByteWriter()
    let bitBuffer = 0
    let bitCount = 0
    const emit = (c: number): void => {
      bitBuffer |= c << bitCount
      bitCount += codeSize
      while (bitCount >= 8) {
        out.u8(bitBuffer & 0xff)
        bitBuffer >>>= 8
        bitCount -= 8
      }
    }
    this.generation++
    emit(clear)
    let prefix = indices[0]
    for (let i = 1; i < indices.length; i++) {
      const k = indices[i]
      const key = (prefix << 8) | k
      if (this.stamp[key] === this.generation) {
        prefix = this.code[key]
        continue
      }
      emit(prefix)
      if (next === 4096) {
        emit(clear)
        this.generation++
        next = eoi + 1
        codeSize = minCodeSize + 1
      } else {
        // the decoder widens its codes once the table reaches 2^codeSize; the encoder does so when it adds that entry
        if (next >= 1 << codeSize) codeSize++
        this.stamp[key] = this.generation
        this.code[key] = next++
      }
      prefix = k
    }
    emit(prefix)
    emit(eoi)
    if (bitCount > 0) out.u8(bitBuffer & 0xff)
    return out.bytes()
  }
}

/** A growable little-endian byte buffer. */
class ByteWriter {
  private buf = new Uint8Array(1024)
  private length = 0

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.length + n) size *= 2
    const grown = new Uint8Array(size)
    grown.set(this.buf.subarray(0, this.length))
    this.buf = grown
  }

  u8(v: number): this {
    this.reserve(1)
    this.buf[this.length++] = v
    return this
  }

  u16(v: number): this {
    return this.u8(v & 0xff).u8((v >> 8) & 0xff)
  }

  ascii(s: string): this {
    for (let i = 0; i < s.length; i++) this.u8(s.charCodeAt(i))
    return this
  }

  raw(bytes: Uint8Array): this {
    this.reserve(bytes.length)
    this.buf.set(bytes, this.length)
    this.length += bytes.length
    return this
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.length)
  }
}
