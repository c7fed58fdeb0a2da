// The write-ahead log read the way SQLite's recovery reads it, but here, before SQLite does. SQLite stops at the
// first frame that fails its checksum and silently ignores everything after it, then folds what it read into the
// database and deletes the log: committed saves past a damaged frame would vanish without a word. Reading the log
// first finds them while the file still holds them. The format is sqlite.org's fileformat2.html, "WAL File Format".
import fs from 'node:fs'

const WAL_HEADER = 32
const FRAME_HEADER = 24
const VERSION = 3007000
/** The magic numbers: the low bit says whether the checksums read the data as big-endian words. */
const MAGIC = [0x377f0682, 0x377f0683]

/** What a damaged log holds that SQLite will not read. */
export interface WalDamage {
  /** what is wrong, in words: how many committed transactions (a saved favourite is one) at least SQLite will not
   *  read; those whose last frame the damage covers cannot be counted */
  problem: string
}

/** SQLite's checksum: 32-bit sums over pairs of 32-bit words, seeded with the previous frame's, in place. */
function checksum(bytes: Buffer, bigEndian: boolean, sums: Uint32Array): void {
  for (let i = 0; i + 8 <= bytes.length; i += 8) {
    sums[0] += (bigEndian ? bytes.readUInt32BE(i) : bytes.readUInt32LE(i)) + sums[1]
    sums[1] += (bigEndian ? bytes.readUInt32BE(i + 4) : bytes.readUInt32LE(i + 4)) + sums[0]
  }
}

/** Reads the log at `walFile` (absent, unreadable or empty: nothing to say) and returns what SQLite would leave
 *  unread, or null when it would read every committed transaction. What is past the last commit SQLite reads is normal after a crash:
 *  a transaction cut short (its frames carry no commit mark), or frames of an earlier pass through the file (they
 *  carry other salts). Damage shows as a commit of this pass (this log's salts) beyond a frame SQLite cannot read.
 *  A log cut short, or damaged from some frame to its very end, looks like one that never held those transactions:
 *  that is why the library checkpoints after every save (see checkpoint in open.ts), so the log holds little. */
export function inspectWal(walFile: string): WalDamage | null {
  let fd: number
  try {
    fd = fs.openSync(walFile, 'r')
  } catch {
    return null // none, or one SQLite cannot read either: opening the library then fails saying why
  }
  try {
    const size = fs.fstatSync(fd).size
    if (size <= WAL_HEADER) return null // no frame was ever written to it
    const header = Buffer.alloc(WAL_HEADER)
    fs.readSync(fd, header, 0, WAL_HEADER, 0)
    const magic = header.readUInt32BE(0)
    const pageSize = header.readUInt32BE(8)
    const bigEndian = magic === MAGIC[1]
    const sums = new Uint32Array(2)
    checksum(header.subarray(0, 24), bigEndian, sums)
    const validHeader =
      MAGIC.includes(magic) &&
      header.readUInt32BE(4) === VERSION &&
      pageSize >= 512 &&
      pageSize <= 65536 &&
      (pageSize & (pageSize - 1)) === 0 &&
      sums[0] === header.readUInt32BE(24) &&
      sums[1] === header.readUInt32BE(28)
    if (!validHeader)
      return { problem: `its header is damaged, so SQLite reads none of the ${size - WAL_HEADER} bytes after it` }

    const salts = header.subarray(16, 24)
    const frame = Buffer.alloc(FRAME_HEADER + pageSize)
    const frames = Math.floor((size - WAL_HEADER) / frame.length)
    let unreadable = -1 // the first frame SQLite cannot read
    let unreadableCommit = false // it was a commit of this pass
    let oursAfter = false
    let lost = 0
    for (let i = 0; i < frames; i++) {
      fs.readSync(fd, frame, 0, frame.length, WAL_HEADER + i * frame.length)
      const ours = frame.subarray(8, 16).equals(salts)
      const commit = frame.readUInt32BE(4) !== 0 // a commit frame holds the database's size after it, never 0
      if (unreadable < 0) {
        const next = Uint32Array.from(sums)
        checksum(frame.subarray(0, 8), bigEndian, next)
        checksum(frame.subarray(FRAME_HEADER), bigEndian, next)
        const readable = ours && frame.readUInt32BE(0) !== 0 && next[0] === frame.readUInt32BE(16) && next[1] === frame.readUInt32BE(20)
        if (readable) sums.set(next)
        else [unreadable, unreadableCommit] = [i, ours && commit]
      } else if (ours) {
        oursAfter = true
        if (commit) lost++
      }
    }
    // Frames are written in order, so a frame of this pass after the unreadable one means that one was damaged after
    // it was written, not torn by a crash while being written: if it closed a transaction, that one is lost too.
    if (oursAfter && unreadableCommit) lost++
    if (lost === 0) return null
    const changes = lost === 1 ? 'saved change in it comes' : 'saved changes in it come'
    return {
      problem: `at least ${lost} ${changes} after a damaged frame (frame ${unreadable + 1} of ${frames}), and SQLite reads no further than the damage`,
    }
  } finally {
    fs.closeSync(fd)
  }
}
