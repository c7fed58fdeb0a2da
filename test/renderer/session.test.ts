// Reading the window of session history the back end sends around the cursor.
import { describe, expect, it } from 'vitest'
import type { HistoryEntry } from '../../preload/contract/index.ts'
import { cursorEntry, newestBefore, stepLabel } from '../../renderer/lib/session.ts'

const entry = (id: number, modelHash = 'm1'): HistoryEntry => ({
  id,
  view: 'explore',
  label: `step ${id}`,
  point: { z: new Float32Array(2), y: new Float32Array(1), truncation: 1 },
  modelHash,
  createdAt: '2026-01-01T00:00:00Z',
})

describe('session history window', () => {
  it('finds the cursor entry inside a window that starts at `offset`', () => {
    const s = { entries: [entry(60), entry(61), entry(62)], offset: 60, cursor: 61 }
    expect(cursorEntry(s)?.id).toBe(61)
    expect(cursorEntry({ ...s, cursor: -1 })).toBeNull()
    expect(cursorEntry({ ...s, cursor: 10 })).toBeNull()
  })

  it('finds the newest entry of a model at or before the cursor, never after it', () => {
    const s = { entries: [entry(0, 'a'), entry(1, 'b'), entry(2, 'b'), entry(3, 'a')], offset: 0, cursor: 2 }
    expect(newestBefore(s, (e) => e.modelHash === 'a')?.id).toBe(0)
    expect(newestBefore(s, (e) => e.modelHash === 'b')?.id).toBe(2)
    expect(newestBefore(s, (e) => e.modelHash === 'c')).toBeNull()
  })

  it('counts steps in the whole history', () => {
    expect(stepLabel({ cursor: 61, total: 200 })).toBe('step 62 of 200')
    expect(stepLabel({ cursor: -1, total: 0 })).toBe('empty')
  })
})
