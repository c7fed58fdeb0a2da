// Sessions: the history of points the user explored, kept across restarts, with an undo cursor. The cursor is the
// index (in entry order) of the current point; a push drops whatever lies past it, like any editor's redo tail.
// The current session is the one touched last, by a counter rather than the clock, so a clock that jumps back
// cannot change which session reopens.
import type Database from 'better-sqlite3'
import {
  blobToFloats,
  checkFloats,
  checkInteger,
  checkSeed,
  checkText,
  checkTruncation,
  floatsToBlob,
  now,
} from './codec.ts'
import { LibraryError } from './errors.ts'
import { STORE_LIMITS } from './limits.ts'

/** Entries a session keeps; the oldest go first. */
/** History entries returned on each side of the cursor. */
export const SESSION_WINDOW = 50

export const HISTORY_LIMIT = 10_000

/** A point of the latent space as a history entry keeps it: z, the class vector, the truncation, and the seed z was
 *  drawn from while z is still that draw. */
export interface StoredPoint {
  z: Float32Array
  y: Float32Array
  truncation: number
  seed?: number
}

export interface NewHistoryEntry {
  point: StoredPoint
  /** the view that produced it ('explore', 'grid', 'blend', …) */
  view: string
  label?: string
  modelHash: string
}

export interface StoredHistoryEntry {
  id: number
  view: string
  label: string
  point: StoredPoint
  modelHash: string
  createdAt: string
}

/** A session with a window of its history around the cursor: entries[0] is entry `offset` of `total`, and `cursor`
 *  the index of the current point in the whole history (−1 when the session is empty). */
export interface StoredSession {
  id: number
  name: string
  createdAt: string
  updatedAt: string
  entries: StoredHistoryEntry[]
  offset: number
  total: number
  cursor: number
  canUndo: boolean
  canRedo: boolean
}

export interface StoredSessionSummary {
  id: number
  name: string
  createdAt: string
  updatedAt: string
  /** entries in its history */
  entries: number
}

interface SessionRow {
  id: number
  name: string
  cursor: number
  touched: number
  created_at: string
  updated_at: string
}

interface EntryRow {
  id: number
  view: string
  label: string
  model_hash: string
  z: Buffer
  y: Buffer
  truncation: number
  seed: number | null
  created_at: string
}

export class Sessions {
  private readonly latest: Database.Statement<[], SessionRow>
  private readonly byId: Database.Statement<[number], SessionRow>
  private readonly entries: Database.Statement<[number, number, number], EntryRow>
  private readonly count: Database.Statement<[number], { n: number }>
  private readonly touch: Database.Statement<[string, number]>
  private readonly setCursor: Database.Statement<[number, string, number]>

  constructor(
    private readonly db: Database.Database,
    private readonly file: string,
    private readonly limit: number = HISTORY_LIMIT,
  ) {
    checkInteger('historyLimit', limit, 1, Number.MAX_SAFE_INTEGER)
    this.latest = db.prepare('SELECT * FROM sessions ORDER BY touched DESC, id DESC LIMIT 1')
    this.byId = db.prepare('SELECT * FROM sessions WHERE id = ?')
    this.entries = db.prepare('SELECT * FROM history_entries WHERE session_id = ? ORDER BY id LIMIT ? OFFSET ?')
    this.count = db.prepare('SELECT count(*) AS n FROM history_entries WHERE session_id = ?')
    const touched = '(SELECT coalesce(max(touched), 0) + 1 FROM sessions)'
    this.touch = db.prepare(`UPDATE sessions SET touched = ${touched}, updated_at = ? WHERE id = ?`)
    this.setCursor = db.prepare(`UPDATE sessions SET cursor = ?, touched = ${touched}, updated_at = ? WHERE id = ?`)
  }

  /** The session touched last; a new 'Session 1' when there is none. */
  current(): StoredSession {
    return this.db.transaction(() => this.state(this.currentRow()))()
  }

  list(): StoredSessionSummary[] {
    const rows = this.db
      .prepare(
        `SELECT s.*, (SELECT count(*) FROM history_entries e WHERE e.session_id = s.id) AS entries
         FROM sessions s ORDER BY s.touched DESC, s.id DESC`,
      )
      .all() as (SessionRow & { entries: number })[]
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      entries: row.entries,
    }))
  }

  /** Makes a session current. */
  open(id: number): StoredSession {
    checkInteger('id', id, 1, Number.MAX_SAFE_INTEGER)
    return this.db.transaction(() => {
      if (!this.byId.get(id)) throw new LibraryError('not-found', `There is no session ${id}.`, this.file)
      this.touch.run(now(), id)
      return this.state(this.byId.get(id)!)
    })()
  }

  /** A new, empty session, made current. Without a name: 'Session <n>'. */
  create(name?: string): StoredSession {
    const given = name === undefined ? '' : checkText('name', name, STORE_LIMITS.name).trim()
    return this.db.transaction(() => this.state(this.insert(given)))()
  }

  /** Records a point after the cursor (dropping the redo tail) in the current session and moves the cursor to it. */
  push(entry: NewHistoryEntry): StoredSession {
    if (typeof entry !== 'object' || entry === null || typeof entry.point !== 'object' || entry.point === null)
      throw new LibraryError('invalid', 'entry: expected {point, view, label?, modelHash}.')
    const z = checkFloats('point.z', entry.point.z, 1, STORE_LIMITS.zDim)
    const y = checkFloats('point.y', entry.point.y, 1, STORE_LIMITS.classes)
    const truncation = checkTruncation('point.truncation', entry.point.truncation)
    const seed = checkSeed('point.seed', entry.point.seed)
    const view = checkText('view', entry.view, STORE_LIMITS.view, { nonEmpty: true })
    const label = entry.label === undefined ? '' : checkText('label', entry.label, STORE_LIMITS.name)
    const modelHash = checkText('modelHash', entry.modelHash, STORE_LIMITS.hash, { nonEmpty: true })

    return this.db.transaction(() => {
      const session = this.currentRow()
      const cursor = this.cursorOf(session, this.count.get(session.id)!.n)
      if (cursor >= 0) {
        const at = this.db
          .prepare('SELECT id FROM history_entries WHERE session_id = ? ORDER BY id LIMIT 1 OFFSET ?')
          .get(session.id, cursor) as { id: number }
        this.db.prepare('DELETE FROM history_entries WHERE session_id = ? AND id > ?').run(session.id, at.id)
      } else {
        this.db.prepare('DELETE FROM history_entries WHERE session_id = ?').run(session.id)
      }
      const time = now()
      this.db
        .prepare(
          `INSERT INTO history_entries (session_id, view, label, model_hash, z, y, truncation, seed, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(session.id, view, label, modelHash, floatsToBlob(z), floatsToBlob(y), truncation, seed ?? null, time)
      let entries = cursor + 2
      if (entries > this.limit) {
        this.db
          .prepare(
            'DELETE FROM history_entries WHERE id IN (SELECT id FROM history_entries WHERE session_id = ? ORDER BY id LIMIT ?)',
          )
          .run(session.id, entries - this.limit)
        entries = this.limit
      }
      this.setCursor.run(entries - 1, time, session.id)
      return this.state(this.byId.get(session.id)!)
    })()
  }

  /** Moves the current session's cursor one entry back; at the first entry it stays. */
  undo(): StoredSession {
    return this.move(-1)
  }

  /** Moves the current session's cursor one entry forward; at the last entry it stays. */
  redo(): StoredSession {
    return this.move(+1)
  }

  private move(step: -1 | 1): StoredSession {
    return this.db.transaction(() => {
      const session = this.currentRow()
      const n = this.count.get(session.id)!.n
      const cursor = this.cursorOf(session, n)
      const next = Math.min(Math.max(cursor + step, n > 0 ? 0 : -1), n - 1)
      if (next === cursor) return this.state(session)
      this.setCursor.run(next, now(), session.id)
      return this.state(this.byId.get(session.id)!)
    })()
  }

  private currentRow(): SessionRow {
    return this.latest.get() ?? this.insert('')
  }

  private insert(name: string): SessionRow {
    let chosen = name
    if (chosen === '') {
      const taken = new Set((this.db.prepare('SELECT name FROM sessions').all() as { name: string }[]).map((r) => r.name))
      let n = taken.size + 1
      while (taken.has(`Session ${n}`)) n++
      chosen = `Session ${n}`
    }
    const time = now()
    const { lastInsertRowid } = this.db
      .prepare(
        `INSERT INTO sessions (name, cursor, touched, created_at, updated_at)
         VALUES (?, -1, (SELECT coalesce(max(touched), 0) + 1 FROM sessions), ?, ?)`,
      )
      .run(chosen, time, time)
    return this.byId.get(Number(lastInsertRowid))!
  }

  /** The stored cursor, brought inside [0, n−1] (−1 when empty) should the file say otherwise. */
  private cursorOf(session: SessionRow, n: number): number {
    if (n === 0) return -1
    return session.cursor < 0 || session.cursor >= n ? n - 1 : session.cursor
  }

  /** The session with a window of its history around the cursor (SESSION_WINDOW each side): a long history
   *  would otherwise cross the IPC boundary whole on every push, undo and redo. */
  private state(session: SessionRow): StoredSession {
    const total = this.count.get(session.id)!.n
    const cursor = this.cursorOf(session, total)
    const offset = Math.max(0, cursor - SESSION_WINDOW)
    const entries = this.entries.all(session.id, 2 * SESSION_WINDOW + 1, offset).map((row) => this.entryFromRow(row))
    return {
      id: session.id,
      name: session.name,
      createdAt: session.created_at,
      updatedAt: session.updated_at,
      entries,
      offset,
      total,
      cursor,
      canUndo: cursor > 0,
      canRedo: cursor >= 0 && cursor < total - 1,
    }
  }

  private entryFromRow(row: EntryRow): StoredHistoryEntry {
    return {
      id: row.id,
      view: row.view,
      label: row.label,
      point: {
        z: blobToFloats(row.z, this.file, `history entry ${row.id}'s z`),
        y: blobToFloats(row.y, this.file, `history entry ${row.id}'s y`),
        truncation: row.truncation,
        ...(row.seed === null ? {} : { seed: row.seed }),
      },
      modelHash: row.model_hash,
      createdAt: row.created_at,
    }
  }
}
