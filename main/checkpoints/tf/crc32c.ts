// CRC-32C (Castagnoli), masked as LevelDB and TensorFlow store it: the tensor bundle's index blocks and every
// tensor's bytes carry one, so a flipped bit anywhere is caught before a weight is used. Slicing-by-8, as crc32.ts.

const tables = (() => {
  const t = Array.from({ length: 8 }, () => new Uint32Array(256))
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1
    t[0][n] = c >>> 0
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) t[k][n] = (t[0][t[k - 1][n] & 0xff] ^ (t[k - 1][n] >>> 8)) >>> 0
  }
  return t
})()

/** CRC-32C of `bytes`, continuing from `crc` (the CRC of the bytes before them). */
export function crc32c(bytes: Uint8Array, crc = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = tables
  let c = (crc ^ 0xffffffff) >>> 0
  let i = 0
  const end8 = bytes.length - (bytes.length % 8)
  for (; i < end8; i += 8) {
    const lo = (c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24))) >>> 0
    c = t7[lo & 0xff] ^ t6[(lo >>> 8) & 0xff] ^ t5[(lo >>> 16) & 0xff] ^ t4[lo >>> 24] ^
      t3[bytes[i + 4]] ^ t2[bytes[i + 5]] ^ t1[bytes[i + 6]] ^ t0[bytes[i + 7]]
  }
  for (; i < bytes.length; i++) c = t0[(c ^ bytes[i]) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

// A CRC stored next to the data it covers is masked, so that the CRC of a string holding CRCs stays well spread.
const maskDelta = 0xa282ead8

export function maskCrc(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + maskDelta) >>> 0
}

export function unmaskCrc(masked: number): number {
  const rot = (masked - maskDelta) >>> 0
  return ((rot >>> 17) | (rot << 15)) >>> 0
}
