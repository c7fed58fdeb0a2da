// The library store: favourites, sessions and recently used models in one SQLite file (better-sqlite3, WAL,
// numbered migrations). Values come back as the contract's types, ready to cross to the renderer.
export { Library } from './library.ts'
export { LibraryError, type LibraryErrorCode } from './errors.ts'
export type { OpenOptions } from './open.ts'
export { DEFAULT_PAGE, type FavouriteFilter, type FavouritePatch, type NewFavourite } from './favourites.ts'
export { HISTORY_LIMIT, SESSION_WINDOW, type NewHistoryEntry } from './sessions.ts'
export type { UsedModel } from './models.ts'
export type { NewRun, RunPatch, StoredRun } from './runs.ts'
export type { NewGeneratorMetrics } from './metrics.ts'
export { DEFAULT_SETTINGS, type SettingsRead } from './settings.ts'
export { FAVOURITES_FORMAT, FAVOURITES_VERSION, MAX_FAVOURITES_PER_FILE, type ImportResult } from './exchange.ts'
export { SCHEMA_VERSION } from './migrations.ts'
