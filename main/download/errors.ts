// What can go wrong getting a model, each with a code the studio and the CLI act on and a message that says what
// happened, where, and what to do next.
export type DownloadErrorCode =
  /** the catalogue is unreadable or does not list the model */
  | 'catalogue'
  /** no connection to the server (offline, DNS, refused, timed out) */
  | 'offline'
  /** the server answered with an error status (404, 500, …) */
  | 'http'
  /** a redirect the downloader refuses (https → http, too many, another scheme) */
  | 'redirect'
  /** the transfer stopped before the end; the partial file is kept for resume */
  | 'interrupted'
  /** the file's size is not what the catalogue or the server said */
  | 'size'
  /** the file's sha256 is not the catalogue's; the file was removed */
  | 'hash'
  /** a name that would write outside the download folder */
  | 'path'
  /** the file system refused (permissions, disk full) */
  | 'io'
  /** the person cancelled; the partial file is kept for resume */
  | 'cancelled'
  /** the entry cannot be fetched directly: its manual steps say how to get it */
  | 'manual'

export class DownloadError extends Error {
  override readonly name = 'DownloadError'
  constructor(
    readonly code: DownloadErrorCode,
    message: string,
  ) {
    super(message)
  }
}
