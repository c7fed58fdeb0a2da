// The views' places are kept per data folder: two studios on different data folders served from one address never
// see each other's forms, and a damaged or full storage costs the place, never the page.
import { describe, expect, it } from 'vitest'
import { ViewStore, type KeyValueStorage } from '../../renderer/lib/viewState.ts'

function memoryStorage(): KeyValueStorage & { entries: Map<string, string> } {
  const entries = new Map<string, string>()
  return {
    entries,
    getItem: (k) => entries.get(k) ?? null,
    setItem: (k, v) => void entries.set(k, v),
    removeItem: (k) => void entries.delete(k),
  }
}

describe("the views' kept places", () => {
  it('keeps each data folder apart', () => {
    const storage = memoryStorage()
    new ViewStore(storage, 'folder-a').write('metrics', { realFolder: '/reals/a' })
    new ViewStore(storage, 'folder-b').write('metrics', { realFolder: '/reals/b' })
    expect(new ViewStore(storage, 'folder-a').read('metrics')).toEqual({ realFolder: '/reals/a' })
    expect(new ViewStore(storage, 'folder-b').read('metrics')).toEqual({ realFolder: '/reals/b' })
    expect(new ViewStore(storage, 'folder-c').read('metrics')).toBeNull()
  })

  it('reads damaged entries as nothing, and forgets an entry written as null', () => {
    const storage = memoryStorage()
    const store = new ViewStore(storage, 'a')
    storage.setItem('biggan-studio:a:navigation', '{not json')
    expect(store.read('navigation')).toBeNull()
    store.write('navigation', { view: 'metrics' })
    store.write('navigation', null)
    expect(storage.entries.size).toBe(0)
  })

  it('keeps nothing, and throws nothing, where the storage is full or missing', () => {
    const full: KeyValueStorage = {
      getItem: () => null,
      setItem: () => {
        throw new Error('QuotaExceededError')
      },
      removeItem: () => {},
    }
    expect(() => new ViewStore(full, 'a').write('metrics', { n: 8 })).not.toThrow()
    expect(new ViewStore(null, 'a').read('metrics')).toBeNull()
  })
})
