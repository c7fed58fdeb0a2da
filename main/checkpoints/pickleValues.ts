// What the restricted unpickler produces: plain JS data plus a few inert records. Nothing here can run code; a
// "global" is only a name that passed the allowlist.

import type { DType } from '../tensors/tensor.ts'

/** A Python dict key this reader accepts: hashable primitives only. */
export type PickleKey = string | number | bigint | boolean | null

export type PickleValue =
  | PickleKey
  | Uint8Array // bytes
  | PickleValue[] // list (mutable) or tuple (frozen: see isTuple)
  | Map<PickleKey, PickleValue> // dict and OrderedDict
  | Set<PickleKey> // only ever empty: ADDITEMS is not allowed
  | PickleGlobal
  | StorageRef
  | TensorRef
  | NumpyDType

/** An allowlisted `module.name` pushed by GLOBAL/STACK_GLOBAL; only REDUCE/NEWOBJ/persistent ids give it meaning. */
export class PickleGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualified(): string {
    return `${this.module}.${this.name}`
  }
}

/** A torch storage named by a persistent id `('storage', torch.FloatStorage, key, location, numel)`. */
export class StorageRef {
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly location: string,
    /** elements the pickle declares; the container format must hold exactly numel × itemsize bytes for it */
    readonly numel: number,
  ) {}
}

/** A tensor from `torch._utils._rebuild_tensor_v2`: a view into a storage, already checked to lie inside it. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    /** in elements */
    readonly offset: number,
    readonly shape: readonly number[],
    /** in elements */
    readonly stride: readonly number[],
    readonly requiresGrad: boolean,
  ) {}
}

/** `numpy.dtype('f8')` as data: only used to decode numpy scalars (BigGAN-PyTorch's best_IS / best_FID). */
export class NumpyDType {
  byteOrder = '<'
  constructor(readonly code: string) {}
}

/** Tuples are frozen arrays; lists are never frozen. APPEND uses this to refuse appending to a tuple. */
export function isTuple(v: unknown): v is readonly PickleValue[] {
  return Array.isArray(v) && Object.isFrozen(v)
}

export function tuple(items: PickleValue[]): PickleValue[] {
  return Object.freeze(items) as PickleValue[]
}
