// Whether a regular file is at a path: how a folder says what it holds (a model.json, a config.json) before anything
// opens it. A missing or unreadable path is simply no file; the reader that opens it later says what went wrong.
import { stat } from 'node:fs/promises'

export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}
