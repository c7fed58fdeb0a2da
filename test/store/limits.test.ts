// The library's bounds against the contract's. Values flow both ways between them: in through the contract's inputs
// (a favourite to save, a point to push, a setting), back out through its outputs (the favourite, the session, the
// settings as stored). So the contract must admit nothing the library refuses, and the library must return nothing
// the contract refuses: the two keep their own constants, and these tests keep them from drifting apart.
import { describe, expect, it } from 'vitest'
import { contract, LIMITS } from '../../preload/contract/index.ts'
import { STORE_LIMITS } from '../../main/store/index.ts'
import { freshLibrary } from './expect.ts'
import { fakePng } from './helpers.ts'

const full = (length: number): Float32Array => Float32Array.from({ length }, (_, i) => (i % 7) / 7)

describe('the library and the contract', () => {
  const fresh = freshLibrary()

  it('share every bound both of them name', () => {
    const shared = Object.keys(LIMITS).filter((key) => key in STORE_LIMITS) as (keyof typeof LIMITS & keyof typeof STORE_LIMITS)[]
    expect(shared.sort()).toEqual(['classes', 'favouritesFileBytes', 'name', 'notes', 'ortThreads', 'path', 'pngBytes', 'tags', 'wasmThreads', 'zDim'])
    for (const key of shared) expect([key, STORE_LIMITS[key]]).toEqual([key, LIMITS[key]])
  })

  it('a favourite at every bound the contract admits is saved, and comes back as the contract carries it', () => {
    const input = contract['favourites:save'].input.parse({
      point: { z: full(LIMITS.zDim), y: full(LIMITS.classes), truncation: 4, seed: 2 ** 32 - 1 },
      name: 'n'.repeat(LIMITS.name),
      tags: Array.from({ length: LIMITS.tags }, (_, i) => String(i).padEnd(LIMITS.name, 't')),
      notes: 'x'.repeat(LIMITS.notes),
      rating: 5,
    })
    const saved = fresh.library.saveFavourite({
      name: input.name,
      tags: input.tags,
      notes: input.notes,
      rating: input.rating,
      parentId: null,
      modelHash: 'h'.repeat(64),
      modelName: 'm'.repeat(LIMITS.path),
      engineVersion: '0.1.0',
      semantics: 'paper',
      z: input.point.z,
      y: input.point.y,
      truncation: input.point.truncation,
      seed: input.point.seed,
      thumbnail: fakePng(),
    })
    expect(saved.tags).toHaveLength(LIMITS.tags)
    expect(contract['favourites:get'].output.parse(saved).z).toHaveLength(LIMITS.zDim)
  })

  it('a point at every bound the contract admits is pushed, and the session comes back as the contract carries it', () => {
    const input = contract['session:push'].input.parse({
      point: { z: full(LIMITS.zDim), y: full(LIMITS.classes), truncation: 0.001 },
      view: 'v'.repeat(64),
      label: 'l'.repeat(LIMITS.name),
    })
    const session = fresh.library.push({ ...input, modelHash: 'h'.repeat(64) })
    expect(contract['session:push'].output.parse(session).entries[0].label).toBe(input.label)
  })

  it('the largest thread counts and the longest catalogue path the contract admits are stored, and read back as the contract carries them', () => {
    const patch = { inference: { runtime: 'onnx', threads: LIMITS.ortThreads }, training: { threads: LIMITS.wasmThreads, executor: 'auto' }, downloads: { catalogue: '/'.repeat(LIMITS.path) } }
    const input = contract['settings:set'].input.parse(patch)
    const { settings } = fresh.library.saveSettings(input)
    expect(contract['settings:set'].input.parse(settings)).toEqual(patch)
    expect(() => contract['settings:set'].input.parse({ training: { threads: LIMITS.wasmThreads + 1, executor: 'auto' } })).toThrow()
  })
})
