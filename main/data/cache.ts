// Decoded training images on disk, so a second run over the same folder skips decoding.
//
// Keyed by content, not by path or mtime: the entry for a file is named by the sha256 of its bytes, inside a
// folder named by the decode pipeline version and the resolution. A renamed file still hits; an edited file
// misses (stale caches surviving folder changes is a known trap, DiffAugment's README warns of it).
//
// Entry layout: 'BGDC' | u32 pipeline version | u32 resolution | 32-byte sha256 of the pixels | R·R·3 pixels.
// The checksum means a torn or garbled entry (crash mid-write, disk error, a stranger's file) is detected and
// rebuilt rather than trained on; that is also why writes need no fsync: tmp + rename keeps readers from seeing
// half a file, and whatever a power cut leaves behind fails the checksum.

import { createHash, randomBytes } from 'node:crypto'
import { mkdir, open, rename, unlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { DECODE_PIPELINE_VERSION } from './decode'

const MAGIC = 0x42474443 // 'BGDC'
const HEADER_BYTES = 4 + 4 + 4 + 32

export class DecodeCache {
  readonly dir: string
  private readonly pixelBytes: number

  /** `root` is the cache folder; entries go under root/v<pipeline>-<resolution>px/. */
  constructor(
    root: string,
    readonly resolution: number,
  ) {
    this.dir = join(root, `v${DECODE_PIPELINE_VERSION}-${resolution}px`)
    this.pixelBytes = resolution * resolution * 3
  }

  /** Where the entry for a file with this content hash lives (two-character fan-out keeps folders small). */
  entryPath(fileHash: string): string {
    // The hash becomes a path: anything but a sha256 hex digest could climb out of the cache folder.
    if (!/^[0-9a-f]{64}$/.test(fileHash)) throw new Error(`cache key must be a sha256 hex digest, got '${fileHash}'`)
    return join(this.dir, fileHash.slice(0, 2), `${fileHash}.rgb`)
  }

  /** The cached [R, R, 3] pixels, or null when absent or not a valid entry (the caller then decodes again). */
  async get(fileHash: string): Promise<Uint8Array | null> {
    let handle
    try {
      handle = await open(this.entryPath(fileHash), 'r')
    } catch {
      return null
    }
    try {
      // Check the size before reading, so a huge stray file in the cache folder is not loaded.
      const { size } = await handle.stat()
      if (size !== HEADER_BYTES + this.pixelBytes) return null
      const bytes = await handle.readFile()
      return this.parse(bytes)
    } catch {
      return null
    } finally {
      await handle.close().catch(() => undefined)
    }
  }

  /** Stores an entry atomically. Throws on I/O failure (read-only folder, disk full): the caller decides. */
  async put(fileHash: string, pixels: Uint8Array): Promise<void> {
    if (pixels.length !== this.pixelBytes) {
      throw new Error(`cache entry for ${fileHash}: ${pixels.length} bytes, expected ${this.pixelBytes}`)
    }
    const path = this.entryPath(fileHash)
    await mkdir(dirname(path), { recursive: true })
    const header = Buffer.alloc(HEADER_BYTES)
    header.writeUInt32BE(MAGIC, 0)
    header.writeUInt32BE(DECODE_PIPELINE_VERSION, 4)
    header.writeUInt32BE(this.resolution, 8)
    createHash('sha256').update(pixels).digest().copy(header, 12)
    // A unique tmp name: two loads of the same folder at once each write their own, and the last rename wins
    // with identical content.
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
    try {
      await writeFile(tmp, Buffer.concat([header, pixels]), { flag: 'wx' })
      await rename(tmp, path)
    } catch (e) {
      await unlink(tmp).catch(() => undefined)
      throw e
    }
  }

  private parse(bytes: Buffer): Uint8Array | null {
    if (bytes.length !== HEADER_BYTES + this.pixelBytes) return null
    if (bytes.readUInt32BE(0) !== MAGIC) return null
    if (bytes.readUInt32BE(4) !== DECODE_PIPELINE_VERSION) return null
    if (bytes.readUInt32BE(8) !== this.resolution) return null
    const pixels = bytes.subarray(HEADER_BYTES)
    const sum = createHash('sha256').update(pixels).digest()
    if (!sum.equals(bytes.subarray(12, HEADER_BYTES))) return null
    return new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength)
  }
}
