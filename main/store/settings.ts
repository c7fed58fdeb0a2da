// The studio's settings: one row per key of StoredSettings in the `settings` table (schema v4), its value JSON. Every
// value is checked on the way in and on the way out: a write that breaks a check is refused (LibraryError 'invalid',
// naming the field), and a stored value that breaks one (a damaged row, or one a newer version wrote) reads as the
// default, with a notice that says which and what happens next.
import type Database from 'better-sqlite3'
import { DEFAULT_RUNTIME_SETTING, type OrtThreads, type RuntimeName } from '../onnx/runtime-names.ts'
import { EXECUTOR_NAMES, type ExecutorName } from '../runs/executorNames.ts'
import { now } from './codec.ts'
import { LibraryError } from './errors.ts'
import { STORE_LIMITS } from './limits.ts'

/** The settings, one stored row per key. */
export interface StoredSettings {
  /** what serves previews and exports, and onnxruntime's threads per op */
  inference: { runtime: RuntimeName; threads: OrtThreads }
  /** the wasm backend's threads when a fine-tuning run starts, and what computes its steps */
  training: { threads: 'auto' | number; executor: ExecutorName }
  /** the model catalogue "Get a model" reads: a file's path, or null for the bundled resources/catalogue.json */
  downloads: { catalogue: string | null }
}

type Key = keyof StoredSettings

/** What every setting is before anyone changes it. */
export const DEFAULT_SETTINGS: StoredSettings = {
  inference: { ...DEFAULT_RUNTIME_SETTING },
  training: { threads: 'auto', executor: 'auto' },
  downloads: { catalogue: null },
}

/** Each setting's check: the value as stored (only the fields it declares), or an Error naming the field. */
const CHECKS: { [K in Key]: (value: unknown, path: string) => StoredSettings[K] } = {
  inference: (value, path) => {
    const o = object(value, path)
    return {
      runtime: oneOf(o.runtime, `${path}.runtime`, ['auto', 'onnx', 'tfjs'] as const),
      threads: autoOrCount(o.threads, `${path}.threads`, STORE_LIMITS.ortThreads),
    }
  },
  training: (value, path) => {
    const o = object(value, path)
    return {
      threads: autoOrCount(o.threads, `${path}.threads`, STORE_LIMITS.wasmThreads),
      // stored before the executor could be chosen: the default
      executor: o.executor === undefined ? 'auto' : oneOf(o.executor, `${path}.executor`, EXECUTOR_NAMES),
    }
  },
  downloads: (value, path) => ({ catalogue: pathOrNull(object(value, path).catalogue, `${path}.catalogue`) }),
}

const KEYS = Object.keys(CHECKS) as Key[]

/** The settings, and what was wrong with the stored values that read as defaults. */
export interface SettingsRead {
  settings: StoredSettings
  notices: string[]
}

export class Settings {
  constructor(
    private readonly db: Database.Database,
    private readonly file: string,
  ) {}

  /** Every setting: the stored value where it parses, else its default (with a notice). Rows of keys this version
   *  does not know are left alone (a newer version's). */
  read(): SettingsRead {
    const rows = this.db.prepare('SELECT key, value FROM settings').all() as { key: string; value: string }[]
    const stored = new Map(rows.map((r) => [r.key, r.value]))
    const settings = structuredClone(DEFAULT_SETTINGS)
    const notices: string[] = []
    for (const key of KEYS) {
      const text = stored.get(key)
      if (text === undefined) continue
      try {
        ;(settings as Record<Key, unknown>)[key] = CHECKS[key](JSON.parse(text), key)
      } catch (error) {
        const why = error instanceof SyntaxError ? 'it is not JSON' : (error as Error).message
        notices.push(
          `The stored '${key}' setting in ${this.file} could not be used (${why}), so its default serves: ` +
            `${JSON.stringify(DEFAULT_SETTINGS[key])}. Choosing a value again replaces it.`,
        )
      }
    }
    return { settings, notices }
  }

  /** Stores the settings given (each replaced whole), after checking each; returns them all. */
  write(patch: Partial<StoredSettings>): SettingsRead {
    if (typeof patch !== 'object' || patch === null) throw new LibraryError('invalid', `settings: expected an object, got ${patch === null ? 'null' : typeof patch}.`)
    const values: [Key, string][] = []
    for (const [key, value] of Object.entries(patch)) {
      if (!(KEYS as string[]).includes(key)) {
        throw new LibraryError('invalid', `settings: there is no setting '${key}' (there are: ${KEYS.join(', ')}).`)
      }
      if (value === undefined) continue
      try {
        values.push([key as Key, JSON.stringify(CHECKS[key as Key](value, key))])
      } catch (error) {
        throw new LibraryError('invalid', `settings: ${(error as Error).message}.`)
      }
    }
    const upsert = this.db.prepare(
      'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
    )
    this.db.transaction(() => {
      for (const [key, value] of values) upsert.run(key, value, now())
    })()
    return this.read()
  }
}

function got(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value
}

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${path}: expected an object, got ${got(value)}`)
  return value as Record<string, unknown>
}

function oneOf<const T extends readonly string[]>(value: unknown, path: string, values: T): T[number] {
  if (typeof value === 'string' && values.includes(value)) return value
  throw new Error(`${path}: expected one of ${values.join(', ')}, got ${got(value)}`)
}

/** 'auto' or a whole number in [1, most]: the shape of a thread-count setting. */
function autoOrCount(value: unknown, path: string, most: number): 'auto' | number {
  if (value === 'auto' || (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= most)) return value
  throw new Error(`${path}: expected 'auto' or an integer in [1, ${most}]`)
}

/** null, or a non-empty path within the library's bound. */
function pathOrNull(value: unknown, path: string): string | null {
  if (value === null) return null
  if (typeof value === 'string' && value.length > 0 && value.length <= STORE_LIMITS.path) return value
  throw new Error(`${path}: expected null or a file path (1 to ${STORE_LIMITS.path} characters), got ${got(value)}`)
}
