// TF-Hub modules downloaded as compressed archives (`.tar.gz`, what tfhub.dev serves): unpacked by the `tar`
// package into a fresh temporary folder, never by hand. The whole listing is checked first and the archive refused,
// naming the entry, if anything could land outside that folder or is not a plain file or folder: absolute paths,
// `..` segments, symbolic and hard links, devices. The same check filters entries again while unpacking.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, posix, win32 } from 'node:path'
import * as tar from 'tar'
import { CheckpointError, quoted } from '../tensors/errors.ts'

export const hubArchivePattern = /\.(tar\.gz|tgz|tar)$/i
/** More than any BigGAN module unpacks to (the largest is about 1 GB): a bomb is refused before it fills the disk. */
const maxUnpackedBytes = 8 * 2 ** 30

interface EntryFacts {
  path: string
  type: string
  size?: number
}

/** Why an entry may not be unpacked, or undefined where it is a plain file or folder inside the destination. */
export function unsafeEntry(entry: EntryFacts): string | undefined {
  const path = entry.path
  if (posix.isAbsolute(path) || win32.isAbsolute(path)) return 'has an absolute path'
  if (path.split(/[\\/]+/).includes('..')) return "has a '..' segment that climbs out of the destination"
  if (entry.type === 'SymbolicLink' || entry.type === 'Link') return 'is a link, which could point outside the destination'
  if (!['File', 'OldFile', 'ContiguousFile', 'Directory'].includes(entry.type)) return `is a ${entry.type}, not a file or folder`
  return undefined
}

function refuse(archive: string, path: string, why: string): CheckpointError {
  return new CheckpointError('bad-header', `entry ${quoted(path)} ${why}; the archive is refused and nothing was ` +
    'unpacked. A TF-Hub module archive holds only saved_model.pb, variables/ and assets', archive)
}

/** Checks every entry of the archive without writing anything. */
async function checkListing(archive: string): Promise<void> {
  let total = 0
  let problem: CheckpointError | undefined
  try {
    await tar.t({
      file: archive,
      strict: true,
      onReadEntry: (entry) => {
        const why = unsafeEntry(entry)
        if (why && !problem) problem = refuse(archive, entry.path, why)
        total += entry.size ?? 0
      },
    })
  } catch (err) {
    throw new CheckpointError('bad-header', `cannot be read as a tar archive (${(err as Error).message}); download it again`, archive)
  }
  if (problem) throw problem
  if (total > maxUnpackedBytes) {
    throw new CheckpointError('too-large', `would unpack to ${total} bytes, more than the ${maxUnpackedBytes} a BigGAN module takes`, archive)
  }
}

/** Unpacks `archive` into a new temporary folder and hands it to `use`; the folder is removed afterwards. */
export async function withUnpackedArchive<T>(archive: string, use: (dir: string) => Promise<T>): Promise<T> {
  await checkListing(archive)
  const dir = await mkdtemp(join(tmpdir(), 'biggan-hub-'))
  try {
    await tar.x({
      file: archive,
      cwd: dir,
      strict: true,
      preservePaths: false,
      // the listing was checked above; this keeps an archive that changed since from writing anything unsafe
      filter: (path, entry) => unsafeEntry({ path, type: 'type' in entry ? entry.type : 'File' }) === undefined,
    })
    return await use(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
