// Entry point for .bin/.pth/.pt files: picks the torch format by its first bytes, exactly one way (a polyglot that
// is both a zip and a pickle is read as whichever its first bytes say, and the other reader never sees it).

import { CheckpointError } from '../tensors/errors'
import type { ReadOptions } from './cancel'
import { plainBytes } from '../tensors/tensor'
import { readTorchLegacy } from './torchLegacy'
import type { TorchCheckpoint } from './torchTensors'
import { readTorchZip } from './torchZip'

export type { TorchCheckpoint } from './torchTensors'
export { pickledToPlain } from './torchTensors'

export type TorchFormat = 'zip' | 'legacy'

const zipMagic = [0x50, 0x4b, 0x03, 0x04]
// A pickle PROTO opcode. torch writes the legacy magic number as PROTO 2, LONG1 0x1950a86a20f9469cfc6c, but a
// file saved with another pickle_protocol frames it differently, so the legacy reader checks the number itself.
const pickleMagic = [0x80]

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return bytes.byteLength >= magic.length && magic.every((b, i) => bytes[i] === b)
}

/** Which torch format the bytes claim to be, or an error that says what they look like instead. */
export function detectTorchFormat(bytes: Uint8Array, file?: string): TorchFormat {
  if (startsWith(bytes, zipMagic)) return 'zip'
  if (startsWith(bytes, pickleMagic)) return 'legacy'
  if (bytes.byteLength === 0) throw new CheckpointError('truncated', 'the file is empty', file)
  throw new CheckpointError('bad-magic', `not a PyTorch checkpoint: ${lookalike(bytes)}`, file)
}

function lookalike(bytes: Uint8Array): string {
  if (bytes.byteLength > 8 && bytes[8] === 0x7b) {
    return 'it looks like a safetensors file; open it as safetensors'
  }
  if (bytes.byteLength >= 262 && String.fromCharCode(...bytes.subarray(257, 262)) === 'ustar') {
    return 'it is a tar archive (torch 0.1 format), which is not supported'
  }
  return 'it starts with neither a zip header (PK\\x03\\x04) nor the legacy torch magic number'
}

/** Reads a torch.save() checkpoint held in memory: the unpickled object and its tensors by dotted name. */
export function readTorchCheckpoint(bytes: Uint8Array, file?: string, options: ReadOptions = {}): TorchCheckpoint {
  bytes = plainBytes(bytes)
  return detectTorchFormat(bytes, file) === 'zip' ? readTorchZip(bytes, file, options) : readTorchLegacy(bytes, file, options)
}
