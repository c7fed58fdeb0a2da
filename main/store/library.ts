// The library: one SQLite file holding favourites, sessions, recently used models and fine-tuning runs. Synchronous
// by design: it belongs to the main process, and each call is a short transaction. Every failure is a LibraryError.
// What the person saves is checkpointed once it commits, so that it is in the database file, not only in the -wal
// (see checkpoint in open.ts).
import path from 'node:path'
import type Database from 'better-sqlite3'
import { LibraryError, toLibraryError } from './errors.ts'
import { exportFavourites, importFavourites, type ImportResult } from './exchange.ts'
import { Favourites, type FavouriteFilter, type FavouritePatch, type NewFavourite, type StoredFavourite } from './favourites.ts'
import { quarantine, replacedNotice, type OpenNotice } from './kept.ts'
import { Directions, type DirectionPatch, type NewDirection, type StoredDirection } from './directions.ts'
import { GeneratorMetricsStore, type NewGeneratorMetrics, type StoredGeneratorMetrics } from './metrics.ts'
import { userVersion } from './migrations.ts'
import { RecentModels, type StoredRecentModel, type UsedModel } from './models.ts'
import { Runs, type NewRun, type RunPatch, type StoredRun } from './runs.ts'
import { checkpoint, openDatabase, type OpenOptions } from './open.ts'
import { Sessions, type NewHistoryEntry, type StoredSession, type StoredSessionSummary } from './sessions.ts'
import { Settings, type SettingsRead, type StoredSettings } from './settings.ts'

export class Library {
  private readonly favourites: Favourites
  private readonly sessions: Sessions
  private readonly models: RecentModels
  private readonly runs: Runs
  private readonly generatorMetrics: GeneratorMetricsStore
  private readonly directions: Directions
  private readonly studioSettings: Settings

  private constructor(
    readonly file: string,
    private readonly db: Database.Database,
    options: OpenOptions,
    /** what opening found that the person must be told (a damaged library or -wal, and where its files were kept);
     *  the shells show these as the studio starts */
    readonly notices: readonly OpenNotice[],
  ) {
    this.favourites = new Favourites(db, file)
    this.sessions = new Sessions(db, file, options.historyLimit)
    this.models = new RecentModels(db)
    this.runs = new Runs(db, file)
    this.generatorMetrics = new GeneratorMetricsStore(db, file)
    this.directions = new Directions(db, file)
    this.studioSettings = new Settings(db, file)
  }

  /** Opens (creating the folder and file if need be) and migrates the library at `file`. A damaged file throws
   *  LibraryError('corrupt') and is left as it was: `Library.quarantine(file)` moves it aside, after which `open`
   *  starts a fresh one. A damaged -wal opens with what SQLite can read of it; `notices` says so. */
  static open(file: string, options: OpenOptions = {}): Library {
    return Library.openWith(path.resolve(file), options, [])
  }

  /** What the studio does as it starts: `open`, but a damaged library is moved aside, byte for byte, and a fresh one
   *  starts in its place; `notices` says where the old one is and how to try to recover it. */
  static openOrStartFresh(file: string, options: OpenOptions = {}): Library {
    const resolved = path.resolve(file)
    try {
      return Library.openWith(resolved, options, [])
    } catch (error) {
      if (!(error instanceof LibraryError) || error.code !== 'corrupt' || options.readonly) throw error
      const kept = quarantine(resolved)
      return Library.openWith(resolved, options, [replacedNotice(resolved, kept, error.detail ?? error.message)])
    }
  }

  /** `notices` gets what opening finds, after those given. */
  private static openWith(file: string, options: OpenOptions, notices: OpenNotice[]): Library {
    return openDatabase(file, options, notices, (db) => new Library(file, db, options, notices))
  }

  /** Renames a damaged library and its -wal/-shm to `<file>.corrupt-<time>`; returns the new path. */
  static quarantine(file: string): string {
    return quarantine(path.resolve(file))
  }

  schemaVersion(): number {
    return this.guard('read the schema version', () => userVersion(this.db))
  }

  close(): void {
    if (this.db.open) this.db.close()
  }

  /** Runs `fn`'s library calls as one transaction: all of their writes, or none. `fn` must be synchronous. */
  transaction<T>(fn: () => T): T {
    return this.saved('write to the library', () => this.db.transaction(fn)())
  }

  // ——— favourites ———

  saveFavourite(f: NewFavourite): StoredFavourite {
    return this.saved('save the favourite', () => this.favourites.save(f))
  }

  getFavourite(id: number): StoredFavourite {
    return this.guard('read the favourite', () => this.favourites.get(id))
  }

  /** Newest first, DEFAULT_PAGE at a time; `total` counts every match. */
  listFavourites(filter?: FavouriteFilter): { items: StoredFavourite[]; total: number } {
    return this.guard('list favourites', () => this.favourites.list(filter))
  }

  updateFavourite(id: number, patch: FavouritePatch): StoredFavourite {
    return this.saved('update the favourite', () => this.favourites.update(id, patch))
  }

  /** Its children stay, with parentId null. */
  deleteFavourite(id: number): boolean {
    return this.saved('delete the favourite', () => this.favourites.delete(id))
  }

  lineage(id: number): { ancestors: StoredFavourite[]; self: StoredFavourite; descendants: StoredFavourite[] } {
    return this.guard('read the lineage', () => this.favourites.lineage(id))
  }

  tags(): { tag: string; count: number }[] {
    return this.guard('count tags', () => this.favourites.tags())
  }

  /** A favourites file (JSON, UTF-8) of the ids given, or of all favourites. */
  exportFavourites(ids?: number[]): Uint8Array {
    return this.guard('export favourites', () => this.db.transaction(() => exportFavourites(this.favourites, ids))())
  }

  importFavourites(bytes: Uint8Array): ImportResult {
    return this.saved('import favourites', () => importFavourites(this.db, this.favourites, bytes))
  }

  // ——— sessions ———

  currentSession(): StoredSession {
    return this.guard('read the session', () => this.sessions.current())
  }

  listSessions(): StoredSessionSummary[] {
    return this.guard('list sessions', () => this.sessions.list())
  }

  openSession(id: number): StoredSession {
    return this.guard('open the session', () => this.sessions.open(id))
  }

  newSession(name?: string): StoredSession {
    return this.saved('start a session', () => this.sessions.create(name))
  }

  push(entry: NewHistoryEntry): StoredSession {
    return this.guard('record the point', () => this.sessions.push(entry))
  }

  undo(): StoredSession {
    return this.guard('undo', () => this.sessions.undo())
  }

  redo(): StoredSession {
    return this.guard('redo', () => this.sessions.redo())
  }

  // ——— recently used models ———

  touchModel(m: UsedModel): void {
    this.guard('record the model', () => this.models.touch(m))
  }

  recentModels(limit?: number): StoredRecentModel[] {
    return this.guard('list recent models', () => this.models.list(limit))
  }

  // ——— fine-tuning runs ———

  /** A new run row; its folder is `dirFor(id)`. */
  createRun(run: NewRun, dirFor: (id: number) => string): StoredRun {
    return this.saved('record the run', () => this.runs.create(run, dirFor))
  }

  getRun(id: number): StoredRun {
    return this.guard('read the run', () => this.runs.get(id))
  }

  /** Newest first. */
  listRuns(): StoredRun[] {
    return this.guard('list runs', () => this.runs.list())
  }

  updateRun(id: number, patch: RunPatch): StoredRun {
    return this.guard('update the run', () => this.runs.update(id, patch))
  }

  deleteRun(id: number): boolean {
    return this.saved('delete the run', () => this.runs.delete(id))
  }

  /** Marks rows left 'running' (by a crash: no worker trains them any more) 'interrupted'; returns their ids. */
  interruptRuns(reason: string): number[] {
    return this.guard('mark interrupted runs', () => this.runs.interruptRunning(reason))
  }

  // ——— named directions ———

  /** A direction in a model's z under the person's name, with the chunks of z (G's blocks) it edits. */
  saveDirection(d: NewDirection): StoredDirection {
    return this.saved('save the direction', () => this.directions.save(d))
  }

  getDirection(id: number): StoredDirection {
    return this.guard('read the direction', () => this.directions.get(id))
  }

  /** A model's directions, oldest first. */
  listDirections(modelHash: string): StoredDirection[] {
    return this.guard('list directions', () => this.directions.list(modelHash))
  }

  updateDirection(id: number, patch: DirectionPatch): StoredDirection {
    return this.saved('update the direction', () => this.directions.update(id, patch))
  }

  deleteDirection(id: number): boolean {
    return this.saved('delete the direction', () => this.directions.delete(id))
  }

  // ——— generator metrics ———

  /** A measurement with its extractor's hash and the sample counts; 'metrics' for one truncation, else 'curve'. */
  saveGeneratorMetrics(m: NewGeneratorMetrics): StoredGeneratorMetrics {
    return this.saved('save the generator metrics', () => this.generatorMetrics.save(m))
  }

  getGeneratorMetrics(id: number): StoredGeneratorMetrics {
    return this.guard('read the generator metrics', () => this.generatorMetrics.get(id))
  }

  /** The measurements of the model with this content hash, newest first. */
  listGeneratorMetrics(modelHash: string): StoredGeneratorMetrics[] {
    return this.guard('list generator metrics', () => this.generatorMetrics.list(modelHash))
  }

  deleteGeneratorMetrics(id: number): boolean {
    return this.saved('delete the generator metrics', () => this.generatorMetrics.delete(id))
  }

  // ——— settings ———

  /** Every setting; a stored value that does not parse reads as its default, with a notice saying so. */
  settings(): SettingsRead {
    return this.guard('read the settings', () => this.studioSettings.read())
  }

  /** Stores the settings given (each checked first) and returns them all. */
  saveSettings(patch: Partial<StoredSettings>): SettingsRead {
    return this.saved('save the settings', () => this.studioSettings.write(patch))
  }

  /** guard, then a checkpoint once the write has committed: for what the person saves (favourites, settings, runs,
   *  measurements), which is in the database file once the call returns. Frequent small writes (each step's history,
   *  the recent-models list, a run's progress) skip it: a checkpoint costs about three more fsyncs
   *  (test/store/checkpoint.bench.ts), and they reach the database file with the next save or a clean close. */
  private saved<T>(action: string, fn: () => T): T {
    const result = this.guard(action, fn)
    checkpoint(this.db)
    return result
  }

  private guard<T>(action: string, fn: () => T): T {
    if (!this.db.open) throw new LibraryError('io', `Could not ${action}: the library ${this.file} is closed.`, this.file)
    try {
      return fn()
    } catch (error) {
      throw toLibraryError(error, this.file, action)
    }
  }
}
