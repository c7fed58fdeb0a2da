import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Library, LibraryError } from '../../main/store/index.ts'
import { newFavourite, random, tempFolder } from './helpers.ts'
import { refusal } from './expect.ts'


const garbage = (length: number, seed: number) => {
  const next = random(seed)
  return Uint8Array.from({ length }, () => Math.floor(next() * 256))
}

describe('a damaged library', () => {
  let folder: ReturnType<typeof tempFolder>
  let file: string
  beforeEach(() => {
    folder = tempFolder()
    file = join(folder.dir, 'library.db')
  })
  afterEach(() => folder.remove())

  it('a file of garbage is refused as corrupt, naming the file and what to do', () => {
    const bytes = garbage(16 * 1024, 1)
    writeFileSync(file, bytes)
    const error = refusal(() => Library.open(file))
    expect(error.code).toBe('corrupt')
    expect(error.file).toBe(file)
    expect(error.message).toContain(file)
    expect(error.message).toMatch(/start a fresh library/)
    expect(Buffer.compare(readFileSync(file), bytes)).toBe(0) // refused, not rewritten
  })

  it('quarantine moves the file and its -wal and -shm aside, and a fresh library opens in its place', () => {
    const library = Library.open(file)
    library.saveFavourite(newFavourite())
    library.close()
    const bytes = garbage(8192, 2)
    writeFileSync(file, bytes)
    writeFileSync(`${file}-wal`, 'stale wal')
    writeFileSync(`${file}-shm`, 'stale shm')
    expect(refusal(() => Library.open(file)).code).toBe('corrupt')

    const moved = Library.quarantine(file)
    expect(moved).toMatch(/library\.db\.corrupt-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/)
    expect(Buffer.compare(readFileSync(moved), bytes)).toBe(0)
    expect(readFileSync(`${moved}-wal`, 'utf8')).toBe('stale wal')
    expect(readFileSync(`${moved}-shm`, 'utf8')).toBe('stale shm')
    expect(existsSync(file) || existsSync(`${file}-wal`) || existsSync(`${file}-shm`)).toBe(false)

    const fresh = Library.open(file)
    expect(fresh.listFavourites().total).toBe(0)
    fresh.close()
    // a second quarantine in the same millisecond gets a name of its own
    writeFileSync(file, garbage(4096, 3))
    const again = Library.quarantine(file)
    expect(again).not.toBe(moved)
    expect(readdirSync(folder.dir).filter((f) => f.includes('.corrupt-') && !/-(wal|shm)$/.test(f))).toHaveLength(2)
  })

  it('damaged pages inside a real library are refused as corrupt', () => {
    const library = Library.open(file)
    for (let i = 1; i <= 20; i++) library.saveFavourite(newFavourite({ tags: [`t${i}`] }, i))
    library.close()
    const db = new Database(file)
    const pageSize = db.pragma('page_size', { simple: true }) as number
    db.close()
    const bytes = readFileSync(file)
    expect(existsSync(`${file}-wal`)).toBe(false) // everything is in the main file
    bytes.fill(0xab, pageSize) // every page after the first (the schema) overwritten
    writeFileSync(file, bytes)
    const error = refusal(() => Library.open(file))
    expect(error.code).toBe('corrupt')
    expect(error.message).toContain(file)
  })

  it('quarantine of a file that is not there says so', () => {
    expect(refusal(() => Library.quarantine(file)).code).toBe('not-found')
  })

  it('a native module that will not load is an io error that says how to fix it', () => {
    const error = refusal(() => Library.open(file, { nativeBinding: join(folder.dir, 'missing', 'better_sqlite3.node') }))
    expect(error.code).toBe('io')
    expect(error.message).toMatch(/native module .*missing.*nativeBinding/s)
    expect(error.message).not.toMatch(/Require stack/)
  })

  it('a folder where the file should be is an io error, not a crash', () => {
    const error = refusal(() => Library.open(folder.dir))
    expect(error.code).toBe('io')
    expect(error.message).toContain(folder.dir)
  })
})
