// CRC-32C (Castagnoli), masked as LevelDB and TensorFlow store it: the tensor bundle's index blocks and every
// tensor's bytes carry one, so a flipped bit anywhere is caught before a weight is used.
import { reflectedCrc32 } from '../crc32.ts'

const castagnoli = reflectedCrc32(0x82f63b78)

/** CRC-32C of `bytes`, continuing from `crc` (the CRC of the bytes before them). */
export function crc32c(bytes: Uint8Array, crc = 0): number {
  return castagnoli(bytes, crc)
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
