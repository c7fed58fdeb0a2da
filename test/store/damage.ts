// Libraries as a crash and a damaged disk leave them, for the store and web-mode tests. No vitest here.
import { createHash } from 'node:crypto'
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import Database from 'better-sqlite3'
import { Library } from '../../main/store/index.ts'
import { newFavourite, random } from './helpers.ts'

export const SUFFIXES = ['', '-wal', '-shm'] as const

/** What a library's database, -wal and -shm hold: each file's size and SHA-256 (null where there is none). Short
 *  strings, so that a failed comparison prints a readable diff rather than megabytes of bytes. */
export function filesOf(file: string): (string | null)[] {
  return SUFFIXES.map((suffix) => {
    if (!existsSync(file + suffix)) return null
    const bytes = readFileSync(file + suffix)
    return `${bytes.length} bytes, sha256 ${createHash('sha256').update(bytes).digest('hex')}`
  })
}

/** A library at `file` as the app leaves it when killed: `checkpointed` favourites saved and closed cleanly (in the
 *  database file), then `inWal` more saved while another connection held a read open, so that no checkpoint could
 *  copy them into the database: they live in the -wal only. The three files are copied while the library is still
 *  open, which is what a kill -9 leaves on disk. */
export function crashedLibrary(file: string, checkpointed = 150, inWal = 51): void {
  const live = join(dirname(file), 'live', 'library.sqlite')
  mkdirSync(dirname(live), { recursive: true })
  closedLibrary(live, checkpointed)
  const library = Library.open(live)
  const reader = new Database(live, { readonly: true })
  reader.exec('BEGIN')
  reader.prepare('SELECT count(*) FROM favourites').get()
  for (let i = checkpointed + 1; i <= checkpointed + inWal; i++) library.saveFavourite(newFavourite({ tags: ['late'] }, i))
  for (const suffix of SUFFIXES) if (existsSync(live + suffix)) copyFileSync(live + suffix, file + suffix)
  reader.close()
  library.close()
  rmSync(dirname(live), { recursive: true, force: true })
}

/** A library at `file` with `count` favourites, closed cleanly: the database file alone, no -wal or -shm. */
export function closedLibrary(file: string, count = 150): void {
  const library = Library.open(file)
  for (let i = 1; i <= count; i++) library.saveFavourite(newFavourite({ tags: ['early'] }, i))
  library.close()
}

export type Damage = 'garbage bytes' | 'truncated to half' | 'garbage pages after a valid header' | 'a damaged WAL'

/** Damages the library at `file` the way a failing disk or a stray write might. */
export function damage(file: string, kind: Damage): void {
  const next = random(kind.length)
  const scribble = (bytes: Buffer, from: number, to: number): void => {
    for (let i = from; i < to; i++) bytes[i] = Math.floor(next() * 256)
  }
  const bytes = readFileSync(file)
  const pageSize = bytes.readUInt16BE(16) === 1 ? 65536 : bytes.readUInt16BE(16)
  switch (kind) {
    case 'garbage bytes':
      scribble(bytes, 0, bytes.length)
      return writeFileSync(file, bytes)
    case 'truncated to half':
      return truncateSync(file, Math.floor(bytes.length / 2))
    case 'garbage pages after a valid header':
      // the first page (the header and the schema) stays; every other page is noise
      scribble(bytes, pageSize, bytes.length)
      return writeFileSync(file, bytes)
    case 'a damaged WAL': {
      // noise over a run of frames in the middle of the log; the frames after it stay intact
      const wal = readFileSync(`${file}-wal`)
      const frame = 24 + pageSize
      const frames = Math.floor((wal.length - 32) / frame)
      scribble(wal, 32 + frame * Math.floor(frames * 0.4), 32 + frame * Math.floor(frames * 0.55))
      return writeFileSync(`${file}-wal`, wal)
    }
  }
}
