// The studio's settings: one row per key of the contract's settingSchemas in the `settings` table (schema v4), its
// value JSON. Every value is checked against its schema on the way in and on the way out: a write that breaks it is
// refused (LibraryError 'invalid', naming the field), and a stored value that breaks it (a damaged row, or one a
// newer version wrote) reads as the default, with a notice that says which and what happens next.
import type Database from 'better-sqlite3'
import { settingSchemas, type StudioSettings } from '../../preload/contract/settings.ts'
import { DEFAULT_RUNTIME_SETTING } from '../onnx/runtime-names.ts'
import { now } from './codec.ts'
import { LibraryError } from './errors.ts'

type Key = keyof StudioSettings

/** What every setting is before anyone changes it. */
export const DEFAULT_SETTINGS: StudioSettings = {
  inference: { ...DEFAULT_RUNTIME_SETTING },
  training: { threads: 'auto' },
}

const KEYS = Object.keys(settingSchemas) as Key[]

/** The settings, and what was wrong with the stored values that read as defaults. */
export interface SettingsRead {
  settings: StudioSettings
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
        ;(settings as Record<Key, unknown>)[key] = settingSchemas[key].parse(JSON.parse(text), key)
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

  /** Stores the settings given (each replaced whole), after checking each against its schema; returns them all. */
  write(patch: Partial<StudioSettings>): SettingsRead {
    if (typeof patch !== 'object' || patch === null) throw new LibraryError('invalid', `settings: expected an object, got ${patch === null ? 'null' : typeof patch}.`)
    const values: [Key, string][] = []
    for (const [key, value] of Object.entries(patch)) {
      if (!(KEYS as string[]).includes(key)) {
        throw new LibraryError('invalid', `settings: there is no setting '${key}' (there are: ${KEYS.join(', ')}).`)
      }
      if (value === undefined) continue
      try {
        values.push([key as Key, JSON.stringify(settingSchemas[key as Key].parse(value, key))])
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
