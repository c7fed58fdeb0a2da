import { describe, expect, it } from 'vitest'
import { LibraryError } from '../../main/store/index.ts'
import { freshLibrary } from './expect.ts'

const model = (path: string, name = path) => ({ path, name, hash: `hash-${name}`, arch: 'biggan', resolution: 128, numClasses: 1000 })

describe('recently used models', () => {
  const fresh = freshLibrary()

  it('lists models newest first, once per path, with what was last seen of each', () => {
    expect(fresh.library.recentModels()).toEqual([])
    fresh.library.touchModel(model('/m/a'))
    fresh.library.touchModel(model('/m/b'))
    fresh.library.touchModel(model('/m/c'))
    fresh.library.touchModel(model('/m/a', 'a retrained'))
    const recent = fresh.library.recentModels()
    expect(recent.map((m) => m.path)).toEqual(['/m/a', '/m/c', '/m/b'])
    expect(recent[0]).toMatchObject({ name: 'a retrained', hash: 'hash-a retrained', arch: 'biggan', resolution: 128, numClasses: 1000 })
    expect(recent[0].lastOpened).toMatch(/^\d{4}-\d\d-\d\dT/)
    expect(fresh.library.recentModels(2).map((m) => m.path)).toEqual(['/m/a', '/m/c'])
  })

  it('survives a restart', () => {
    fresh.library.touchModel(model('/m/a'))
    fresh.library.touchModel(model('/m/b'))
    const before = fresh.library.recentModels()
    fresh.reopen()
    expect(fresh.library.recentModels()).toEqual(before)
  })

  it('refuses a model record it must not store', () => {
    expect(() => fresh.library.touchModel({ ...model('/m/a'), resolution: -1 })).toThrow(LibraryError)
    expect(() => fresh.library.touchModel({ ...model(''), name: 'x' })).toThrow(LibraryError)
    expect(() => fresh.library.touchModel(null as never)).toThrow(LibraryError)
    expect(fresh.library.recentModels()).toEqual([])
  })
})
