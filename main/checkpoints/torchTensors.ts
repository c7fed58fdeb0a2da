// From an unpickled torch object to named RawTensors: walk the dicts (names joined with '.'), then copy each
// tensor's view out of its storage bytes. Shared by the zip and legacy formats, which differ only in where the
// storage bytes live.

import { CheckpointError, clipped } from '../tensors/errors.ts'
import type { CheckCancelled } from './cancel'
import { NumpyDType, PickleGlobal, TensorRef, type PickleValue, type StorageRef } from './pickleValues'
import { itemSize, maxNameLength, numel, plainBytes, type RawTensor, type TensorMap } from '../tensors/tensor.ts'

export interface TorchCheckpoint {
  /** the unpickled object: usually the state dict (a Map), or BigGAN-PyTorch's state_dict.pth dict */
  root: PickleValue
  /** every tensor reachable through dicts and lists, keys joined with '.' */
  tensors: TensorMap
}

/** Deeper than any real checkpoint; stops nesting bombs before the JS stack does. */
export const maxDepth = 100
/** Containers and values visited in one walk; stops memo "billion laughs" (a list of itself, 30 deep). */
export const maxVisits = 2_000_000
/** Characters in all tensor names together: far above any real checkpoint (10^6 tensors of 60-character names),
 *  far below what the names of shared references repeated could make. */
export const maxNameCharacters = 2 ** 26

/** Depth-first walk with cycle, depth and size guards, shared by flattenTensors and pickledToPlain. */
export function guardedWalk(file?: string): { enter(v: object, depth: number): void; leave(v: object): void } {
  const onPath = new Set<object>()
  let visits = 0
  return {
    enter(v, depth) {
      if (depth > maxDepth) throw new CheckpointError('too-large', `pickled object is nested deeper than ${maxDepth} levels`, file)
      if (++visits > maxVisits) {
        throw new CheckpointError('too-large', `pickled object has more than ${maxVisits} parts (shared references repeated)`, file)
      }
      if (onPath.has(v)) throw new CheckpointError('bad-header', 'pickled object contains itself (a cycle)', file)
      onPath.add(v)
    },
    leave(v) {
      onPath.delete(v)
    },
  }
}

/** Every tensor reachable through dicts, lists and tuples, named by its path: `blocks.0.0.conv1.weight`. */
export function flattenTensors(root: PickleValue, file?: string): Array<[string, TensorRef]> {
  const out: Array<[string, TensorRef]> = []
  const names = new Set<string>()
  const guard = guardedWalk(file)
  let characters = 0
  const visit = (v: PickleValue, name: string, depth: number): void => {
    if (v instanceof TensorRef) {
      if (names.has(name)) throw new CheckpointError('bad-header', 'two tensors end up with this name', file, name)
      characters += name.length
      if (characters > maxNameCharacters) {
        throw new CheckpointError(
          'too-large', `tensor names add up to more than ${maxNameCharacters} characters (shared dicts repeated?); ` +
            'the file is damaged or crafted: load it from a source you trust', file,
        )
      }
      names.add(name)
      out.push([name, v])
      return
    }
    const children: Array<[string, PickleValue]> =
      v instanceof Map ? [...v].map(([k, c]) => [String(k), c])
        : Array.isArray(v) ? v.map((c, i) => [String(i), c])
          : []
    if (children.length === 0) return
    guard.enter(v as object, depth)
    for (const [k, c] of children) {
      if (name.length + 1 + k.length > maxNameLength) {
        throw new CheckpointError(
          'too-large', `the tensor name ${clipped(`${name}.${k}`, 60)} grows past ${maxNameLength} characters; ` +
            'real names are a few dozen: the file is damaged or crafted', file,
        )
      }
      visit(c, name === '' ? k : `${name}.${k}`, depth + 1)
    }
    guard.leave(v as object)
  }
  visit(root, '', 0)
  return out
}

/** Copies a tensor's elements out of its storage bytes, C order; contiguous views are one slice. */
export function materializeTensor(ref: TensorRef, bytes: Uint8Array, file?: string, name?: string): RawTensor {
  const storage = plainBytes(bytes)
  const size = itemSize[ref.storage.dtype]
  if (storage.byteLength !== ref.storage.numel * size) {
    throw new CheckpointError(
      'bad-header',
      `storage ${ref.storage.key} holds ${storage.byteLength} bytes but declares ${ref.storage.numel} × ${size}`,
      file, name,
    )
  }
  const shape = [...ref.shape]
  const count = numel(shape)
  if (isContiguous(ref)) {
    const begin = ref.offset * size
    return { dtype: ref.storage.dtype, shape, data: storage.slice(begin, begin + count * size) }
  }
  const data = new Uint8Array(count * size)
  const index = new Array<number>(shape.length).fill(0)
  let src = ref.offset
  for (let i = 0; i < count; i++) {
    data.set(storage.subarray(src * size, (src + 1) * size), i * size)
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d]++
      src += ref.stride[d]
      if (index[d] < shape[d]) break
      src -= ref.stride[d] * shape[d]
      index[d] = 0
    }
  }
  return { dtype: ref.storage.dtype, shape, data }
}

function isContiguous(ref: TensorRef): boolean {
  let expected = 1
  for (let d = ref.shape.length - 1; d >= 0; d--) {
    if (ref.shape[d] !== 1 && ref.stride[d] !== expected) return false
    expected *= ref.shape[d]
  }
  return true
}

/** Turns every flattened tensor into a RawTensor using `bytesOf(storage)` for the storage's raw bytes. */
export function collectTensors(
  root: PickleValue, bytesOf: (s: StorageRef) => Uint8Array, file?: string, checkCancelled?: CheckCancelled,
): TensorMap {
  const tensors: TensorMap = new Map()
  for (const [name, ref] of flattenTensors(root, file)) {
    checkCancelled?.()
    tensors.set(name, materializeTensor(ref, bytesOf(ref.storage), file, name))
  }
  return tensors
}

/**
 * A pickled dict of plain values (BigGAN-PyTorch's `config`) as a plain JS object. Keys are strings (numbers are
 * converted), set with defineProperty so a key `__proto__` stays data; tuples and lists become arrays.
 */
export function pickledToPlain(value: PickleValue, file?: string): unknown {
  const guard = guardedWalk(file)
  const convert = (v: PickleValue, depth: number): unknown => {
    if (v instanceof Map) {
      guard.enter(v, depth)
      const obj: Record<string, unknown> = {}
      for (const [k, c] of v) {
        Object.defineProperty(obj, String(k), { value: convert(c, depth + 1), enumerable: true, writable: true, configurable: true })
      }
      guard.leave(v)
      return obj
    }
    if (Array.isArray(v)) {
      guard.enter(v, depth)
      const arr = v.map((c) => convert(c, depth + 1))
      guard.leave(v)
      return arr
    }
    if (v instanceof Set) return []
    if (v instanceof PickleGlobal) return v.qualified
    if (v instanceof NumpyDType) return v.code
    return v // primitives, bytes, and tensor/storage records as they are
  }
  return convert(value, 0)
}
