// The library store: favourites, sessions and recently used models in one SQLite file (better-sqlite3, WAL,
// numbered migrations). Values come back as the store's own records (Stored…); the services map them to the
// contract that crosses to the renderer.
export { Library } from './library.ts'
export { LibraryError, type LibraryErrorCode } from './errors.ts'
export type { OpenNotice } from './kept.ts'
export type { OpenOptions } from './open.ts'
export { DEFAULT_PAGE, type FavouriteFilter, type FavouritePatch, type NewFavourite, type StoredFavourite } from './favourites.ts'
export {
  HISTORY_LIMIT,
  SESSION_WINDOW,
  type NewHistoryEntry,
  type StoredHistoryEntry,
  type StoredPoint,
  type StoredSession,
  type StoredSessionSummary,
} from './sessions.ts'
export type { StoredRecentModel, UsedModel } from './models.ts'
export type { NewRun, RunMethod, RunPatch, RunStatus, StoredRun } from './runs.ts'
export type { BlockRange, DirectionKind, DirectionPatch, NewDirection, StoredDirection } from './directions.ts'
export type { ExtractorKind, NewGeneratorMetrics, StoredGeneratorMetrics, StoredMetricsPoint } from './metrics.ts'
export { DEFAULT_SETTINGS, type SettingsRead, type StoredSettings } from './settings.ts'
export { FAVOURITES_FORMAT, FAVOURITES_VERSION, MAX_FAVOURITES_PER_FILE, type ImportResult } from './exchange.ts'
export { SCHEMA_VERSION } from './migrations.ts'
export { STORE_LIMITS } from './limits.ts'
export type { Semantics } from './codec.ts'
