// Named directions in the library: a direction found in Explore, kept per model under the person's name with its
// vector (bit for bit) and the range of G's blocks (hierarchical-z chunks) it edits.
import { describe, expect, it } from 'vitest'
import type { NewDirection } from '../../main/store/index.ts'
import { freshLibrary, refusal } from './expect.ts'
import { floats } from './helpers.ts'

function direction(overrides: Partial<NewDirection> = {}): NewDirection {
  return { modelHash: 'model-a', name: 'sleeve length', kind: 'pca', vector: floats(120, 3), blocks: { first: 1, last: 2 }, ...overrides }
}

describe('named directions in the library', () => {
  const fresh = freshLibrary()

  it('keeps a named direction with its model, vector and block range, and reads it back after a restart', () => {
    const input = direction()
    const saved = fresh.library.saveDirection(input)
    expect(saved).toEqual({ ...input, id: saved.id, createdAt: saved.createdAt, updatedAt: saved.createdAt })
    expect(Buffer.from(saved.vector.buffer).equals(Buffer.from(input.vector.buffer))).toBe(true)
    fresh.reopen()
    expect(fresh.library.getDirection(saved.id)).toEqual(saved)
  })

  it("lists one model's directions oldest first, renames one, changes its blocks, and deletes one", () => {
    const a = fresh.library.saveDirection(direction({ name: 'a' }))
    fresh.library.saveDirection(direction({ modelHash: 'model-b', name: 'elsewhere' }))
    const c = fresh.library.saveDirection(direction({ name: 'c', kind: 'random' }))
    expect(fresh.library.listDirections('model-b').map((d) => d.name)).toEqual(['elsewhere'])
    expect(fresh.library.listDirections('model-a').slice(-2).map((d) => d.id)).toEqual([a.id, c.id])
    const renamed = fresh.library.updateDirection(a.id, { name: 'colour' })
    expect([renamed.name, renamed.blocks]).toEqual(['colour', { first: 1, last: 2 }])
    const moved = fresh.library.updateDirection(a.id, { blocks: { first: 0, last: 0 } })
    expect([moved.name, moved.blocks]).toEqual(['colour', { first: 0, last: 0 }])
    expect(fresh.library.deleteDirection(c.id)).toBe(true)
    expect(fresh.library.deleteDirection(c.id)).toBe(false)
    expect(refusal(() => fresh.library.getDirection(c.id)).code).toBe('not-found')
    expect(fresh.library.listDirections('model-c')).toEqual([])
  })

  it('refuses an empty name, a reversed block range, an unknown kind and a vector with a NaN, naming the field', () => {
    expect(refusal(() => fresh.library.saveDirection(direction({ name: ' ' }))).message).toMatch(/name/)
    expect(refusal(() => fresh.library.saveDirection(direction({ blocks: { first: 3, last: 1 } }))).message).toMatch(/blocks/)
    expect(refusal(() => fresh.library.saveDirection(direction({ kind: 'magic' as 'pca' }))).message).toMatch(/kind/)
    const bad = floats(8, 1)
    bad[5] = Number.NaN
    expect(refusal(() => fresh.library.saveDirection(direction({ vector: bad }))).message).toMatch(/vector\[5\]/)
  })
})
