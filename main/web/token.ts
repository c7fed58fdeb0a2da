// Web mode's token, one per data folder: kept in <dataDir>/web-token, readable by this user only, so that a server
// started again on the same folder accepts the pages still open on it (they carry the token in their address), and
// rotated only when asked (`--new-token`), which shuts out every page and link that had the old one.
import { randomBytes } from 'node:crypto'
import { chmodSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const TOKEN_FILE = 'web-token'

/** 32 random bytes in hex: what a token file holds. */
const TOKEN_PATTERN = /^[0-9a-f]{64}$/

export class TokenError extends Error {
  override readonly name = 'TokenError'
}

/** The data folder's token: the one kept there, or a new one (kept there) when there is none, it is not a token,
 *  or `rotate` asks for a new one. A kept file readable by others is made private again (the token is a password). */
export function dataFolderToken(dataDir: string, options: { rotate?: boolean } = {}): { token: string; created: boolean } {
  const file = join(dataDir, TOKEN_FILE)
  if (!options.rotate) {
    const kept = readKept(file)
    if (kept) return { token: kept, created: false }
  }
  const token = randomBytes(32).toString('hex')
  const temporary = `${file}.${process.pid}.tmp`
  try {
    writeFileSync(temporary, `${token}\n`, { mode: 0o600 })
    renameSync(temporary, file)
  } catch (e) {
    throw new TokenError(`cannot keep web mode's token in ${file}: ${e instanceof Error ? e.message : String(e)}; check that the data folder is writable`)
  }
  return { token, created: true }
}

function readKept(file: string): string | null {
  let text: string
  try {
    text = readFileSync(file, 'utf8').trim()
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new TokenError(`cannot read web mode's token from ${file}: ${e instanceof Error ? e.message : String(e)}`)
  }
  if (!TOKEN_PATTERN.test(text)) return null
  if (process.platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600)
  return text
}
