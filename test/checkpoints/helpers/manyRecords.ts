// Checkpoints with very many small records (10^5 and more), written compactly the way torch writes them: repeated
// globals and strings come back from the memo. They feed the tests that bound how the readers' work grows.

import { writeSafetensors } from '../../../main/checkpoints/safetensors'
import { fromFloat32 } from '../../../main/tensors/convert'
import { writeBundle } from './bundleWriter'
import { PickleBuilder, pickle } from './pickleBuilder'
import { concat } from './torchBuilder'
import { buildZip, type ZipInput } from './zipBuilder'

/** `{t0: tensor, t1: tensor, …}`, each tensor empty on a storage of its own (key `i`). */
export function manyTensorsPickle(count: number, legacy: boolean): Uint8Array {
  const p = pickle().proto(2).global('collections', 'OrderedDict').binput(0).emptyTuple().reduce().mark()
  const seen = new Set<number>([0])
  const memo = (slot: number, first: (b: PickleBuilder) => void): void => {
    if (seen.has(slot)) p.binget(slot)
    else {
      first(p)
      p.binput(slot)
      seen.add(slot)
    }
  }
  for (let i = 0; i < count; i++) {
    p.shortUnicode(`t${i}`)
    memo(1, (b) => b.global('torch._utils', '_rebuild_tensor_v2'))
    p.mark().mark()
    memo(2, (b) => b.shortUnicode('storage'))
    memo(3, (b) => b.global('torch', 'FloatStorage'))
    p.shortUnicode(String(i))
    memo(4, (b) => b.shortUnicode('cpu'))
    p.int(0)
    if (legacy) p.none()
    p.tuple().binpersid().int(0).int(0).tuple1().int(1).tuple1().bool(false).binget(0).emptyTuple().reduce().tuple().reduce()
  }
  return p.setitems().stop().bytes()
}

/** A legacy torch stream of `count` empty storages, each under its own tensor. */
export function legacyWithStorages(count: number): Uint8Array {
  const keys = pickle().proto(2).emptyList().mark()
  for (let i = 0; i < count; i++) keys.shortUnicode(String(i))
  return concat([
    pickle().proto(2).long1(0x1950a86a20f9469cfc6cn).stop().bytes(),
    pickle().proto(2).int(1001).stop().bytes(),
    pickle().proto(2).emptyDict().mark().unicode('little_endian').bool(true).setitems().stop().bytes(),
    manyTensorsPickle(count, true),
    keys.appends().stop().bytes(),
    new Uint8Array(8 * count), // each storage: an int64 element count of 0 and no bytes
  ])
}

/** A torch zip of `count` empty storage records, each under its own tensor. */
export function zipWithStorages(count: number): Uint8Array {
  const entries: ZipInput[] = [{ name: 'archive/data.pkl', data: manyTensorsPickle(count, false) }]
  for (let i = 0; i < count; i++) entries.push({ name: `archive/data/${i}`, data: new Uint8Array(0) })
  return buildZip(entries, { zip64: true })
}

/** A safetensors file of `count` one-element tensors. */
export function safetensorsWithTensors(count: number): Uint8Array {
  const one = fromFloat32([1], Float32Array.of(1))
  return writeSafetensors(Array.from({ length: count }, (_, i) => [`t${i}`, one] as const))
}

/** A pickled dict of `count` plain entries, as BigGAN-PyTorch's config is pickled. */
export function configPickle(count: number): Uint8Array {
  const p = pickle().proto(2).emptyDict().mark()
  for (let i = 0; i < count; i++) p.shortUnicode(`k${i}`).int(i % 60000)
  return p.setitems().stop().bytes()
}

/** A TensorFlow tensor bundle of `count` one-element tensors: the index and the data shard, joined as
 *  [index length (u32 LE), index, shard] so that one buffer carries both. */
export function bundleWithTensors(count: number): Uint8Array {
  const one = fromFloat32([1], Float32Array.of(1))
  const { index, data } = writeBundle(Array.from({ length: count }, (_, i) => [`t${i}`, one] as const))
  const length = new Uint8Array(4)
  new DataView(length.buffer).setUint32(0, index.byteLength, true)
  return concat([length, index, data])
}
