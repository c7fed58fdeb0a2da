// What the store tests share that needs vitest (helpers.ts stays vitest-free for the crash writer child process).
import { join } from 'node:path'
import { afterEach, beforeEach, expect } from 'vitest'
import { Library, LibraryError } from '../../main/store/index.ts'
import { tempFolder } from './helpers.ts'

/** Runs fn, which must throw a LibraryError, and returns it. */
export function refusal(fn: () => unknown): LibraryError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(LibraryError)
    return error as LibraryError
  }
  throw new Error('expected a LibraryError')
}

/** A fresh library in a temporary folder for each test of the enclosing describe, closed and removed after it. */
export function freshLibrary(): { readonly library: Library; readonly dir: string; reopen(): Library } {
  let folder: ReturnType<typeof tempFolder>
  let library: Library
  beforeEach(() => {
    folder = tempFolder()
    library = Library.open(join(folder.dir, 'library.db'))
  })
  afterEach(() => {
    library.close()
    folder.remove()
  })
  return {
    get library() {
      return library
    },
    get dir() {
      return folder.dir
    },
    /** closes the library and opens its file again, as a restart of the app does */
    reopen() {
      library.close()
      library = Library.open(join(folder.dir, 'library.db'))
      return library
    },
  }
}
