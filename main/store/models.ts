// Recently used models: one row per model folder, newest first.
import type Database from 'better-sqlite3'
import { checkInteger, checkText, now } from './codec.ts'
import { STORE_LIMITS } from './limits.ts'

export interface UsedModel {
  path: string
  name: string
  hash: string
  arch: string
  resolution: number
  numClasses: number
}

/** A model as the recent-models list keeps it: what was recorded when it was last opened, and when. */
export interface StoredRecentModel extends UsedModel {
  /** ISO time */
  lastOpened: string
}

/** Rows kept; the least recently used go first. */
const KEEP = 100

interface ModelRow {
  path: string
  name: string
  hash: string
  arch: string
  resolution: number
  num_classes: number
  last_opened: string
}

export class RecentModels {
  constructor(private readonly db: Database.Database) {}

  touch(m: UsedModel): void {
    const path = checkText('path', m?.path, STORE_LIMITS.path, { nonEmpty: true })
    const name = checkText('name', m.name, STORE_LIMITS.modelName)
    const hash = checkText('hash', m.hash, STORE_LIMITS.hash)
    const arch = checkText('arch', m.arch, STORE_LIMITS.arch)
    const resolution = checkInteger('resolution', m.resolution, 1, 1 << 16)
    const numClasses = checkInteger('numClasses', m.numClasses, 0, STORE_LIMITS.classes)
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO recent_models (path, name, hash, arch, resolution, num_classes, last_opened, touched)
           VALUES (@path, @name, @hash, @arch, @resolution, @numClasses, @time,
                   (SELECT coalesce(max(touched), 0) + 1 FROM recent_models))
           ON CONFLICT (path) DO UPDATE SET name = excluded.name, hash = excluded.hash, arch = excluded.arch,
             resolution = excluded.resolution, num_classes = excluded.num_classes,
             last_opened = excluded.last_opened, touched = excluded.touched`,
        )
        .run({ path, name, hash, arch, resolution, numClasses, time: now() })
      this.db
        .prepare('DELETE FROM recent_models WHERE path NOT IN (SELECT path FROM recent_models ORDER BY touched DESC LIMIT ?)')
        .run(KEEP)
    })()
  }

  /** Newest first, one per path. */
  list(limit = 10): StoredRecentModel[] {
    checkInteger('limit', limit, 1, KEEP)
    const rows = this.db.prepare('SELECT * FROM recent_models ORDER BY touched DESC LIMIT ?').all(limit) as ModelRow[]
    return rows.map((row) => ({
      path: row.path,
      name: row.name,
      hash: row.hash,
      arch: row.arch,
      resolution: row.resolution,
      numClasses: row.num_classes,
      lastOpened: row.last_opened,
    }))
  }
}
