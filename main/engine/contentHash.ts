// The identity of a set of weights: sha256 over the tensors in name order, each as its name, dtype and shape and
// then its bytes. It names the weights, not how a file lays them out, so a model folder, a classifier folder and a
// model that was never saved are hashed alike, and the hash that travels with a measured number means one thing.
import { createHash } from 'node:crypto'
import type { DType, RawTensor } from '../tensors/tensor.ts'

/** Hashes tensors one at a time, as a writer or reader passes them; add them in name order. */
export class ContentHasher {
  private readonly h = createHash('sha256')
  add(name: string, dtype: DType, shape: readonly number[], data: Uint8Array): void {
    this.h.update(`${name}\0${dtype}\0${JSON.stringify(shape)}\0`)
    this.h.update(data)
  }
  digest(): string {
    return this.h.digest('hex')
  }
}

/** The content hash of tensors held in memory (sorted by name here). */
export function contentHashOf(tensors: ReadonlyMap<string, RawTensor>): string {
  const hasher = new ContentHasher()
  for (const name of [...tensors.keys()].sort()) {
    const t = tensors.get(name)!
    hasher.add(name, t.dtype, t.shape, t.data)
  }
  return hasher.digest()
}
