import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FAVOURITES_FORMAT, Library, LibraryError, STORE_LIMITS, type NewFavourite, type StoredFavourite } from '../../main/store/index.ts'
import { bits, fakePng, newFavourite, tempFolder } from './helpers.ts'

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes)
const encode = (value: string) => new TextEncoder().encode(value)

/** Every field but the ids, which a library assigns. */
function content(f: StoredFavourite) {
  const { id: _id, parentId: _parentId, z, y, ...rest } = f
  return { ...rest, z: bits(z), y: bits(y) }
}

describe('favourites files', () => {
  let folder: ReturnType<typeof tempFolder>
  let source: Library
  let target: Library
  let family: { a: StoredFavourite; b: StoredFavourite; c: StoredFavourite; d: StoredFavourite }

  beforeEach(() => {
    folder = tempFolder()
    source = Library.open(join(folder.dir, 'source.db'))
    target = Library.open(join(folder.dir, 'target.db'))
    const save = (o: Partial<NewFavourite>, seed: number) => source.saveFavourite(newFavourite(o, seed))
    const a = save({ name: 'a', tags: ['Dog', 'beach'], notes: 'first "quoted" line\nsecond ✓', rating: 5, z: new Float32Array([-0, 1e-45, 3.4028234663852886e38, Math.fround(0.1)]) }, 1)
    const b = save({ name: 'b', parentId: a.id, semantics: 'paper', truncation: 1.75 }, 2)
    const c = save({ name: 'c', parentId: b.id, seed: undefined }, 3)
    const d = save({ name: 'd', rating: 1 }, 4)
    family = { a, b, c, d }
  })
  afterEach(() => {
    source.close()
    target.close()
    folder.remove()
  })

  const byName = (library: Library) =>
    new Map(library.listFavourites({ limit: 1000 }).items.map((f) => [f.name, f] as const))

  it('export then import reproduces every favourite, bit for bit, with its lineage', () => {
    const file = source.exportFavourites()
    const json = JSON.parse(text(file))
    expect(json).toMatchObject({ format: FAVOURITES_FORMAT, version: 1 })
    expect(json.favourites).toHaveLength(4)

    expect(target.importFavourites(file)).toEqual({ imported: 4, skipped: 0, errors: [] })
    const imported = byName(target)
    for (const original of Object.values(family)) {
      const copy = imported.get(original.name)!
      expect(content(copy)).toEqual(content(source.getFavourite(original.id)))
      expect(copy.parentId === null ? null : target.getFavourite(copy.parentId).name).toBe(
        original.parentId === null ? null : source.getFavourite(original.parentId).name,
      )
    }
    expect(Object.is(imported.get('a')!.z[0], -0)).toBe(true)
    expect('seed' in imported.get('c')!).toBe(false)
    const lineage = target.lineage(imported.get('c')!.id)
    expect(lineage.ancestors.map((f) => f.name)).toEqual(['a', 'b'])
    expect(target.tags()).toEqual(source.tags())
  })

  it('skips favourites already present on a second import', () => {
    const file = source.exportFavourites()
    target.importFavourites(file)
    expect(target.importFavourites(file)).toEqual({ imported: 0, skipped: 4, errors: [] })
    expect(target.listFavourites().total).toBe(4)
    // importing into the library it came from changes nothing either
    expect(source.importFavourites(file)).toEqual({ imported: 0, skipped: 4, errors: [] })
  })

  it('hangs a new child under the favourite that was already there', () => {
    target.importFavourites(source.exportFavourites([family.a.id]))
    expect(target.importFavourites(source.exportFavourites())).toEqual({ imported: 3, skipped: 1, errors: [] })
    const imported = byName(target)
    expect(imported.get('b')!.parentId).toBe(imported.get('a')!.id)
  })

  it('exports a selection, dropping links to parents outside it', () => {
    const file = source.exportFavourites([family.c.id, family.b.id, family.c.id])
    const json = JSON.parse(text(file))
    expect(json.favourites.map((f: { name: string; parentId: number | null }) => [f.name, f.parentId])).toEqual([
      ['b', null],
      ['c', family.b.id],
    ])
    expect(target.importFavourites(file).imported).toBe(2)
    const imported = byName(target)
    expect(imported.get('c')!.parentId).toBe(imported.get('b')!.id)
    expect(() => source.exportFavourites([999])).toThrow(expect.objectContaining({ code: 'not-found' }))
  })

  it('imports a favourite whose parent is not in the file without a parent, and says so', () => {
    const json = JSON.parse(text(source.exportFavourites([family.b.id])))
    json.favourites[0].parentId = 999
    const result = target.importFavourites(encode(JSON.stringify(json)))
    expect(result.imported).toBe(1)
    expect(result.errors).toEqual([expect.stringMatching(/parent 999 is not in the file/)])
    expect(byName(target).get('b')!.parentId).toBeNull()
  })

  it('carries a thumbnail of megabytes through export and import', () => {
    const big = fakePng(8 * 2 ** 20, 5)
    const saved = source.saveFavourite(newFavourite({ name: 'big', thumbnail: big }, 5))
    expect(target.importFavourites(source.exportFavourites([saved.id])).imported).toBe(1)
    expect(Buffer.compare(byName(target).get('big')!.thumbnail, big)).toBe(0)
  })

  it('imports in one transaction: a write that fails half-way leaves nothing behind', () => {
    const db = new Database(target.file)
    db.exec(`CREATE TRIGGER refuse_second BEFORE INSERT ON favourites WHEN (SELECT count(*) FROM favourites) >= 1
             BEGIN SELECT RAISE(ABORT, 'the disk says no'); END`)
    db.close()
    expect(() => target.importFavourites(source.exportFavourites())).toThrow(/the disk says no/)
    expect(target.listFavourites().total).toBe(0)
    expect(target.tags()).toEqual([])
  })

  describe('refuses hostile files cleanly, changing nothing', () => {
    type Edit = (json: any) => void
    const valid = () => JSON.parse(text(source.exportFavourites()))
    const edited = (edit: Edit) => {
      const json = valid()
      edit(json)
      return encode(JSON.stringify(json))
    }
    const exported = () => text(source.exportFavourites())
    const cases: [string, () => Uint8Array, RegExp][] = [
      ['an empty file', () => new Uint8Array(0), /not valid JSON/],
      ['a file cut short', () => { const f = source.exportFavourites(); return f.slice(0, f.length >> 1) }, /not valid JSON/],
      ['bytes that are not UTF-8', () => new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), /not UTF-8/],
      ['a PNG', () => fakePng(100), /not UTF-8|not valid JSON/],
      ['JSON of another kind', () => encode('{"format":"something-else","version":1}'), /not a BigGAN Studio favourites file/],
      ['a bare array', () => encode('[]'), /not a BigGAN Studio favourites file/],
      ['a newer version', () => edited((j) => (j.version = 2)), /newer BigGAN Studio/],
      ['favourites that are not a list', () => edited((j) => (j.favourites = { 0: j.favourites[0] })), /favourites: expected a list/],
      ['a favourite that is null', () => edited((j) => (j.favourites[1] = null)), /favourites\[1\]: expected a favourite/],
      ['a rating given as text', () => edited((j) => (j.favourites[0].rating = '5')), /favourites\[0\]: rating/],
      ['a rating of 6', () => edited((j) => (j.favourites[0].rating = 6)), /favourites\[0\]: rating/],
      ['a fractional id', () => edited((j) => (j.favourites[0].id = 1.5)), /favourites\[0\]\.id/],
      ['z as text', () => edited((j) => (j.favourites[0].z = '1,2,3')), /favourites\[0\]\.z: expected a list/],
      ['a string inside z', () => edited((j) => (j.favourites[2].z[3] = '1')), /favourites\[2\]\.z\[3\]/],
      ['an infinite number', () => encode(exported().replace('"z":[-0,', '"z":[1e999,')), /favourites\[0\]\.z\[0\]: expected a finite float32/],
      ['a number beyond float32', () => edited((j) => (j.favourites[0].z[1] = 1e39)), /favourites\[0\]\.z\[1\]/],
      ['NaN', () => encode(exported().replace('"z":[-0,', '"z":[NaN,')), /not valid JSON/],
      ['a huge z', () => edited((j) => (j.favourites[0].z = new Array(STORE_LIMITS.zDim + 1).fill(0))), /favourites\[0\]\.z: expected a list of 1 to 1024/],
      ['a huge y', () => edited((j) => (j.favourites[0].y = new Array(STORE_LIMITS.classes + 1).fill(0))), /favourites\[0\]\.y/],
      ['an empty z', () => edited((j) => (j.favourites[0].z = [])), /favourites\[0\]\.z/],
      ['a __proto__ key in a favourite', () => encode(exported().replace('{"id":', '{"__proto__":{"polluted":true},"id":')), /unknown field "__proto__"/],
      ['a __proto__ key at the top', () => encode(exported().replace('{"format"', '{"__proto__":{"polluted":true},"format"')), /unknown field "__proto__"/],
      ['a constructor key', () => edited((j) => (j.favourites[0].constructor = { prototype: { polluted: true } })), /unknown field "constructor"/],
      ['a missing name', () => edited((j) => delete j.favourites[0].name), /the field "name" is missing/],
      ['a name over the limit', () => edited((j) => (j.favourites[0].name = 'x'.repeat(STORE_LIMITS.name + 1))), /favourites\[0\]: name/],
      ['too many tags', () => edited((j) => (j.favourites[0].tags = Array.from({ length: 33 }, (_, i) => `t${i}`))), /favourites\[0\]: tags/],
      ['nested tags', () => edited((j) => (j.favourites[0].tags = [[['deep']]])), /favourites\[0\]: tags\[0\]/],
      ['an unknown semantics', () => edited((j) => (j.favourites[0].semantics = 'weird')), /semantics/],
      ['a negative seed', () => edited((j) => (j.favourites[0].seed = -1)), /seed/],
      ['a null seed', () => edited((j) => (j.favourites[0].seed = null)), /seed/],
      ['a truncation of 0', () => edited((j) => (j.favourites[0].truncation = 0)), /truncation/],
      ['a time that is not ISO', () => edited((j) => (j.favourites[0].createdAt = 'yesterday')), /favourites\[0\]\.createdAt/],
      ['a thumbnail that is not a PNG', () => edited((j) => (j.favourites[0].thumbnail = Buffer.from('GIF89a'.padEnd(64, 'x')).toString('base64'))), /favourites\[0\]: thumbnail/],
      ['a thumbnail that is not base64', () => edited((j) => (j.favourites[0].thumbnail = '!!!not base64!!!')), /favourites\[0\]\.thumbnail/],
      ['two favourites with one id', () => edited((j) => (j.favourites[3].id = j.favourites[0].id)), /favourites\[3\]\.id: the id/],
      ['a favourite that is its own parent', () => edited((j) => (j.favourites[3].parentId = j.favourites[3].id)), /own parent/],
      ['lineage in a loop', () => edited((j) => (j.favourites[0].parentId = j.favourites[2].id)), /loops back/],
      ['a file over the size limit', () => new Uint8Array(STORE_LIMITS.favouritesFileBytes + 1), /more than the/],
    ]
    for (const [what, file, message] of cases) {
      it(what, () => {
        target.saveFavourite(newFavourite({ name: 'already here' }, 99))
        let error: unknown
        try {
          target.importFavourites(file())
        } catch (e) {
          error = e
        }
        expect(error).toBeInstanceOf(LibraryError)
        expect((error as LibraryError).code).toBe('bad-file')
        expect((error as LibraryError).message).toMatch(message)
        expect((error as LibraryError).message).toMatch(/Nothing was imported\.$/)
        expect(target.listFavourites().items.map((f) => f.name)).toEqual(['already here'])
        expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      })
    }
  })
})
