// Writing a small file so that a reader, or a crash, sees the old file or the new one and never half of each: the
// text goes to a temporary file beside the target, is flushed to disk, and is renamed over it (a rename within one
// folder is atomic). Large binary files stream through their own writer (safetensorsFile.ts), which follows the
// same rule.
import { rename, unlink, writeFile } from 'node:fs/promises'
import { ioError } from './safetensorsFile.ts'

/** Writes `text` to `path` atomically. On failure the temporary file is removed, `path` is left as it was, and the
 *  error (a CheckpointError 'io') names the path, what failed (`action`, e.g. 'write the model config') and what
 *  to do. */
export async function writeFileAtomic(path: string, text: string, action: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`
  try {
    await writeFile(tmp, text, { flush: true })
    await rename(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => undefined)
    throw ioError(err, path, action)
  }
}

/** `value` as JSON (two-space indent, final newline), written atomically; returns `path`. */
export async function writeJsonAtomic(path: string, value: unknown, action: string): Promise<string> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`, action)
  return path
}
