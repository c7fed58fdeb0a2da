// Fine-tuning runs: one row per run, with what it started from (parent model, image folder and its content hash),
// its method, target and settings (JSON, as the run folder's run.json has them), its status and its progress in
// checkpoints. The run folder holds everything else (metrics, previews, checkpoints); the row is the index the
// studio lists and resumes from.
import type Database from 'better-sqlite3'
import { checkInteger, checkText, invalid, now } from './codec.ts'
import { LibraryError } from './errors.ts'
import { STORE_LIMITS } from './limits.ts'

/** What a run's row says of it: 'running' while a worker trains it, 'paused' or 'interrupted' (resumable),
 *  'completed', 'stopped' (by the collapse monitor), 'cancelled' or 'failed'. */
const STATUSES = ['running', 'paused', 'completed', 'stopped', 'cancelled', 'failed', 'interrupted'] as const
export type RunStatus = (typeof STATUSES)[number]

/** How a run fine-tunes its parent model. */
const METHODS = ['adversarial', 'new-class', 'fresh-d', 'bsa'] as const
export type RunMethod = (typeof METHODS)[number]

export interface StoredRun {
  id: number
  name: string
  status: RunStatus
  method: RunMethod
  parent: { hash: string; path: string; name: string }
  data: { path: string; contentHash: string }
  /** JSON text */
  target: string
  /** JSON text */
  settings: string
  runDir: string
  step: number
  steps: number
  bestStep: number | null
  lastError: string | null
  createdAt: string
  updatedAt: string
}

export type NewRun = Omit<StoredRun, 'id' | 'runDir' | 'step' | 'bestStep' | 'lastError' | 'createdAt' | 'updatedAt'>

export type RunPatch = Partial<Pick<StoredRun, 'status' | 'step' | 'steps' | 'bestStep' | 'lastError' | 'settings'>> & {
  dataHash?: string
}

/** JSON kept per row: settings are a few kilobytes */
const JSON_LIMIT = 1_000_000
const ERROR_LIMIT = 10_000

interface RunRow {
  id: number
  name: string
  status: RunStatus
  method: RunMethod
  parent_hash: string
  parent_path: string
  parent_name: string
  data_path: string
  data_hash: string
  target: string
  settings: string
  run_dir: string
  step: number
  steps: number
  best_step: number | null
  last_error: string | null
  created_at: string
  updated_at: string
}

function checkStatus(value: unknown): RunStatus {
  if (!STATUSES.includes(value as RunStatus)) invalid('status', `one of ${STATUSES.join(', ')}`, value)
  return value as RunStatus
}

function checkJson(field: string, value: unknown): string {
  const text = checkText(field, value, JSON_LIMIT)
  try {
    JSON.parse(text)
  } catch {
    invalid(field, 'JSON text', value)
  }
  return text
}

export class Runs {
  constructor(
    private readonly db: Database.Database,
    private readonly file: string,
  ) {}

  /** Inserts a run; its folder is `dirFor(id)`, named once the id is known (in the same transaction). */
  create(r: NewRun, dirFor: (id: number) => string): StoredRun {
    const row = {
      name: checkText('name', r?.name, STORE_LIMITS.name, { nonEmpty: true }).trim(),
      status: checkStatus(r.status),
      method: METHODS.includes(r.method) ? r.method : invalid('method', `one of ${METHODS.join(', ')}`, r.method),
      parentHash: checkText('parent.hash', r.parent?.hash, STORE_LIMITS.hash),
      parentPath: checkText('parent.path', r.parent.path, STORE_LIMITS.path, { nonEmpty: true }),
      parentName: checkText('parent.name', r.parent.name, STORE_LIMITS.modelName),
      dataPath: checkText('data.path', r.data?.path, STORE_LIMITS.path, { nonEmpty: true }),
      dataHash: checkText('data.contentHash', r.data.contentHash, STORE_LIMITS.hash),
      target: checkJson('target', r.target),
      settings: checkJson('settings', r.settings),
      steps: checkInteger('steps', r.steps, 0, Number.MAX_SAFE_INTEGER),
      time: now(),
    }
    return this.db.transaction(() => {
      const { lastInsertRowid } = this.db
        .prepare(
          `INSERT INTO runs (name, status, method, parent_hash, parent_path, parent_name, data_path, data_hash, target,
             settings, run_dir, step, steps, best_step, last_error, created_at, updated_at)
           VALUES (@name, @status, @method, @parentHash, @parentPath, @parentName, @dataPath, @dataHash, @target,
             @settings, '', 0, @steps, NULL, NULL, @time, @time)`,
        )
        .run(row)
      const id = Number(lastInsertRowid)
      const dir = checkText('runDir', dirFor(id), STORE_LIMITS.path, { nonEmpty: true })
      this.db.prepare('UPDATE runs SET run_dir = ? WHERE id = ?').run(dir, id)
      return this.get(id)
    })()
  }

  get(id: number): StoredRun {
    checkInteger('id', id, 1, Number.MAX_SAFE_INTEGER)
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined
    if (!row) throw new LibraryError('not-found', `There is no run ${id} in the library ${this.file}.`, this.file)
    return toRun(row)
  }

  /** Newest first. */
  list(): StoredRun[] {
    return (this.db.prepare('SELECT * FROM runs ORDER BY id DESC').all() as RunRow[]).map(toRun)
  }

  update(id: number, patch: RunPatch): StoredRun {
    const sets: string[] = []
    const values: Record<string, unknown> = { id: checkInteger('id', id, 1, Number.MAX_SAFE_INTEGER), time: now() }
    const set = (column: string, value: unknown): void => {
      sets.push(`${column} = @${column}`)
      values[column] = value
    }
    if (patch.status !== undefined) set('status', checkStatus(patch.status))
    if (patch.step !== undefined) set('step', checkInteger('step', patch.step, 0, Number.MAX_SAFE_INTEGER))
    if (patch.steps !== undefined) set('steps', checkInteger('steps', patch.steps, 0, Number.MAX_SAFE_INTEGER))
    if (patch.bestStep !== undefined) {
      set('best_step', patch.bestStep === null ? null : checkInteger('bestStep', patch.bestStep, 0, Number.MAX_SAFE_INTEGER))
    }
    if (patch.lastError !== undefined) {
      set('last_error', patch.lastError === null ? null : checkText('lastError', patch.lastError, Number.MAX_SAFE_INTEGER).slice(0, ERROR_LIMIT))
    }
    if (patch.settings !== undefined) set('settings', checkJson('settings', patch.settings))
    if (patch.dataHash !== undefined) set('data_hash', checkText('dataHash', patch.dataHash, STORE_LIMITS.hash))
    return this.db.transaction(() => {
      this.get(id)
      this.db.prepare(`UPDATE runs SET ${[...sets, 'updated_at = @time'].join(', ')} WHERE id = @id`).run(values)
      return this.get(id)
    })()
  }

  /** The row only; the run folder stays where it is. */
  delete(id: number): boolean {
    checkInteger('id', id, 1, Number.MAX_SAFE_INTEGER)
    return this.db.prepare('DELETE FROM runs WHERE id = ?').run(id).changes > 0
  }

  /** Rows still 'running' become 'interrupted' with `reason` (what a crash left behind); returns their ids. */
  interruptRunning(reason: string): number[] {
    return this.db.transaction(() => {
      const ids = (this.db.prepare(`SELECT id FROM runs WHERE status = 'running' ORDER BY id`).all() as { id: number }[]).map((r) => r.id)
      if (ids.length > 0) {
        this.db.prepare(`UPDATE runs SET status = 'interrupted', last_error = ?, updated_at = ? WHERE status = 'running'`).run(reason, now())
      }
      return ids
    })()
  }
}

function toRun(row: RunRow): StoredRun {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    method: row.method,
    parent: { hash: row.parent_hash, path: row.parent_path, name: row.parent_name },
    data: { path: row.data_path, contentHash: row.data_hash },
    target: row.target,
    settings: row.settings,
    runDir: row.run_dir,
    step: row.step,
    steps: row.steps,
    bestStep: row.best_step,
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}
