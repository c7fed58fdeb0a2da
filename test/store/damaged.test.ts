import { readdirSync } from 'node:fs'
import { basename, join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Library } from '../../main/store/index.ts'
import { closedLibrary, crashedLibrary, damage, filesOf, SUFFIXES, type Damage } from './damage.ts'
import { refusal } from './expect.ts'
import { newFavourite, tempFolder } from './helpers.ts'

let folder: ReturnType<typeof tempFolder>
let file: string
beforeEach(() => {
  folder = tempFolder()
  file = join(folder.dir, 'library.sqlite')
})
afterEach(() => folder.remove())

describe('a library that cannot be opened', () => {
  const kinds: Damage[] = ['garbage bytes', 'truncated to half', 'garbage pages after a valid header']
  const states = [
    { state: 'left by a crash, with a -wal', make: (file: string) => crashedLibrary(file) },
    { state: 'closed cleanly', make: (file: string) => closedLibrary(file) },
  ]
  for (const kind of kinds)
    for (const { state, make } of states) {
      it(`${kind}, ${state}: is kept byte for byte and a fresh library starts, saying where it is and how to recover it`, () => {
        make(file)
        damage(file, kind)
        const originals = filesOf(file)
        expect(originals[0]).not.toBeNull()

        const library = Library.openOrStartFresh(file)
        let kept = ''
        try {
          expect(library.notices).toHaveLength(1)
          kept = library.notices[0].kept
          const { message } = library.notices[0]
          expect(kept).toMatch(/library\.sqlite\.corrupt-\d{4}-\d\d-\d\dT[\d-]+Z$/)
          expect(filesOf(kept)).toEqual(originals)
          expect(message).toContain(file)
          expect(message).toContain(kept)
          expect(message).toMatch(/sqlite3 .*\.recover/)
          expect(library.listFavourites().total).toBe(0)
          library.saveFavourite(newFavourite())
          expect(library.listFavourites().total).toBe(1)
        } finally {
          library.close()
        }
        // nothing else is left beside them: the fresh library (closed, so no -wal) and the kept files
        const keptFiles = SUFFIXES.filter((_, i) => originals[i]).map((suffix) => basename(kept) + suffix)
        expect(readdirSync(folder.dir).sort()).toEqual(['library.sqlite', ...keptFiles].sort())
      })
    }

  it('is refused by Library.open with its files left exactly as they were', () => {
    crashedLibrary(file)
    damage(file, 'garbage pages after a valid header')
    const originals = filesOf(file)
    expect(refusal(() => Library.open(file)).code).toBe('corrupt')
    expect(filesOf(file)).toEqual(originals)
    expect(readdirSync(folder.dir).sort()).toEqual(['library.sqlite', 'library.sqlite-shm', 'library.sqlite-wal'])
  })

  it('left by a crash but undamaged opens with every favourite, tells nothing and leaves no copy behind', () => {
    crashedLibrary(file)
    const library = Library.openOrStartFresh(file)
    try {
      expect(library.notices).toEqual([])
      expect(library.listFavourites().total).toBe(201)
    } finally {
      library.close()
    }
    expect(readdirSync(folder.dir)).toEqual(['library.sqlite'])
  })
})
