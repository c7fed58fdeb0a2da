// Opening the library database: the file checks, the durability settings, the migrations. Anything wrong with
// the file becomes a LibraryError that says what to do. A library SQLite could change while opening it is copied
// first (kept.ts): a damaged one is refused with its files as they were, and a damaged -wal is kept as it was.
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { LibraryError, corruptError, toLibraryError } from './errors.ts'
import { copyBeforeOpen, discard, fileStamp, keepCopy, putBack, walNotice, type OpenNotice } from './kept.ts'
import { SCHEMA_VERSION, migrate, userVersion } from './migrations.ts'
import { inspectWal } from './wal.ts'

export interface OpenOptions {
  /** the better_sqlite3.node to load: Electron's main process needs the build for its own ABI */
  nativeBinding?: string
  /** read only: no migrations, no writes (for tools that inspect a library) */
  readonly?: boolean
  /** entries a session keeps before dropping the oldest (default HISTORY_LIMIT); for tests and tools */
  historyLimit?: number
}

/** How long a statement waits for another process's lock before failing with 'busy'. */
const BUSY_TIMEOUT_MS = 5000

/** Opens the database at `file` and hands it to `build` (which prepares the library's statements). If either fails,
 *  the database is closed and the library's files are as they were; `notices` (filled before `build` runs) gets
 *  what the person must be told: a damaged -wal, and where its files were kept. */
export function openDatabase<T>(file: string, options: OpenOptions, notices: OpenNotice[], build: (db: Database.Database) => T): T {
  const readonly = options.readonly === true
  if (readonly && !fs.existsSync(file))
    throw new LibraryError('not-found', `There is no library at ${file} to open read-only.`, file)
  if (!readonly) {
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true })
    } catch (error) {
      throw new LibraryError('io', `Could not create the folder for the library ${file}: ${(error as Error).message}`, file, {
        cause: error,
      })
    }
  }

  checkHeader(file)

  // A read-only connection neither folds nor deletes the -wal, so nothing needs copying; otherwise the log is read
  // from the copy, so that what it says holds for the bytes kept.
  let copy = readonly ? null : copyBeforeOpen(file)
  const damage = inspectWal(`${copy ?? file}-wal`)
  if (damage) {
    if (copy) copy = keepCopy(copy, file)
    notices.push(walNotice(file, copy ?? file, damage))
  }

  let db: Database.Database
  try {
    db = connect(file, options)
  } catch (error) {
    if (copy) putBack(copy, file)
    throw error
  }
  let built: T
  try {
    prepare(db, file, readonly)
    built = build(db)
  } catch (error) {
    db.close()
    if (copy) putBack(copy, file)
    throw toLibraryError(error, file, 'open the library')
  }
  checkpoint(db) // what the -wal held is in the database file now
  if (copy && !damage) discard(copy)
  return built
}

function connect(file: string, options: OpenOptions): Database.Database {
  const readonly = options.readonly === true
  try {
    return new Database(file, {
      readonly,
      fileMustExist: readonly,
      timeout: BUSY_TIMEOUT_MS,
      ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
    })
  } catch (error) {
    const detail = String((error as Error).message).split('\n')[0]
    if (/bindings|NODE_MODULE_VERSION|was compiled against|\.node\b/i.test(detail))
      throw new LibraryError(
        'io',
        `Could not load SQLite's native module (${detail}). Rebuild better-sqlite3 for this runtime ` +
          `(for Electron: electron-rebuild) or pass its path as nativeBinding.`,
        file,
        { cause: error },
      )
    throw toLibraryError(error, file, 'open the library')
  }
}

/** Copies what the -wal holds into the database file (synced) and empties the -wal, so that a save the person has
 *  seen succeed does not live in the -wal alone, where damage to that file would cost it (a damaged -wal is read only
 *  up to the damage). Without waiting: while another connection reads, the -wal keeps what it cannot copy yet, and
 *  the next checkpoint copies it. A failure costs nothing already saved (it stays in the -wal, where SQLite reads
 *  it), so it is not the caller's failure. Inside a transaction it waits for the commit. */
export function checkpoint(db: Database.Database): void {
  if (db.readonly || db.inTransaction) return
  try {
    db.pragma('busy_timeout = 0')
    db.pragma('wal_checkpoint(TRUNCATE)')
  } catch {
    // see above: the next checkpoint tries again
  } finally {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`)
  }
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1')

/** Refuses a file that does not start like a SQLite database before SQLite sees it: on closing such a file SQLite
 *  deletes the -wal beside it, which may hold the user's latest favourites. An empty file is a new database. */
function checkHeader(file: string): void {
  const head = Buffer.alloc(100)
  let read: number
  try {
    if (fs.statSync(file).isDirectory())
      throw new LibraryError('io', `${file} is a folder; choose a file for the library.`, file)
    const fd = fs.openSync(file, 'r')
    try {
      read = fs.readSync(fd, head, 0, head.length, 0)
    } finally {
      fs.closeSync(fd)
    }
  } catch (error) {
    if (error instanceof LibraryError) throw error
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw new LibraryError('io', `Could not read the library ${file}: ${(error as Error).message}`, file, { cause: error })
  }
  if (read === 0) return
  if (read < head.length || !head.subarray(0, SQLITE_HEADER.length).equals(SQLITE_HEADER))
    throw corruptError(file, 'it does not start with a SQLite header')
}

function prepare(db: Database.Database, file: string, readonly: boolean): void {
  // The version first: it is the first read of the file (a non-database fails here as 'corrupt'), and a newer
  // app's database must be refused before anything below writes to it (journal mode, migrations).
  const version = userVersion(db)
  if (version > SCHEMA_VERSION)
    throw new LibraryError(
      'newer-schema',
      `The library ${file} was written by a newer version of BigGAN Studio (schema ${version}; this version reads up to ${SCHEMA_VERSION}). ` +
        `It was left untouched: update the app to open it, or choose another library.`,
      file,
    )
  if (version === 0) {
    const tables = db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'`).get() as { n: number }
    if (tables.n > 0)
      throw new LibraryError(
        'bad-file',
        `${file} is a SQLite database but not a BigGAN Studio library; it was left untouched. Choose another file.`,
        file,
      )
  }

  // After an unclean shutdown (a WAL left behind) the full check, which also reads every index; else the quick one.
  const check = fs.existsSync(`${file}-wal`) && fs.statSync(`${file}-wal`).size > 0 ? 'integrity_check' : 'quick_check'
  const problems = (db.pragma(`${check}(5)`) as Record<string, string>[]).map((row) => Object.values(row)[0])
  if (problems.length !== 1 || problems[0] !== 'ok') throw corruptError(file, problems.join('\n').replace(/\s*\n\s*/g, '; '))

  if (!readonly) db.pragma('journal_mode = WAL') // readers never block the writer; a crash never tears a page
  // FULL syncs the WAL on every commit: a favourite the user saw saved survives a power cut, not only an app crash
  // (NORMAL, better-sqlite3's WAL default, may roll the last commits back after a power loss). Library writes are
  // rare and small, so the extra fsync costs nothing anyone notices. It protects what the disk was told to keep, from
  // a crash or a power cut on a disk that honours flushes; not from a disk that later damages what it kept. Against
  // that: the checks here, the damaged files kept as they were (kept.ts, wal.ts), and saves checkpointed into the
  // database file (checkpoint above), so that little lives in the -wal alone.
  db.pragma('synchronous = FULL')
  if (process.platform === 'darwin') db.pragma('fullfsync = ON') // macOS fsync does not reach the platter without it
  db.pragma('foreign_keys = ON') // parent_id, tags and history entries rely on their ON DELETE actions

  if (version < SCHEMA_VERSION) {
    if (readonly)
      throw new LibraryError(
        'read-only',
        `The library ${file} uses schema ${version} and needs upgrading to ${SCHEMA_VERSION}, which a read-only open cannot do. Open it once in the app.`,
        file,
      )
    // A copy before changing a library that has data: a migration bug must never cost the user their favourites.
    if (version > 0) db.prepare('VACUUM INTO ?').run(`${file}.before-v${SCHEMA_VERSION}-${fileStamp()}`)
    migrate(db)
  }
}
