// Reading a session's history window: the back end sends the entries around the cursor, entries[0] being entry
// `offset` of the whole history.
import type { HistoryEntry, SessionState } from '../../preload/contract/index.ts'

type Window = Pick<SessionState, 'entries' | 'offset' | 'cursor'>

/** The entry at the cursor, or null (empty session, or the cursor outside the window). */
export function cursorEntry(s: Window): HistoryEntry | null {
  if (s.cursor < 0) return null
  return s.entries[s.cursor - s.offset] ?? null
}

/** The newest entry at or before the cursor that passes `accept` (e.g. made with the open model), or null. */
export function newestBefore(s: Window, accept: (e: HistoryEntry) => boolean): HistoryEntry | null {
  for (let i = Math.min(s.cursor - s.offset, s.entries.length - 1); i >= 0; i--) {
    if (accept(s.entries[i])) return s.entries[i]
  }
  return null
}

/** "step 3 of 10", or "empty". */
export function stepLabel(s: Pick<SessionState, 'cursor' | 'total'>): string {
  return s.cursor < 0 ? 'empty' : `step ${s.cursor + 1} of ${s.total}`
}
