// A damaged library's files kept aside, byte for byte, and what the person is told about them. A library's bytes are
// its database file, its -wal (saves not yet copied into the database) and its -shm (the WAL's index).
import fs from 'node:fs'
import path from 'node:path'
import { LibraryError } from './errors.ts'
import type { WalDamage } from './wal.ts'

const SUFFIXES = ['', '-wal', '-shm'] as const

/** Something opening the library found that the person must be told; `kept` holds the damaged files. */
export interface OpenNotice {
  /** the kept database file; its -wal and -shm, where the library had them, sit beside it under the same name */
  kept: string
  message: string
}

/** A filesystem-safe timestamp for file names (no ':' for Windows). */
export const fileStamp = (): string => new Date().toISOString().replace(/[:.]/g, '-')

/** `<file>.<label>-<time>`, numbered where a file of that name (or its -wal, -shm) exists already. */
function freeName(file: string, label: string): string {
  const base = `${file}.${label}-${fileStamp()}`
  let name = base
  for (let n = 2; SUFFIXES.some((suffix) => fs.existsSync(name + suffix)); n++) name = `${base}-${n}`
  return name
}

/** Renames `from` (and its -wal, -shm) to `to`, -wal and -shm first, so that a database at `from` never meets a WAL
 *  that is not its own. Returns how many files moved. */
function moveFiles(from: string, to: string, what: string): number {
  let moved = 0
  for (const suffix of ['-wal', '-shm', ''] as const) {
    try {
      fs.renameSync(from + suffix, to + suffix)
      moved++
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
      throw new LibraryError(
        'io',
        `Could not move ${what} ${from}${suffix} to ${to}${suffix}: ${(error as Error).message}. Close other copies of the app, or move it by hand.`,
        from,
        { cause: error },
      )
    }
  }
  return moved
}

/** Copies the library's files aside before SQLite opens it, where SQLite could change them: with a -wal or -shm
 *  left beside it (by a crash, or another process using it), SQLite rewrites the -shm, and the last connection to
 *  close folds the -wal into the database and deletes both, even after refusing the library as damaged. Without
 *  them, a failed open leaves the database file as it was, and there is nothing to copy. Returns the copy, or null. */
export function copyBeforeOpen(file: string): string | null {
  if (!fs.existsSync(`${file}-wal`) && !fs.existsSync(`${file}-shm`)) return null
  const copy = freeName(file, 'before-open')
  try {
    for (const suffix of SUFFIXES) {
      // a clone where the file system offers one (APFS, Btrfs, XFS): instant, and no space used until either changes
      if (fs.existsSync(file + suffix)) fs.copyFileSync(file + suffix, copy + suffix, fs.constants.COPYFILE_FICLONE)
    }
  } catch (error) {
    discard(copy)
    throw new LibraryError(
      'io',
      `Could not copy the library ${file} to ${copy} before opening it: ${(error as Error).message}. A library left ` +
        `with a -wal beside it (after a crash) is copied first, so that if it is damaged the copy is what was on disk. ` +
        `Free some space (the copy is as large as the library) and start again.`,
      file,
      { cause: error },
    )
  }
  return copy
}

/** Puts the files copied by copyBeforeOpen back in place of the library's, after a failed open. Only where the -wal
 *  is gone: SQLite folds and deletes it as the last connection to close, so no other process has the library open. */
export function putBack(copy: string, file: string): void {
  if (fs.existsSync(`${file}-wal`)) return discard(copy)
  try {
    for (const suffix of SUFFIXES) {
      if (fs.existsSync(copy + suffix)) fs.renameSync(copy + suffix, file + suffix)
      else fs.rmSync(file + suffix, { force: true })
    }
  } catch (error) {
    throw new LibraryError(
      'io',
      `The library ${file} could not be opened, and its files could not be put back as they were from ${copy}: ` +
        `${(error as Error).message}. They are still there: with the studio closed, move them back by hand ` +
        `(${path.basename(copy)} to ${path.basename(file)}, and its -wal and -shm likewise).`,
      file,
      { cause: error },
    )
  }
}

/** Removes a copy made by copyBeforeOpen. */
export function discard(copy: string): void {
  for (const suffix of SUFFIXES) fs.rmSync(copy + suffix, { force: true })
}

/** Renames a copy made by copyBeforeOpen to the kept name, `<file>.corrupt-<time>`; returns that name. */
export function keepCopy(copy: string, file: string): string {
  const kept = freeName(file, 'corrupt')
  moveFiles(copy, kept, 'the copy of the library')
  return kept
}

/** Moves a damaged library aside — its -wal and -shm first, so a fresh database at `file` never meets the old WAL —
 *  as `<file>.corrupt-<time>` (and `-wal`, `-shm`), and returns that path. The database must be closed. */
export function quarantine(file: string): string {
  const kept = freeName(file, 'corrupt')
  if (moveFiles(file, kept, 'the damaged library') === 0)
    throw new LibraryError('not-found', `There is no library at ${file} to move aside.`, file)
  return kept
}

const beside = (kept: string): string => `(its -wal and -shm, where it had them, beside it as ${path.basename(kept)}-wal and -shm)`

/** A library that could not be opened was kept and a new one started: where it is, and how to try to get favourites
 *  back from it, in steps a person can follow. */
export function replacedNotice(file: string, kept: string, detail: string): OpenNotice {
  const name = path.basename(kept)
  return {
    kept,
    message:
      `The library ${file} is damaged (${detail}) and could not be opened. It was kept, byte for byte, as ${kept} ` +
      `${beside(kept)}, and a new, empty library was started in its place. ` +
      `To try to get its favourites back: quit BigGAN Studio; copy ${name} and its -wal and -shm into an empty folder ` +
      `(work on copies, so the kept files stay as they are); in that folder run the sqlite3 command-line tool from ` +
      `sqlite.org (some Linux packages of it lack .recover): sqlite3 "${name}" ".recover" > recovered.sql, then ` +
      `sqlite3 recovered.sqlite < recovered.sql; move ${file} aside, put recovered.sqlite in its place under the name ` +
      `${path.basename(file)}, and start the studio, which checks it as it opens. ` +
      `Favourites exported earlier can also be imported again.`,
  }
}

/** A damaged -wal: the library opened with what SQLite reads, and the damaged files were kept (or, opened
 *  read-only, left as they are). */
export function walNotice(file: string, kept: string, damage: WalDamage): OpenNotice {
  const where =
    kept === file
      ? 'It was opened read-only, so its files were left as they are.'
      : `The damaged files were kept, byte for byte, as ${kept} ${beside(kept)}.`
  return {
    kept,
    message:
      `The library's write-ahead log ${file}-wal is damaged: ${damage.problem}. The library opened with everything ` +
      `saved before the damage. ${where} SQLite and its tools (sqlite3 .recover too) read no further than the damage ` +
      `either, so favourites saved after it can come back only from an export: import it again if you have one, and ` +
      `keep the damaged files for a data-recovery specialist.`,
  }
}
