// Shared by the store tests and the crash writer (a child process): no vitest here.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NewFavourite } from '../../main/store/index.ts'

/** A fresh folder under the system temp dir, and a function that removes it. */
export function tempFolder(prefix = 'biggan-store-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Deterministic pseudo-random numbers (mulberry32), so the writer and the checker agree on every byte. */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Bytes that pass as a PNG (signature, then an IHDR chunk), followed by `size` pseudo-random bytes. */
export function fakePng(size = 64, seed = 1): Uint8Array {
  const head = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]
  const bytes = new Uint8Array(head.length + 17 + size)
  bytes.set(head)
  const next = random(seed)
  for (let i = head.length; i < bytes.length; i++) bytes[i] = Math.floor(next() * 256)
  return bytes
}

export function floats(length: number, seed: number): Float32Array {
  const next = random(seed)
  return Float32Array.from({ length }, () => (next() - 0.5) * 4)
}

export function oneHot(length: number, index: number): Float32Array {
  const y = new Float32Array(length)
  y[index] = 1
  return y
}

/** A valid new favourite; `seed` varies z and the thumbnail. */
export function newFavourite(overrides: Partial<NewFavourite> = {}, seed = 1): NewFavourite {
  return {
    name: `favourite ${seed}`,
    tags: [],
    notes: '',
    rating: 0,
    parentId: null,
    modelHash: 'model-a',
    modelName: 'BigGAN 128',
    engineVersion: '1.0.0',
    semantics: 'released',
    z: floats(120, seed),
    y: oneHot(1000, seed % 1000),
    truncation: 0.5,
    seed,
    thumbnail: fakePng(64, seed),
    ...overrides,
  }
}

/** Float32Array bits as a Uint32Array, for bit-exact comparisons (toEqual treats −0 and 0 alike). */
export const bits = (values: Float32Array): Uint32Array => new Uint32Array(values.slice().buffer)
