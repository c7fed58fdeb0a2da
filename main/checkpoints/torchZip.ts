// PyTorch ≥ 1.6 checkpoints: a zip with `<prefix>/data.pkl` (the object, storages as persistent ids) and one
// record `<prefix>/data/<key>` per storage. TorchScript archives share the container but carry code; they are
// refused by name (CVE-2025-32434 came from loading one through the weights-only path).

import { CheckpointError } from '../tensors/errors'
import type { ReadOptions } from './cancel'
import { unpickle } from './pickle'
import type { StorageRef } from './pickleValues'
import { itemSize, plainBytes } from '../tensors/tensor'
import { collectTensors, type TorchCheckpoint } from './torchTensors'
import { readZip, type ZipEntry } from './zip'

const torchScriptMarkers = ['constants.pkl', 'code', 'model.json', 'extra', 'attributes.pkl']

export function readTorchZip(bytes: Uint8Array, file?: string, options: ReadOptions = {}): TorchCheckpoint {
  bytes = plainBytes(bytes)
  const { checkCancelled } = options
  // TorchScript is recognised by its entry names before anything else is judged: torch.jit.save compresses its code
  // entries, and "entry …/code/__torch__.py is compressed" would not say what the file is
  const entries = readZip(bytes, file, { checkCancelled, screen: (names) => refuseTorchScript(names, file) })
  const prefix = singlePrefix(entries, file)
  const pkl = entries.get(`${prefix}/data.pkl`)
  if (!pkl) throw new CheckpointError('bad-header', `zip has no ${prefix}/data.pkl; not a torch checkpoint`, file)
  const swap = byteOrder(entries.get(`${prefix}/byteorder`), file) === 'big'

  const { value, end, storages } = unpickle(pkl.data, { file, what: `${prefix}/data.pkl`, checkCancelled })
  if (end !== pkl.data.byteLength) {
    throw new CheckpointError('bad-header', `${prefix}/data.pkl has ${pkl.data.byteLength - end} bytes after STOP`, file)
  }
  const records = new Map<string, Uint8Array>()
  for (const s of storages.values()) {
    checkCancelled?.()
    records.set(s.key, storageRecord(entries, prefix, s, swap, file))
  }
  const tensors = collectTensors(value, (s) => records.get(s.key) as Uint8Array, file, checkCancelled)
  return { root: value, tensors }
}

/** A TorchScript archive holds code (code/, constants.pkl, …) under its top-level folder beside data.pkl. */
function refuseTorchScript(names: readonly string[], file?: string): void {
  for (const name of names) {
    const inner = name.split('/').slice(1)
    if (inner.length > 0 && torchScriptMarkers.includes(inner[0])) {
      throw new CheckpointError(
        'unsafe-pickle',
        `this is a TorchScript archive (torch.jit.save; it contains ${inner.join('/')}), which carries code and is ` +
          'never loaded; save the weights with torch.save(model.state_dict(), path) and load that file instead',
        file,
      )
    }
  }
}

/** All entries must sit under one top-level folder (torch names it after the file). */
function singlePrefix(entries: Map<string, ZipEntry>, file?: string): string {
  const prefixes = new Set([...entries.keys()].map((n) => n.split('/')[0]))
  const names = [...entries.keys()]
  if (prefixes.size !== 1 || names.some((n) => !n.includes('/'))) {
    throw new CheckpointError(
      'bad-header',
      `zip entries must all sit under one top-level folder; found ${[...prefixes].slice(0, 5).map((p) => JSON.stringify(p)).join(', ')}`,
      file,
    )
  }
  return [...prefixes][0]
}

function byteOrder(entry: ZipEntry | undefined, file?: string): 'little' | 'big' {
  if (!entry) return 'little'
  const text = new TextDecoder().decode(entry.data).trim()
  if (text !== 'little' && text !== 'big') {
    throw new CheckpointError('bad-header', `byteorder record says ${JSON.stringify(text.slice(0, 20))}; expected little or big`, file)
  }
  return text
}

function storageRecord(
  entries: Map<string, ZipEntry>, prefix: string, s: StorageRef, swap: boolean, file?: string,
): Uint8Array {
  const name = `${prefix}/data/${s.key}`
  const record = entries.get(name)
  if (!record) throw new CheckpointError('bad-header', `storage ${s.key} is referenced but ${name} is missing`, file)
  const size = itemSize[s.dtype]
  if (record.data.byteLength !== s.numel * size) {
    throw new CheckpointError(
      'bad-header',
      `${name} holds ${record.data.byteLength} bytes but its storage declares ${s.numel} ${s.dtype} elements (${s.numel * size} bytes)`,
      file,
    )
  }
  return swap ? byteSwapped(record.data, size) : record.data
}

/** A big-endian checkpoint's storage in little-endian order. */
function byteSwapped(data: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(data.byteLength)
  for (let i = 0; i < data.byteLength; i += size) {
    for (let j = 0; j < size; j++) out[i + j] = data[i + size - 1 - j]
  }
  return out
}
