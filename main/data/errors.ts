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
