import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, join } from 'node:path'
import Database from 'better-sqlite3'
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

describe('a damaged write-ahead log', () => {
  const opens = [
    { how: 'as the studio opens it', open: (file: string) => Library.openOrStartFresh(file) },
    { how: 'by Library.open', open: (file: string) => Library.open(file) },
  ]
  for (const { how, open } of opens)
    it(`${how}: opens with what SQLite reads, keeps the damaged files byte for byte, and says how many saves it lost`, () => {
      crashedLibrary(file)
      damage(file, 'a damaged WAL')
      const originals = filesOf(file)

      const library = open(file)
      try {
        const total = library.listFavourites({ limit: 1000 }).total
        expect(total).toBeGreaterThanOrEqual(150) // the checkpointed favourites are all there
        expect(total).toBeLessThan(201) // SQLite stops reading the log at the damage
        expect(library.notices).toHaveLength(1)
        const [{ kept, message }] = library.notices
        expect(filesOf(kept)).toEqual(originals)
        expect(message).toContain(`${file}-wal`)
        expect(message).toContain(kept)
        const lost = Number(/(\d+) saved change/.exec(message)?.[1])
        expect(lost).toBeGreaterThan(0)
        expect(lost).toBeLessThanOrEqual(201 - total)
      } finally {
        library.close()
      }
    })

  it('opened read-only, is reported and its files are left as they are', () => {
    crashedLibrary(file)
    damage(file, 'a damaged WAL')
    const [database, wal] = filesOf(file)
    const library = Library.open(file, { readonly: true })
    try {
      expect(library.notices).toHaveLength(1)
      expect(library.notices[0]).toMatchObject({ kept: file, message: expect.stringMatching(/read-only/) })
    } finally {
      library.close()
    }
    expect(filesOf(file).slice(0, 2)).toEqual([database, wal]) // the -shm is SQLite's index, rebuilt by any reader
    expect(readdirSync(folder.dir).filter((f) => f.includes('.corrupt-') || f.includes('.before-open-'))).toEqual([])
  })

  it('is not confused with a log used again from its start, whose older frames follow the newer ones', () => {
    const live = join(folder.dir, 'live.sqlite')
    const library = Library.open(live)
    const point = (i: number) => {
      const f = newFavourite({}, i)
      return { point: { z: f.z, y: f.y, truncation: f.truncation }, view: 'explore', modelHash: f.modelHash }
    }
    // history steps are not checkpointed one by one: they fill the log
    for (let i = 1; i <= 200; i++) library.push(point(i))
    const filled = statSync(`${live}-wal`).size
    // a checkpoint that leaves the file's length, as SQLite's automatic one does: the next write starts the log again
    // from its first frame, over the older ones, which stay after it
    const other = new Database(live)
    expect(other.pragma('wal_checkpoint(PASSIVE)')).toEqual([{ busy: 0, log: expect.any(Number), checkpointed: expect.any(Number) }])
    other.close()
    for (let i = 201; i <= 210; i++) library.push(point(i))
    expect(statSync(`${live}-wal`).size).toBe(filled)
    for (const suffix of SUFFIXES) if (existsSync(live + suffix)) copyFileSync(live + suffix, file + suffix) // as a kill leaves it
    library.close()

    const reopened = Library.open(file)
    try {
      expect(reopened.notices).toEqual([])
      expect(reopened.currentSession().total).toBe(210)
    } finally {
      reopened.close()
    }
  })

  it('cannot cost a saved favourite: once a save returns, the database file itself holds it', () => {
    const library = Library.open(file)
    try {
      library.saveFavourite(newFavourite({ name: 'kept safe' }))
      library.updateFavourite(1, { rating: 4 })
      // the database file alone, as if its -wal were lost
      const alone = join(folder.dir, 'alone', 'library.sqlite')
      mkdirSync(join(folder.dir, 'alone'))
      copyFileSync(file, alone)
      expect(existsSync(`${alone}-wal`)).toBe(false)
      const copy = Library.open(alone)
      try {
        expect(copy.getFavourite(1)).toMatchObject({ name: 'kept safe', rating: 4 })
      } finally {
        copy.close()
      }
    } finally {
      library.close()
    }
  })

  it('holds nothing the person saved: the log is empty once each save returns', () => {
    const library = Library.open(file)
    const logBytes = () => readFileSync(`${file}-wal`).length
    try {
      for (let i = 1; i <= 3; i++) {
        library.saveFavourite(newFavourite({}, i))
        expect(logBytes()).toBe(0)
      }
      library.updateFavourite(2, { tags: ['kept'] })
      expect(logBytes()).toBe(0)
      library.deleteFavourite(3)
      expect(logBytes()).toBe(0)
      library.saveSettings({ training: { threads: 2, executor: 'auto' } })
      expect(logBytes()).toBe(0)
    } finally {
      library.close()
    }
  })
})
