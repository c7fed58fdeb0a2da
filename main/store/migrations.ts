// The library's schema as numbered migrations. `PRAGMA user_version` records the last one applied; it lives in the
// database header, so it changes in the same transaction as the migration's tables: a crash mid-migration leaves
// the previous version whole, never half of the next. Append new migrations; never edit one that has shipped.
import type Database from 'better-sqlite3'

export interface Migration {
  version: number
  /** what it adds, in words */
  name: string
  sql: string
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'favourites, their tags, recently used models',
    sql: `
      CREATE TABLE favourites (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        notes TEXT NOT NULL,
        rating INTEGER NOT NULL CHECK (rating BETWEEN 0 AND 5),
        parent_id INTEGER REFERENCES favourites(id) ON DELETE SET NULL,
        model_hash TEXT NOT NULL,
        model_name TEXT NOT NULL,
        engine_version TEXT NOT NULL,
        semantics TEXT NOT NULL CHECK (semantics IN ('paper', 'released')),
        z BLOB NOT NULL,            -- float32 little-endian, [zDim]
        y BLOB NOT NULL,            -- float32 little-endian, [numClasses]
        truncation REAL NOT NULL,
        seed INTEGER,
        thumbnail BLOB NOT NULL,    -- PNG
        search TEXT NOT NULL,       -- lower-cased name, notes and tags, one per line
        created_at TEXT NOT NULL,   -- ISO 8601, UTC
        updated_at TEXT NOT NULL
      );
      CREATE INDEX favourites_created ON favourites(created_at, id);
      CREATE INDEX favourites_parent ON favourites(parent_id);
      CREATE INDEX favourites_model ON favourites(model_hash);

      CREATE TABLE favourite_tags (
        favourite_id INTEGER NOT NULL REFERENCES favourites(id) ON DELETE CASCADE,
        tag TEXT NOT NULL,          -- as the user spelled it
        tag_key TEXT NOT NULL,      -- lower-cased, for filtering and counting
        position INTEGER NOT NULL,
        PRIMARY KEY (favourite_id, tag_key)
      );
      CREATE INDEX favourite_tags_key ON favourite_tags(tag_key);

      CREATE TABLE recent_models (
        path TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        hash TEXT NOT NULL,
        arch TEXT NOT NULL,
        resolution INTEGER NOT NULL,
        num_classes INTEGER NOT NULL,
        last_opened TEXT NOT NULL,
        touched INTEGER NOT NULL    -- a counter, not the clock: order survives clock changes
      );
    `,
  },
  {
    version: 2,
    name: 'sessions: the history of explored points with an undo cursor',
    sql: `
      CREATE TABLE sessions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        cursor INTEGER NOT NULL DEFAULT -1, -- index of the current entry (by id order); -1 when empty
        touched INTEGER NOT NULL,           -- the current session is the one touched last
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX sessions_touched ON sessions(touched);

      CREATE TABLE history_entries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        view TEXT NOT NULL,
        label TEXT NOT NULL,
        model_hash TEXT NOT NULL,
        z BLOB NOT NULL,
        y BLOB NOT NULL,
        truncation REAL NOT NULL,
        seed INTEGER,
        created_at TEXT NOT NULL
      );
      CREATE INDEX history_entries_session ON history_entries(session_id, id);
    `,
  },
  {
    version: 3,
    name: 'runs: fine-tuning runs with their settings, status and checkpoints',
    sql: `
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL,
        status TEXT NOT NULL
          CHECK (status IN ('running', 'paused', 'completed', 'stopped', 'cancelled', 'failed', 'interrupted')),
        method TEXT NOT NULL CHECK (method IN ('adversarial', 'new-class', 'fresh-d', 'bsa')),
        parent_hash TEXT NOT NULL,  -- content hash of the model the run started from
        parent_path TEXT NOT NULL,  -- its native folder
        parent_name TEXT NOT NULL,
        data_path TEXT NOT NULL,    -- the image folder
        data_hash TEXT NOT NULL,    -- the loader's content hash of its usable images
        target TEXT NOT NULL,       -- JSON: which model classes the folder trains
        settings TEXT NOT NULL,     -- JSON: the run's training settings (or BSA's), as its run.json has them
        run_dir TEXT NOT NULL,      -- the run folder (RunFolder layout: the CLI opens it too)
        step INTEGER NOT NULL,      -- G steps in the newest checkpoint
        steps INTEGER NOT NULL,     -- G steps the run trains to
        best_step INTEGER,          -- the step best/ holds
        last_error TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX runs_status ON runs(status);
    `,
  },
  {
    version: 4,
    name: 'generator metrics measured in the studio, and the app settings',
    sql: `
      CREATE TABLE generator_metrics (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('metrics', 'curve')),  -- one set of numbers, or a truncation sweep
        model_hash TEXT NOT NULL,      -- content hash of the generator measured
        model_path TEXT NOT NULL,
        model_name TEXT NOT NULL,
        extractor TEXT NOT NULL,       -- the feature space: 'classifier' | 'discriminator' | 'user'
        extractor_name TEXT NOT NULL,
        extractor_hash TEXT NOT NULL,  -- content hash of the extractor's weights (numbers compare only within one)
        real_path TEXT NOT NULL,       -- the folder of real images
        real_hash TEXT NOT NULL,       -- the loader's content hash of its usable images
        real_count INTEGER NOT NULL,
        fake_count INTEGER NOT NULL,
        class_index INTEGER,           -- NULL: all classes
        settings TEXT NOT NULL,        -- JSON: truncations, seed, k, subsets
        result TEXT NOT NULL,          -- JSON: the numbers
        created_at TEXT NOT NULL
      );
      CREATE INDEX generator_metrics_model ON generator_metrics(model_hash, id);
      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,           -- JSON
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'named directions in z per model, with the range of G blocks they edit',
    sql: `
      CREATE TABLE directions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        model_hash TEXT NOT NULL,      -- content hash of the model whose z the direction lives in
        name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('random', 'pca')),  -- where it was found
        vector BLOB NOT NULL,          -- float32 little-endian, [zDim]
        first_chunk INTEGER NOT NULL,  -- the hierarchical-z chunks it edits, inclusive (0: G's linear layer)
        last_chunk INTEGER NOT NULL CHECK (last_chunk >= first_chunk),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX directions_model ON directions(model_hash, id);
    `,
  },
]

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version

export function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number
}

/** Applies the migrations above the database's version, each in its own IMMEDIATE transaction (so a second
 *  process opening the same file waits, then finds the work done). Returns the versions applied. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const applied: number[] = []
  for (const migration of migrations) {
    const apply = db.transaction(() => {
      if (userVersion(db) >= migration.version) return false
      db.exec(migration.sql)
      db.pragma(`user_version = ${Math.trunc(migration.version)}`)
      return true
    })
    if (apply.immediate()) applied.push(migration.version)
  }
  return applied
}
