// Favourites files: a JSON document another library (or another machine) can import. Import files come from
// anywhere, so every field is checked before anything is written; a file that fails any check changes nothing.
//
//   { "format": "biggan-studio-favourites", "version": 1, "exportedAt": "<ISO time>",
//     "favourites": [ { "id", "parentId", "name", "tags", "notes", "rating", "modelHash", "modelName",
//                       "engineVersion", "semantics", "truncation", "seed"?, "thumbnail" (PNG, base64),
//                       "createdAt", "updatedAt", "z": [numbers], "y": [numbers] } ] }
//
// Ids are the exporting library's; on import a parentId that names another favourite of the file becomes that
// favourite's new id, so lineage survives. Numbers are written so that each parses back to the same float32,
// −0 included.
import type Database from 'better-sqlite3'
import { checkFavourite, type FavouriteRecord, type Favourites } from './favourites.ts'
import { checkInteger, describe, isIsoTime, now } from './codec.ts'
import { LibraryError } from './errors.ts'
import { STORE_LIMITS } from './limits.ts'

export const FAVOURITES_FORMAT = 'biggan-studio-favourites'
export const FAVOURITES_VERSION = 1
/** favourites one file may hold (the contract's bound on an export's ids) */
export const MAX_FAVOURITES_PER_FILE = 100_000

const FILE_KEYS = new Set(['format', 'version', 'exportedAt', 'favourites'])
const FAVOURITE_KEYS = new Set([
  'id',
  'parentId',
  'name',
  'tags',
  'notes',
  'rating',
  'modelHash',
  'modelName',
  'engineVersion',
  'semantics',
  'truncation',
  'seed',
  'thumbnail',
  'createdAt',
  'updatedAt',
  'z',
  'y',
])
const OPTIONAL_KEYS = new Set(['seed'])

export interface ImportResult {
  imported: number
  skipped: number
  /** what was imported differently from the file (a parent that is not in it, …), one line each */
  errors: string[]
}

// ——— export ———

const numbers = (values: Float32Array): string =>
  `[${Array.from(values, (v) => (Object.is(v, -0) ? '-0' : String(v))).join(',')}]`

export function exportFavourites(favourites: Favourites, ids?: number[]): Uint8Array {
  let chosen: number[]
  if (ids === undefined) chosen = favourites.ids()
  else {
    if (!Array.isArray(ids) || ids.length > MAX_FAVOURITES_PER_FILE)
      throw new LibraryError('invalid', `ids: expected a list of at most ${MAX_FAVOURITES_PER_FILE} favourite ids.`)
    chosen = [...new Set(ids.map((id, i) => checkInteger(`ids[${i}]`, id, 1, Number.MAX_SAFE_INTEGER)))].sort((a, b) => a - b)
  }
  const inFile = new Set(chosen)
  const tooBig = (bytes: number) =>
    new LibraryError(
      'invalid',
      `${chosen.length} favourites make a file of more than ${Math.floor(bytes / 2 ** 20)} MiB, over the ` +
        `${STORE_LIMITS.favouritesFileBytes / 2 ** 20} MiB an import accepts. Export fewer at a time.`,
    )
  const parts: string[] = []
  let characters = 0 // never more than the bytes they encode to: stop early, before a string too long for V8
  for (const id of chosen) {
    const f = favourites.get(id)
    const head = JSON.stringify({
      id: f.id,
      parentId: f.parentId !== null && inFile.has(f.parentId) ? f.parentId : null,
      name: f.name,
      tags: f.tags,
      notes: f.notes,
      rating: f.rating,
      modelHash: f.modelHash,
      modelName: f.modelName,
      engineVersion: f.engineVersion,
      semantics: f.semantics,
      truncation: f.truncation,
      seed: f.seed,
      thumbnail: Buffer.from(f.thumbnail.buffer, f.thumbnail.byteOffset, f.thumbnail.byteLength).toString('base64'),
      createdAt: f.createdAt,
      updatedAt: f.updatedAt,
    })
    // z and y spliced in by hand: JSON.stringify writes −0 as 0
    parts.push(`${head.slice(0, -1)},"z":${numbers(f.z)},"y":${numbers(f.y)}}`)
    characters += parts[parts.length - 1].length + 2
    if (characters > STORE_LIMITS.favouritesFileBytes) throw tooBig(characters)
  }
  const head = JSON.stringify({ format: FAVOURITES_FORMAT, version: FAVOURITES_VERSION, exportedAt: now() })
  const bytes = new TextEncoder().encode(`${head.slice(0, -1)},"favourites":[\n${parts.join(',\n')}\n]}\n`)
  if (bytes.length > STORE_LIMITS.favouritesFileBytes) throw tooBig(bytes.length)
  return bytes
}

// ——— import ———

function bad(where: string, problem: string): never {
  throw new LibraryError('bad-file', `This favourites file cannot be imported: ${where}${where ? ': ' : ''}${problem}. Nothing was imported.`)
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function checkKeys(where: string, value: Record<string, unknown>, allowed: Set<string>, optional = new Set<string>()): void {
  for (const key of Object.keys(value)) if (!allowed.has(key)) bad(where, `unknown field ${JSON.stringify(key)}`)
  for (const key of allowed) if (!optional.has(key) && !Object.hasOwn(value, key)) bad(where, `the field "${key}" is missing`)
}

function floats(where: string, value: unknown, maxLength: number): Float32Array {
  if (!Array.isArray(value) || value.length < 1 || value.length > maxLength)
    bad(where, `expected a list of 1 to ${maxLength} numbers, got ${describe(value)}`)
  const out = new Float32Array(value.length)
  for (let i = 0; i < value.length; i++) {
    const v = value[i]
    if (typeof v !== 'number' || !Number.isFinite(Math.fround(v))) bad(`${where}[${i}]`, `expected a finite float32, got ${describe(v)}`)
    out[i] = v
  }
  return out
}

// One character class, not groups of four: irregexp keeps a backtrack entry per group and overflows its stack on a
// thumbnail of tens of megabytes; the length check stands in for the grouping.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

function png(where: string, value: unknown): Uint8Array {
  if (
    typeof value !== 'string' ||
    value.length > Math.ceil(STORE_LIMITS.pngBytes / 3) * 4 ||
    value.length % 4 !== 0 ||
    !BASE64.test(value)
  )
    bad(where, `expected a PNG of at most ${STORE_LIMITS.pngBytes} bytes as base64, got ${describe(value)}`)
  const bytes = Buffer.from(value, 'base64')
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

interface Parsed {
  fileId: number
  fileParentId: number | null
  record: FavouriteRecord
  createdAt: string
  updatedAt: string
}

function parseFavourite(where: string, value: unknown): Parsed {
  if (!isPlainObject(value)) bad(where, `expected a favourite (an object), got ${describe(value)}`)
  checkKeys(where, value, FAVOURITE_KEYS, OPTIONAL_KEYS)
  const { id, parentId, createdAt, updatedAt } = value
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) bad(`${where}.id`, `expected a positive integer, got ${describe(id)}`)
  if (parentId !== null && (typeof parentId !== 'number' || !Number.isSafeInteger(parentId) || parentId < 1))
    bad(`${where}.parentId`, `expected null or a positive integer, got ${describe(parentId)}`)
  if (parentId === id) bad(`${where}.parentId`, 'a favourite cannot be its own parent')
  if (!isIsoTime(createdAt)) bad(`${where}.createdAt`, `expected an ISO time, got ${describe(createdAt)}`)
  if (!isIsoTime(updatedAt)) bad(`${where}.updatedAt`, `expected an ISO time, got ${describe(updatedAt)}`)
  const z = floats(`${where}.z`, value.z, STORE_LIMITS.zDim)
  const y = floats(`${where}.y`, value.y, STORE_LIMITS.classes)
  const thumbnail = png(`${where}.thumbnail`, value.thumbnail)
  try {
    const record = checkFavourite({
      name: value.name as string,
      tags: value.tags as string[],
      notes: value.notes as string,
      rating: value.rating as number,
      parentId: null, // set on insert, from the new ids
      modelHash: value.modelHash as string,
      modelName: value.modelName as string,
      engineVersion: value.engineVersion as string,
      semantics: value.semantics as 'paper',
      z,
      y,
      truncation: value.truncation as number,
      seed: value.seed as number | undefined,
      thumbnail,
    })
    // the file's spelling of name and tags is kept as checkFavourite normalised it (trimmed, tags de-duplicated)
    return { fileId: id, fileParentId: parentId as number | null, record, createdAt, updatedAt }
  } catch (error) {
    if (error instanceof LibraryError && error.code === 'invalid') bad(where, error.message.replace(/\.$/, ''))
    throw error
  }
}

/** Checks the whole file and returns its favourites parents first; throws LibraryError('bad-file') on any fault. */
export function parseFavouritesFile(bytes: Uint8Array): { favourites: Parsed[]; notes: string[] } {
  if (!(bytes instanceof Uint8Array)) bad('', 'expected the bytes of a file')
  if (bytes.length > STORE_LIMITS.favouritesFileBytes)
    bad('', `it is ${bytes.length} bytes, more than the ${STORE_LIMITS.favouritesFileBytes} a favourites file may be`)
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    bad('', 'it is not UTF-8 text (is it a favourites file?)')
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    bad('', `it is not valid JSON, perhaps cut short (${(error as Error).message})`)
  }
  if (!isPlainObject(json) || json.format !== FAVOURITES_FORMAT)
    bad('', `it is not a BigGAN Studio favourites file (no "format": "${FAVOURITES_FORMAT}")`)
  if (json.version !== FAVOURITES_VERSION)
    bad(
      'version',
      typeof json.version === 'number' && json.version > FAVOURITES_VERSION
        ? `version ${json.version} comes from a newer BigGAN Studio (this one reads version ${FAVOURITES_VERSION}); update the app`
        : `expected ${FAVOURITES_VERSION}, got ${describe(json.version)}`,
    )
  checkKeys('file', json, FILE_KEYS)
  if (!isIsoTime(json.exportedAt)) bad('exportedAt', `expected an ISO time, got ${describe(json.exportedAt)}`)
  const list = json.favourites
  if (!Array.isArray(list) || list.length > MAX_FAVOURITES_PER_FILE)
    bad('favourites', `expected a list of at most ${MAX_FAVOURITES_PER_FILE} favourites, got ${describe(list)}`)

  const parsed = list.map((value, i) => parseFavourite(`favourites[${i}]`, value))
  const byId = new Map<number, number>()
  parsed.forEach((p, i) => {
    if (byId.has(p.fileId)) bad(`favourites[${i}].id`, `the id ${p.fileId} is also favourites[${byId.get(p.fileId)}]'s`)
    byId.set(p.fileId, i)
  })

  // parents before children (Kahn's order); what is left unordered lies on a cycle
  const notes: string[] = []
  const children = new Map<number, Parsed[]>()
  const queue: Parsed[] = []
  parsed.forEach((p, i) => {
    if (p.fileParentId === null) queue.push(p)
    else if (!byId.has(p.fileParentId)) {
      notes.push(`favourites[${i}] "${p.record.name}": its parent ${p.fileParentId} is not in the file; imported without a parent.`)
      p.fileParentId = null
      queue.push(p)
    } else {
      const siblings = children.get(p.fileParentId)
      if (siblings) siblings.push(p)
      else children.set(p.fileParentId, [p])
    }
  })
  for (let next = 0; next < queue.length; next++) for (const child of children.get(queue[next].fileId) ?? []) queue.push(child)
  if (queue.length !== parsed.length) {
    const placed = new Set(queue)
    const i = parsed.findIndex((p) => !placed.has(p))
    bad(`favourites[${i}].parentId`, 'the lineage loops back on itself')
  }
  return { favourites: queue, notes }
}

/** Imports a favourites file in one transaction. Favourites already present (same model, name, truncation, z and
 *  y) are skipped, and a child of a skipped one hangs under the favourite that was already there. */
export function importFavourites(db: Database.Database, favourites: Favourites, bytes: Uint8Array): ImportResult {
  const file = parseFavouritesFile(bytes)
  return db.transaction(() => {
    const newIds = new Map<number, number>()
    let imported = 0
    let skipped = 0
    for (const p of file.favourites) {
      const existing = favourites.findDuplicate(p.record)
      if (existing !== undefined) {
        newIds.set(p.fileId, existing)
        skipped++
        continue
      }
      const parentId = p.fileParentId === null ? null : (newIds.get(p.fileParentId) ?? null)
      newIds.set(p.fileId, favourites.insert({ ...p.record, parentId }, p.createdAt, p.updatedAt))
      imported++
    }
    return { imported, skipped, errors: file.notes }
  })()
}
