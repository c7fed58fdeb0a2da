// The one error the library store throws. The message says what was wrong, where (the database file, the field
// of an import file) and what to do; `code` lets the IPC layer answer without parsing the message.

export type LibraryErrorCode =
  | 'not-found' // no favourite / session with that id, or a read-only open of a file that does not exist
  | 'invalid' // a value the store refuses to save (a rating of 7, a name over the limit, a non-PNG thumbnail …)
  | 'bad-file' // an import file that is not a well-formed favourites file, or a SQLite file that is not a library
  | 'corrupt' // the database file is damaged or not a database at all: quarantine it and start a fresh one
  | 'newer-schema' // written by a newer version of the app: left untouched
  | 'read-only' // a write to a library opened read-only, or one that needs migrating
  | 'busy' // another process holds the database locked past the busy timeout
  | 'io' // the file system refused (disk full, permissions, missing native module …)

export class LibraryError extends Error {
  override readonly name = 'LibraryError'
  /** for 'corrupt': what is damaged, in SQLite's words or ours, without the advice the message adds */
  readonly detail?: string
  constructor(
    readonly code: LibraryErrorCode,
    message: string,
    readonly file?: string,
    options?: { cause?: unknown; detail?: string },
  ) {
    super(message, options)
    if (options?.detail !== undefined) this.detail = options.detail
  }
}

/** What better-sqlite3 throws: an Error with SQLite's extended result code name ('SQLITE_CORRUPT', …). */
function sqliteCode(error: unknown): string | undefined {
  if (error instanceof Error && error.name === 'SqliteError') {
    const code = (error as Error & { code?: unknown }).code
    return typeof code === 'string' ? code : undefined
  }
  return undefined
}

/** The library at `file` is damaged: `detail` says how. */
export function corruptError(file: string, detail: string, options: { cause?: unknown } = {}): LibraryError {
  const message =
    `The library database ${file} is damaged (${detail}). ` +
    `Move it aside and start a fresh library: the app keeps the damaged copy as ${file}.corrupt-<time>, ` +
    `and favourites exported earlier can be imported again.`
  return new LibraryError('corrupt', message, file, { ...options, detail })
}

/** Turns whatever better-sqlite3 threw while doing `action` on `file` into a LibraryError; LibraryErrors pass through. */
export function toLibraryError(error: unknown, file: string, action: string): LibraryError {
  if (error instanceof LibraryError) return error
  const code = sqliteCode(error)
  const detail = error instanceof Error ? error.message : String(error)
  const cause = { cause: error }
  if (code === 'SQLITE_NOTADB' || code?.startsWith('SQLITE_CORRUPT'))
    return corruptError(file, detail, cause)
  if (code?.startsWith('SQLITE_READONLY'))
    return new LibraryError('read-only', `Could not ${action}: the library ${file} is read-only (${detail}).`, file, cause)
  if (code?.startsWith('SQLITE_BUSY') || code?.startsWith('SQLITE_LOCKED'))
    return new LibraryError(
      'busy',
      `Could not ${action}: the library ${file} is locked by another process (${detail}). Close other copies of the app and try again.`,
      file,
      cause,
    )
  if (code?.startsWith('SQLITE_CONSTRAINT'))
    return new LibraryError('invalid', `Could not ${action}: the library ${file} refused the values (${detail}).`, file, cause)
  if (code === 'SQLITE_FULL')
    return new LibraryError('io', `Could not ${action}: the disk holding ${file} is full. Free some space and try again.`, file, cause)
  if (code === 'SQLITE_CANTOPEN' || code?.startsWith('SQLITE_IOERR') || code === 'SQLITE_PERM')
    return new LibraryError('io', `Could not ${action}: the file system refused ${file} (${detail}).`, file, cause)
  if (error instanceof TypeError && /database connection is not open/.test(detail))
    return new LibraryError('io', `Could not ${action}: the library ${file} is closed.`, file, cause)
  return new LibraryError('io', `Could not ${action} in ${file}: ${detail}`, file, cause)
}
