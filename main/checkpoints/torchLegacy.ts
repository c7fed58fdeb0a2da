// Pre-1.6 torch checkpoints (the HF BigGAN-deep .bin files): five pickles back to back (magic number, protocol
// 1001, sys_info, the object, the list of storage keys), then each storage in that key order as an int64 element
// count and its raw little-endian bytes. Nothing may follow the last storage.

import { CheckpointError } from '../tensors/errors'
import type { ReadOptions } from './cancel'
import { unpickle, type PickleValue } from './pickle'
import type { StorageRef } from './pickleValues'
import { itemSize, plainBytes } from '../tensors/tensor'
import { collectTensors, type TorchCheckpoint } from './torchTensors'

export const legacyMagic = 0x1950a86a20f9469cfc6cn

export function readTorchLegacy(bytes: Uint8Array, file?: string, options: ReadOptions = {}): TorchCheckpoint {
  bytes = plainBytes(bytes)
  const { checkCancelled } = options
  const bad = (message: string): never => {
    throw new CheckpointError('bad-header', `legacy torch file: ${message}`, file)
  }
  const magic = unpickle(bytes, { file, what: 'legacy magic number' })
  if (magic.value !== legacyMagic) {
    throw new CheckpointError(
      'bad-magic',
      'a pickle without the torch legacy magic number, so not a torch.save() checkpoint; only those are accepted',
      file,
    )
  }
  const protocol = unpickle(bytes, { file, start: magic.end, what: 'legacy protocol version' })
  if (protocol.value !== 1001) bad(`protocol version ${String(protocol.value)} is not 1001`)
  const sysInfo = unpickle(bytes, { file, start: protocol.end, what: 'legacy sys_info' })
  if (!(sysInfo.value instanceof Map)) bad('sys_info is not a dict')
  const info = sysInfo.value as Map<PickleValue, PickleValue>
  if (info.get('little_endian') !== true) {
    throw new CheckpointError('unsupported', 'saved on a big-endian machine; re-save it on a little-endian one', file)
  }
  const object = unpickle(bytes, { file, start: sysInfo.end, what: 'legacy object pickle', checkCancelled })
  const keysPickle = unpickle(bytes, { file, start: object.end, what: 'legacy storage key list', checkCancelled })
  const keys = keysPickle.value
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) bad('storage key list is not a list of strings')

  const storages = object.storages
  const keyList = keys as string[]
  // a Set, not the list: a file may hold hundreds of thousands of storages, and each is looked up once
  const listed = new Set(keyList)
  if (listed.size !== keyList.length) bad('storage key list repeats a key')
  for (const k of storages.keys()) if (!listed.has(k)) bad(`storage ${k} is referenced but has no data`)
  for (const k of keyList) if (!storages.has(k)) bad(`storage ${k} has data but nothing references it`)

  const records = new Map<string, Uint8Array>()
  let pos = keysPickle.end
  for (const key of keyList) {
    checkCancelled?.()
    const s = storages.get(key) as StorageRef
    const [data, next] = readStorage(bytes, pos, s, file)
    records.set(key, data)
    pos = next
  }
  if (pos !== bytes.byteLength) bad(`${bytes.byteLength - pos} unexpected bytes after the last storage`)
  const tensors = collectTensors(object.value, (s) => records.get(s.key) as Uint8Array, file, checkCancelled)
  return { root: object.value, tensors }
}

function readStorage(bytes: Uint8Array, pos: number, s: StorageRef, file?: string): [Uint8Array, number] {
  if (bytes.byteLength - pos < 8) {
    throw new CheckpointError('truncated', `storage ${s.key}: the file ends before its element count`, file)
  }
  const count = new DataView(bytes.buffer, bytes.byteOffset + pos, 8).getBigInt64(0, true)
  if (count !== BigInt(s.numel)) {
    throw new CheckpointError(
      'bad-header', `storage ${s.key} holds ${count} elements but the pickle declares ${s.numel}`, file,
    )
  }
  const length = s.numel * itemSize[s.dtype]
  const begin = pos + 8
  if (length > bytes.byteLength - begin) {
    throw new CheckpointError('truncated', `storage ${s.key} needs ${length} bytes but the file ends sooner`, file)
  }
  return [bytes.subarray(begin, begin + length), begin + length]
}
