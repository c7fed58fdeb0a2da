import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Library, LibraryError, SCHEMA_VERSION } from '../../main/store/index.ts'
import { MIGRATIONS, migrate } from '../../main/store/migrations.ts'
import { bits, fakePng, floats, newFavourite, tempFolder } from './helpers.ts'
import { refusal } from './expect.ts'

// Schema v1 exactly as it shipped, written out here rather than taken from MIGRATIONS: a later edit to migration 1
// would otherwise change what this test upgrades from.
const V1 = `
  CREATE TABLE favourites (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, notes TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 0 AND 5),
    parent_id INTEGER REFERENCES favourites(id) ON DELETE SET NULL,
    model_hash TEXT NOT NULL, model_name TEXT NOT NULL, engine_version TEXT NOT NULL,
    semantics TEXT NOT NULL CHECK (semantics IN ('paper', 'released')),
    z BLOB NOT NULL, y BLOB NOT NULL, truncation REAL NOT NULL, seed INTEGER, thumbnail BLOB NOT NULL,
    search TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
  CREATE INDEX favourites_created ON favourites(created_at, id);
  CREATE INDEX favourites_parent ON favourites(parent_id);
  CREATE INDEX favourites_model ON favourites(model_hash);
  CREATE TABLE favourite_tags (
    favourite_id INTEGER NOT NULL REFERENCES favourites(id) ON DELETE CASCADE,
    tag TEXT NOT NULL, tag_key TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (favourite_id, tag_key));
  CREATE INDEX favourite_tags_key ON favourite_tags(tag_key);
  CREATE TABLE recent_models (
    path TEXT PRIMARY KEY, name TEXT NOT NULL, hash TEXT NOT NULL, arch TEXT NOT NULL, resolution INTEGER NOT NULL,
    num_classes INTEGER NOT NULL, last_opened TEXT NOT NULL, touched INTEGER NOT NULL);
  PRAGMA user_version = 1;
`

const tables = (file: string): string[] => {
  const db = new Database(file, { readonly: true })
  try {
    return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as {
      name: string
    }[]).map((r) => r.name)
  } finally {
    db.close()
  }
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex')


describe('library migrations', () => {
  let folder: ReturnType<typeof tempFolder>
  beforeEach(() => (folder = tempFolder()))
  afterEach(() => folder.remove())

  it('creates the current schema from nothing, folder included, in WAL mode', () => {
    const file = join(folder.dir, 'nested', 'deeper', 'library.db')
    const library = Library.open(file)
    expect(library.file).toBe(file)
    expect(library.schemaVersion()).toBe(SCHEMA_VERSION)
    library.close()
    expect(tables(file)).toEqual(['directions', 'favourite_tags', 'favourites', 'generator_metrics', 'history_entries', 'recent_models', 'runs', 'sessions', 'settings'])
    const db = new Database(file)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    db.close()
    // reopening a current library changes nothing and makes no backup
    Library.open(file).close()
    expect(readdirSync(join(folder.dir, 'nested', 'deeper')).filter((f) => f.includes('before-v'))).toEqual([])
  })

  it('upgrades a hand-made v1 library to the current version, keeping its data and a backup of v1', () => {
    const file = join(folder.dir, 'library.db')
    const z = floats(128, 7)
    const y = floats(1000, 8)
    const thumbnail = fakePng(100, 3)
    const db = new Database(file)
    db.exec(V1)
    db.prepare(
      `INSERT INTO favourites (name, notes, rating, parent_id, model_hash, model_name, engine_version, semantics, z, y,
         truncation, seed, thumbnail, search, created_at, updated_at)
       VALUES ('Old dog', 'from v1', 4, NULL, 'h1', 'BigGAN', '0.9', 'paper', ?, ?, 0.75, 42, ?, 'old dog\nfrom v1\ndogs',
         '2025-01-02T03:04:05.006Z', '2025-01-02T03:04:05.006Z')`,
    ).run(Buffer.from(z.buffer), Buffer.from(y.buffer), Buffer.from(thumbnail))
    db.prepare(`INSERT INTO favourite_tags VALUES (1, 'Dogs', 'dogs', 0)`).run()
    db.prepare(`INSERT INTO recent_models VALUES ('/models/a', 'A', 'h1', 'biggan', 128, 1000, '2025-01-02T03:04:05.006Z', 1)`).run()
    db.close()

    const library = Library.open(file)
    expect(library.schemaVersion()).toBe(SCHEMA_VERSION)
    const old = library.getFavourite(1)
    expect(old).toMatchObject({ name: 'Old dog', notes: 'from v1', rating: 4, tags: ['Dogs'], seed: 42, semantics: 'paper' })
    expect(bits(old.z)).toEqual(bits(z))
    expect(bits(old.y)).toEqual(bits(y))
    expect(old.thumbnail).toEqual(thumbnail)
    expect(library.listFavourites({ query: 'DOG' }).total).toBe(1)
    expect(library.recentModels()).toEqual([
      { path: '/models/a', name: 'A', hash: 'h1', arch: 'biggan', resolution: 128, numClasses: 1000, lastOpened: '2025-01-02T03:04:05.006Z' },
    ])
    // what v2 added works
    expect(library.currentSession().name).toBe('Session 1')
    library.close()

    const backups = readdirSync(folder.dir).filter((f) => f.startsWith(`library.db.before-v${SCHEMA_VERSION}-`))
    expect(backups).toHaveLength(1)
    const backup = new Database(join(folder.dir, backups[0]), { readonly: true })
    expect(backup.pragma('user_version', { simple: true })).toBe(1)
    expect(backup.prepare('SELECT name FROM favourites').all()).toEqual([{ name: 'Old dog' }])
    backup.close()
  })

  it('refuses a library from a newer version of the app and leaves its bytes untouched', () => {
    const file = join(folder.dir, 'library.db')
    const db = new Database(file)
    db.exec(`CREATE TABLE future (x); PRAGMA user_version = ${SCHEMA_VERSION + 1}`)
    db.close()
    const before = sha(file)

    const error = refusal(() => Library.open(file))
    expect(error.code).toBe('newer-schema')
    expect(error.message).toContain(file)
    expect(error.message).toMatch(/newer version/)
    expect(error.message).toMatch(/update the app/)
    expect(sha(file)).toBe(before)
    expect(existsSync(`${file}-wal`)).toBe(false)
  })

  it('refuses a SQLite database that is not a library, without touching it', () => {
    const file = join(folder.dir, 'other.db')
    const db = new Database(file)
    db.exec(`CREATE TABLE customers (name TEXT); INSERT INTO customers VALUES ('x')`)
    db.close()
    const before = sha(file)
    const error = refusal(() => Library.open(file))
    expect(error.code).toBe('bad-file')
    expect(error.message).toContain('not a BigGAN Studio library')
    expect(sha(file)).toBe(before)
  })

  it('applies each migration in its own transaction: a failing one leaves the previous version whole', () => {
    const db = new Database(join(folder.dir, 'library.db'))
    const failing = [MIGRATIONS[0], { version: 2, name: 'broken', sql: 'CREATE TABLE half (x); CREATE TABLE broken (' }]
    expect(() => migrate(db, failing)).toThrow()
    expect(db.pragma('user_version', { simple: true })).toBe(1)
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'half'`).all()).toEqual([])
    // and the real migrations then finish the job
    expect(migrate(db)).toEqual(MIGRATIONS.slice(1).map((m) => m.version))
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    db.close()
  })

  it('opens read-only without writing, and refuses to migrate or write that way', () => {
    const file = join(folder.dir, 'library.db')
    const writable = Library.open(file)
    writable.saveFavourite(newFavourite())
    writable.close()

    const reader = Library.open(file, { readonly: true })
    expect(reader.listFavourites().total).toBe(1)
    expect(refusal(() => reader.saveFavourite(newFavourite({}, 2))).code).toBe('read-only')
    reader.close()

    const v1 = join(folder.dir, 'v1.db')
    const db = new Database(v1)
    db.exec(V1)
    db.close()
    expect(refusal(() => Library.open(v1, { readonly: true })).code).toBe('read-only')
    expect(refusal(() => Library.open(join(folder.dir, 'missing.db'), { readonly: true })).code).toBe('not-found')
  })
})
