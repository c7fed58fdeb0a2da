// The one error the image-folder loader throws. Files that fail one by one are not errors (they are listed in
// `failed`); this is for the folder as a whole: missing, empty, nothing usable, too big to hold, or cancelled.
// `code` lets the IPC layer answer {code, message} without parsing the message.

export type DatasetErrorCode =
  | 'bad-option'
  | 'not-found'
  | 'not-a-folder'
  | 'unreadable'
  | 'no-images'
  | 'no-usable-images'
  | 'too-large'
  | 'cancelled'

export class DatasetError extends Error {
  override readonly name = 'DatasetError'

  constructor(
    message: string,
    readonly code: DatasetErrorCode,
  ) {
    super(message)
  }
}

/** A file-system error in words, without the path Node appends ("ENOENT: no such file or directory, scandir '/x'"
 *  → "no such file or directory (ENOENT)"), for messages that name the path themselves and would otherwise print
 *  it twice. Other errors: their message. */
export function systemReason(e: unknown): string {
  if (!(e instanceof Error)) return String(e)
  const { code, syscall } = e as NodeJS.ErrnoException
  if (typeof code !== 'string' || typeof syscall !== 'string') return e.message
  const words = e.message
    .replace(new RegExp(`^${code}:\\s*`), '')
    .replace(new RegExp(`,\\s*${syscall}\\b.*$`, 's'), '')
    .trim()
  return words ? `${words} (${code})` : code
}
