import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HISTORY_LIMIT, Library, LibraryError, SESSION_WINDOW, type StoredPoint, type StoredSession } from '../../main/store/index.ts'
import { bits, floats, oneHot, tempFolder } from './helpers.ts'

const point = (seed: number): StoredPoint => ({ z: floats(16, seed), y: oneHot(10, seed % 10), truncation: 0.5, seed })
const labels = (s: StoredSession) => s.entries.map((e) => e.label)

describe('sessions', () => {
  let folder: ReturnType<typeof tempFolder>
  let file: string
  let library: Library
  beforeEach(() => {
    folder = tempFolder()
    file = join(folder.dir, 'library.db')
    library = Library.open(file)
  })
  afterEach(() => {
    library.close()
    folder.remove()
  })

  const push = (n: number) => library.push({ point: point(n), view: 'explore', label: `p${n}`, modelHash: 'm' })

  it('starts with an empty Session 1 when there is none', () => {
    const session = library.currentSession()
    expect(session).toMatchObject({ name: 'Session 1', entries: [], cursor: -1, canUndo: false, canRedo: false })
    expect(library.currentSession().id).toBe(session.id)
    expect(library.listSessions()).toEqual([
      { id: session.id, name: 'Session 1', createdAt: session.createdAt, updatedAt: session.updatedAt, entries: 0 },
    ])
  })

  it('undo and redo move the cursor within the history and stop at its ends', () => {
    push(0)
    push(1)
    let s = push(2)
    expect(labels(s)).toEqual(['p0', 'p1', 'p2'])
    expect(s).toMatchObject({ cursor: 2, canUndo: true, canRedo: false })
    expect(library.redo()).toMatchObject({ cursor: 2, canRedo: false })
    expect(library.undo()).toMatchObject({ cursor: 1, canUndo: true, canRedo: true })
    expect(library.undo()).toMatchObject({ cursor: 0, canUndo: false, canRedo: true })
    s = library.undo()
    expect(s).toMatchObject({ cursor: 0, canUndo: false, canRedo: true })
    expect(labels(s)).toEqual(['p0', 'p1', 'p2']) // undo moves the cursor; it never deletes
    expect(library.redo()).toMatchObject({ cursor: 1, canUndo: true, canRedo: true })
  })

  it('a push after undo drops the redo tail', () => {
    push(0)
    push(1)
    push(2)
    library.undo()
    library.undo()
    const s = push(3)
    expect(labels(s)).toEqual(['p0', 'p3'])
    expect(s).toMatchObject({ cursor: 1, canUndo: true, canRedo: false })
  })

  it('undo and redo on an empty session stay at −1', () => {
    expect(library.undo()).toMatchObject({ cursor: -1, canUndo: false, canRedo: false })
    expect(library.redo()).toMatchObject({ cursor: -1, canUndo: false, canRedo: false })
  })

  it('restores the session, its points and its cursor after a restart', () => {
    push(0)
    push(1)
    library.push({ point: { z: new Float32Array([-0, 1e-45]), y: oneHot(3, 2), truncation: 1.25 }, view: 'blend', modelHash: 'other' })
    const before = library.undo()
    library.close()

    library = Library.open(file)
    const after = library.currentSession()
    expect(after).toEqual(before)
    expect(after.cursor).toBe(1)
    expect(bits(after.entries[2].point.z)).toEqual(bits(new Float32Array([-0, 1e-45])))
    expect(after.entries[2]).toMatchObject({ view: 'blend', label: '', modelHash: 'other' })
    expect('seed' in after.entries[2].point).toBe(false)
    expect(after.entries[0].point.seed).toBe(0)
  })

  it('new and opened sessions become current, each with its own history', () => {
    push(0)
    const first = library.currentSession()
    const second = library.newSession('Dogs')
    expect(second).toMatchObject({ name: 'Dogs', entries: [], cursor: -1 })
    expect(library.currentSession().id).toBe(second.id)
    push(1)
    push(2)
    expect(library.newSession().name).toBe('Session 3')

    // opened at once, within the same millisecond: the counter, not the clock, decides which is current
    expect(labels(library.openSession(first.id))).toEqual(['p0'])
    expect(library.currentSession().id).toBe(first.id)
    expect(library.listSessions().map((s) => [s.name, s.entries])).toEqual([
      ['Session 1', 1],
      ['Session 3', 0],
      ['Dogs', 2],
    ])
    library.close()
    library = Library.open(file)
    expect(library.currentSession().id).toBe(first.id)
    expect(() => library.openSession(999)).toThrow(expect.objectContaining({ code: 'not-found' }))
  })

  it(`keeps at most ${HISTORY_LIMIT} entries a session, dropping the oldest`, () => {
    library.close()
    library = Library.open(file, { historyLimit: 5 })
    for (let i = 0; i < 7; i++) push(i)
    let s = library.currentSession()
    expect(labels(s)).toEqual(['p2', 'p3', 'p4', 'p5', 'p6'])
    expect(s.cursor).toBe(4)
    library.undo()
    library.undo()
    s = push(7)
    expect(labels(s)).toEqual(['p2', 'p3', 'p4', 'p7'])
    push(8)
    s = push(9)
    expect(labels(s)).toEqual(['p3', 'p4', 'p7', 'p8', 'p9'])
    expect(s).toMatchObject({ cursor: 4, canUndo: true, canRedo: false })
  })

  it(`hands out a window of ${SESSION_WINDOW} entries each side of the cursor, not the whole history`, () => {
    let s = push(0)
    for (let i = 1; i < 120; i++) s = push(i)
    expect(s).toMatchObject({ total: 120, cursor: 119, offset: 119 - SESSION_WINDOW })
    expect(s.entries).toHaveLength(SESSION_WINDOW + 1)
    expect(s.entries[s.cursor - s.offset].label).toBe('p119')
    for (let i = 0; i < 60; i++) s = library.undo()
    expect(s).toMatchObject({ total: 120, cursor: 59, offset: 59 - SESSION_WINDOW, canUndo: true, canRedo: true })
    expect(s.entries).toHaveLength(2 * SESSION_WINDOW + 1)
    expect(s.entries[s.cursor - s.offset].label).toBe('p59')
  })

  it('refuses points it must not store', () => {
    const bad = [
      { point: { ...point(1), z: new Float32Array([Number.NaN]) }, view: 'explore', modelHash: 'm' },
      { point: { ...point(1), truncation: 0 }, view: 'explore', modelHash: 'm' },
      { point: point(1), view: '', modelHash: 'm' },
      { point: point(1), view: 'explore', modelHash: '' },
      { point: null as unknown as StoredPoint, view: 'explore', modelHash: 'm' },
    ]
    for (const entry of bad) {
      expect(() => library.push(entry)).toThrow(LibraryError)
    }
    expect(library.currentSession().entries).toEqual([])
  })
})
