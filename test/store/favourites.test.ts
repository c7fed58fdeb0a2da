import { describe, expect, it } from 'vitest'
import { Library, LibraryError, STORE_LIMITS, type NewFavourite } from '../../main/store/index.ts'
import { bits, fakePng, newFavourite } from './helpers.ts'
import { freshLibrary, refusal } from './expect.ts'


describe('favourites', () => {
  const fresh = freshLibrary()

  const save = (overrides: Partial<NewFavourite> = {}, seed = 1) => fresh.library.saveFavourite(newFavourite(overrides, seed))

  it('saves a favourite and reads back every field, z and y bit for bit', () => {
    const z = new Float32Array([0, -0, 1e-45, -1e-45, 3.4028234663852886e38, -3.4028234663852886e38, Math.fround(0.1), 1.1754942e-38])
    const y = new Float32Array([0.25, 0.75, -0, 1 / 3])
    const input = newFavourite({ name: '  Golden retriever ', tags: ['dog', ' Dogs ', 'DOG', ''], notes: 'soft light', rating: 5, z, y, seed: 2 ** 32 - 1 })
    const saved = fresh.library.saveFavourite(input)
    expect(saved).toMatchObject({
      name: 'Golden retriever',
      tags: ['dog', 'Dogs'],
      notes: 'soft light',
      rating: 5,
      parentId: null,
      modelHash: 'model-a',
      modelName: 'BigGAN 128',
      engineVersion: '1.0.0',
      semantics: 'released',
      truncation: 0.5,
      seed: 2 ** 32 - 1,
    })
    expect(saved.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(saved.updatedAt).toBe(saved.createdAt)

    fresh.reopen()
    const read = fresh.library.getFavourite(saved.id)
    expect(read).toEqual(saved)
    expect(bits(read.z)).toEqual(bits(z))
    expect(bits(read.y)).toEqual(bits(y))
    expect(Object.is(read.z[1], -0)).toBe(true)
    expect(read.thumbnail).toEqual(input.thumbnail)
    expect(read.thumbnail.constructor).toBe(Uint8Array) // not a Node Buffer: crosses IPC as it is
    expect(read.z.byteOffset).toBe(0)
  })

  it('leaves seed out when the point has none', () => {
    const saved = save({ seed: undefined })
    expect('seed' in fresh.library.getFavourite(saved.id)).toBe(false)
  })

  it('refuses values it must not store, naming the field, and saves nothing', () => {
    const cases: [Partial<NewFavourite>, string, RegExp][] = [
      [{ rating: 6 }, 'invalid', /rating/],
      [{ rating: 2.5 }, 'invalid', /rating/],
      [{ name: '   ' }, 'invalid', /name/],
      [{ name: 'x'.repeat(STORE_LIMITS.name + 1) }, 'invalid', /name/],
      [{ notes: 'x'.repeat(STORE_LIMITS.notes + 1) }, 'invalid', /notes/],
      [{ tags: Array.from({ length: STORE_LIMITS.tags + 1 }, (_, i) => `t${i}`) }, 'invalid', /tags/],
      [{ z: new Float32Array([1, Number.NaN]) }, 'invalid', /z\[1\]/],
      [{ y: new Float32Array([Number.POSITIVE_INFINITY]) }, 'invalid', /y\[0\]/],
      [{ z: new Float32Array(0) }, 'invalid', /z/],
      [{ z: new Float32Array(STORE_LIMITS.zDim + 1) }, 'invalid', /z/],
      [{ z: [1, 2] as unknown as Float32Array }, 'invalid', /z/],
      [{ truncation: 0 }, 'invalid', /truncation/],
      [{ seed: -1 }, 'invalid', /seed/],
      [{ semantics: 'other' as 'paper' }, 'invalid', /semantics/],
      [{ thumbnail: new TextEncoder().encode('GIF89a not a png at all, really not') }, 'invalid', /thumbnail/],
      [{ parentId: 999 }, 'not-found', /parent favourite 999/],
    ]
    for (const [overrides, code, field] of cases) {
      const error = refusal(() => save(overrides))
      expect(error.code, JSON.stringify(Object.keys(overrides))).toBe(code)
      expect(error.message).toMatch(field)
    }
    expect(fresh.library.listFavourites().total).toBe(0)
  })

  it('updates name, tags, notes and rating, and says when the favourite is gone', () => {
    const saved = save({ tags: ['a', 'b'] })
    const updated = fresh.library.updateFavourite(saved.id, { name: 'Renamed', tags: ['c'], rating: 3 })
    expect(updated).toMatchObject({ name: 'Renamed', tags: ['c'], notes: '', rating: 3 })
    expect(updated.updatedAt >= saved.updatedAt).toBe(true)
    expect(bits(updated.z)).toEqual(bits(saved.z))
    expect(fresh.library.tags()).toEqual([{ tag: 'c', count: 1 }])
    expect(fresh.library.listFavourites({ query: 'renamed' }).total).toBe(1)
    expect(fresh.library.updateFavourite(saved.id, {})).toEqual(updated)
    expect(refusal(() => fresh.library.updateFavourite(saved.id, { rating: -1 })).code).toBe('invalid')
    expect(refusal(() => fresh.library.updateFavourite(12345, { rating: 1 })).code).toBe('not-found')
    expect(refusal(() => fresh.library.getFavourite(12345)).message).toMatch(/no favourite 12345/)
  })

  it('deletes a favourite while its children keep existing without a parent', () => {
    const parent = save({ tags: ['x'] }, 1)
    const child = save({ parentId: parent.id }, 2)
    expect(fresh.library.deleteFavourite(parent.id)).toBe(true)
    expect(fresh.library.deleteFavourite(parent.id)).toBe(false)
    expect(fresh.library.getFavourite(child.id).parentId).toBeNull()
    expect(fresh.library.tags()).toEqual([])
    expect(refusal(() => fresh.library.getFavourite(parent.id)).code).toBe('not-found')
  })

  it('lists newest first and pages with limit and offset, counting every match', () => {
    const saved = Array.from({ length: 7 }, (_, i) => save({ name: `f${i}` }, i + 1))
    const all = fresh.library.listFavourites()
    expect(all.total).toBe(7)
    expect(all.items.map((f) => f.name)).toEqual(saved.map((f) => f.name).reverse())
    const page = fresh.library.listFavourites({ limit: 3, offset: 3 })
    expect(page.total).toBe(7)
    expect(page.items.map((f) => f.name)).toEqual(['f3', 'f2', 'f1'])
    expect(fresh.library.listFavourites({ limit: 3, offset: 6 }).items.map((f) => f.name)).toEqual(['f0'])
    expect(fresh.library.listFavourites({ offset: 100 })).toEqual({ items: [], total: 7 })
    expect(refusal(() => fresh.library.listFavourites({ limit: 0 })).code).toBe('invalid')
  })

  it('finds favourites whose name, notes or tags hold every word of the query, in any case', () => {
    save({ name: 'Golden Retriever', notes: 'at the beach', tags: ['dog'] }, 1)
    save({ name: 'Tabby', notes: 'sleepy CAT on a beach', tags: ['cat', 'Ärger'] }, 2)
    save({ name: '100% dog_ish', tags: [] }, 3)
    const names = (query: string) => fresh.library.listFavourites({ query }).items.map((f) => f.name).sort()
    expect(names('beach')).toEqual(['Golden Retriever', 'Tabby'])
    expect(names('BEACH dog')).toEqual(['Golden Retriever'])
    expect(names('retriever   golden')).toEqual(['Golden Retriever'])
    expect(names('cat')).toEqual(['Tabby'])
    expect(names('ärger')).toEqual(['Tabby']) // case folding beyond ASCII
    expect(names('dog')).toEqual(['100% dog_ish', 'Golden Retriever'])
    // LIKE's wildcards are plain characters in a query
    expect(names('%')).toEqual(['100% dog_ish'])
    expect(names('d_g')).toEqual([])
    expect(names('_')).toEqual(['100% dog_ish'])
    // a query is data, never SQL
    expect(names(`'; DROP TABLE favourites; --`)).toEqual([])
    expect(names('')).toHaveLength(3)
    expect(fresh.library.listFavourites().total).toBe(3)
  })

  it('filters by tag, minimum rating and model, and counts tags', () => {
    save({ tags: ['Dog', 'outdoor'], rating: 5, modelHash: 'm1' }, 1)
    save({ tags: ['dog'], rating: 2, modelHash: 'm2' }, 2)
    save({ tags: ['cat'], rating: 4, modelHash: 'm1' }, 3)
    const ids = (filter: Parameters<Library['listFavourites']>[0]) => fresh.library.listFavourites(filter).items.map((f) => f.name).sort()
    expect(ids({ tag: 'DOG' })).toEqual(['favourite 1', 'favourite 2'])
    expect(ids({ tag: 'dog', minRating: 3 })).toEqual(['favourite 1'])
    expect(ids({ modelHash: 'm1' })).toEqual(['favourite 1', 'favourite 3'])
    expect(ids({ modelHash: 'm1', tag: 'cat', minRating: 4 })).toEqual(['favourite 3'])
    expect(ids({ tag: 'none' })).toEqual([])
    expect(fresh.library.tags()).toEqual([
      { tag: 'Dog', count: 2 },
      { tag: 'cat', count: 1 },
      { tag: 'outdoor', count: 1 },
    ])
  })

  it('walks lineage: ancestors oldest first, descendants breadth-first', () => {
    const a = save({ name: 'a' }, 1)
    const b = save({ name: 'b', parentId: a.id }, 2)
    const c = save({ name: 'c', parentId: b.id }, 3)
    const d = save({ name: 'd', parentId: a.id }, 4)
    const e = save({ name: 'e', parentId: c.id }, 5)
    const names = (fs: { name: string }[]) => fs.map((f) => f.name)

    const ofC = fresh.library.lineage(c.id)
    expect(names(ofC.ancestors)).toEqual(['a', 'b'])
    expect(ofC.self).toEqual(fresh.library.getFavourite(c.id))
    expect(names(ofC.descendants)).toEqual(['e'])

    const ofA = fresh.library.lineage(a.id)
    expect(ofA.ancestors).toEqual([])
    expect(names(ofA.descendants)).toEqual(['b', 'd', 'c', 'e'])

    fresh.library.deleteFavourite(b.id)
    expect(names(fresh.library.lineage(e.id).ancestors)).toEqual(['c'])
    expect(names(fresh.library.lineage(a.id).descendants)).toEqual(['d'])
    expect(d.parentId).toBe(a.id)
    expect(refusal(() => fresh.library.lineage(999)).code).toBe('not-found')
  })

  it('answers with a LibraryError once closed', () => {
    fresh.library.close()
    const error = refusal(() => fresh.library.listFavourites())
    expect(error.code).toBe('io')
    expect(error.message).toMatch(/closed/)
  })

  it('keeps thumbnails up to the contract limit and refuses bigger ones', () => {
    const big = fakePng(1 << 20, 9)
    const read = fresh.library.getFavourite(save({ thumbnail: big }).id).thumbnail
    expect(Buffer.compare(read, big)).toBe(0) // (toEqual walks a megabyte element by element)
    const tooBig = new Uint8Array(STORE_LIMITS.pngBytes + 1)
    tooBig.set(fakePng(0))
    expect(refusal(() => save({ thumbnail: tooBig })).code).toBe('invalid')
  })
})
