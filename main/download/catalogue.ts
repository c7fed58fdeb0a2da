// The model catalogue: which public BigGAN weights exist, where each file is published, and what is known about it
// (size and sha256 where confirmed, the licence, the citation, what was verified). It is data (resources/
// catalogue.json, or any file --catalogue or the studio's setting names); this file only reads and checks it, so a
// broken catalogue is refused with the entry and field that are wrong.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DownloadError } from './errors.ts'

export const CATALOGUE_FORMAT = 'biggan-studio-catalogue'

export interface CatalogueFile {
  /** the file's name in the download folder: letters, digits, '.', '_', '-' only */
  name: string
  /** where it is published, tried in order */
  urls: string[]
  /** bytes, where confirmed */
  size?: number
  /** lower-case hex, where confirmed */
  sha256?: string
}

export interface CatalogueEntry {
  name: string
  title: string
  /** which importer reads it: 'hf-biggan-deep', 'biggan-pytorch', 'tfhub-module', 'studiogan' */
  family: string
  arch: string
  resolution: number
  classes: number
  /** what is downloaded; empty where the weights cannot be fetched directly (see manual) */
  files: CatalogueFile[]
  /** for weights that need a person's hands (a confirmation page, a folder to pick): where, and what to do */
  manual?: { url: string; steps: string }
  homepage: string
  licence: string
  citation: string
  /** what was confirmed about the addresses, size and hash, in words */
  verified: string
}

export interface Catalogue {
  /** the file it was read from */
  file: string
  models: CatalogueEntry[]
}

/** resources/catalogue.json of the given resources folder. */
export function bundledCataloguePath(resourcesDir: string): string {
  return join(resourcesDir, 'catalogue.json')
}

export async function readCatalogue(file: string): Promise<Catalogue> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw new DownloadError('catalogue', `cannot read the catalogue ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): check the path given with --catalogue or in the studio's setting`)
  }
  return parseCatalogue(text, file)
}

/** Checks a catalogue's text; `file` names it in errors. */
export function parseCatalogue(text: string, file: string): Catalogue {
  let root: unknown
  try {
    root = JSON.parse(text)
  } catch (err) {
    throw new DownloadError('catalogue', `the catalogue ${file} is not JSON: ${(err as Error).message}`)
  }
  const bad = (where: string, what: string): never => {
    throw new DownloadError('catalogue', `the catalogue ${file}: ${where} ${what}`)
  }
  const o = isObject(root) ? root : bad('the top level', 'must be an object')
  if (o.format !== CATALOGUE_FORMAT) bad('"format"', `must be "${CATALOGUE_FORMAT}"`)
  if (o.version !== 1) bad('"version"', 'must be 1 (this version of the studio reads version 1)')
  if (!Array.isArray(o.models)) bad('"models"', 'must be an array')
  const models = (o.models as unknown[]).map((raw, i) => parseEntry(raw, `models[${i}]`, bad))
  const seen = new Set<string>()
  for (const m of models) {
    if (seen.has(m.name)) bad(`model "${m.name}"`, 'is listed twice')
    seen.add(m.name)
  }
  return { file, models }
}

type Bad = (where: string, what: string) => never

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

/** A name that can only ever be a plain file or folder inside the download folder. */
export function isSafeName(name: string): boolean {
  return SAFE_NAME.test(name) && !name.includes('..')
}

function parseEntry(raw: unknown, at: string, bad: Bad): CatalogueEntry {
  const e = isObject(raw) ? raw : bad(at, 'must be an object')
  const str = (key: string): string => (typeof e[key] === 'string' && e[key] !== '' ? (e[key] as string) : bad(`${at}.${key}`, 'must be a non-empty string'))
  const int = (key: string): number => (Number.isInteger(e[key]) && (e[key] as number) > 0 ? (e[key] as number) : bad(`${at}.${key}`, 'must be a positive integer'))
  const name = str('name')
  if (!isSafeName(name)) bad(`${at}.name`, `"${name}" may hold only letters, digits, '.', '_' and '-'`)
  if (!Array.isArray(e.files)) bad(`${at}.files`, 'must be an array (empty where the weights cannot be fetched directly)')
  const files = (e.files as unknown[]).map((f, j) => parseFile(f, `${at}.files[${j}]`, bad))
  const names = new Set(files.map((f) => f.name))
  if (names.size !== files.length) bad(`${at}.files`, 'name the same file twice')
  let manual: CatalogueEntry['manual']
  if (e.manual !== undefined) {
    const m = isObject(e.manual) ? e.manual : bad(`${at}.manual`, 'must be an object with url and steps')
    if (typeof m.url !== 'string' || typeof m.steps !== 'string') bad(`${at}.manual`, 'needs a url and steps (strings)')
    manual = { url: m.url as string, steps: m.steps as string }
  }
  if (files.length === 0 && !manual) bad(at, 'has no files and no manual steps: say how to get it')
  return {
    name,
    title: str('title'),
    family: str('family'),
    arch: str('arch'),
    resolution: int('resolution'),
    classes: int('classes'),
    files,
    ...(manual ? { manual } : {}),
    homepage: str('homepage'),
    licence: str('licence'),
    citation: str('citation'),
    verified: str('verified'),
  }
}

function parseFile(raw: unknown, at: string, bad: Bad): CatalogueFile {
  const f = isObject(raw) ? raw : bad(at, 'must be an object')
  if (typeof f.name !== 'string' || !isSafeName(f.name)) bad(`${at}.name`, "must be a plain file name (letters, digits, '.', '_', '-')")
  if (!Array.isArray(f.urls) || f.urls.length === 0) bad(`${at}.urls`, 'must list at least one address')
  const urls = (f.urls as unknown[]).map((u, k) => {
    if (typeof u !== 'string' || !/^https?:\/\//.test(u)) bad(`${at}.urls[${k}]`, 'must be an http(s) address')
    return u as string
  })
  const file: CatalogueFile = { name: f.name as string, urls }
  if (f.size !== undefined) {
    if (!Number.isSafeInteger(f.size) || (f.size as number) < 0) bad(`${at}.size`, 'must be a whole number of bytes')
    file.size = f.size as number
  }
  if (f.sha256 !== undefined) {
    if (typeof f.sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(f.sha256)) bad(`${at}.sha256`, 'must be 64 hex digits')
    file.sha256 = (f.sha256 as string).toLowerCase()
  }
  return file
}

/** The entry called `name`, or an error listing the names there are. */
export function findEntry(catalogue: Catalogue, name: string): CatalogueEntry {
  const entry = catalogue.models.find((m) => m.name === name)
  if (!entry) {
    throw new DownloadError('catalogue', `no model "${name}" in the catalogue ${catalogue.file}; it lists: ${catalogue.models.map((m) => m.name).join(', ')}`)
  }
  return entry
}

/** The entry's total size in bytes, where every file's size is known. */
export function entrySize(entry: CatalogueEntry): number | undefined {
  let total = 0
  for (const f of entry.files) {
    if (f.size === undefined) return undefined
    total += f.size
  }
  return total
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
