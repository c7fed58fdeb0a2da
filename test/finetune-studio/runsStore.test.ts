// The library's runs table (migration 3): a row per fine-tuning run, its folder named by its id, updates as the run
// goes, and rows a crash left 'running' marked 'interrupted' at the next start.
import { describe, expect, it } from 'vitest'
import { LibraryError, type NewRun } from '../../main/store/index.ts'
import { freshLibrary } from '../store/expect.ts'

const newRun = (name = 'flowers'): NewRun => ({
  name,
  status: 'running',
  method: 'adversarial',
  parent: { hash: 'a'.repeat(64), path: '/models/tiny', name: 'tiny' },
  data: { path: '/images/flowers', contentHash: 'b'.repeat(64) },
  target: JSON.stringify({ kind: 'folder' }),
  settings: JSON.stringify({ hyperparameters: null, bsa: null, settings: { steps: 10 } }),
  steps: 10,
})

describe('the runs table', () => {
  const fresh = freshLibrary()

  it('records a run with its folder named after its id, and follows it through its checkpoints', () => {
    const run = fresh.library.createRun(newRun(), (id) => `/data/runs/${id}-flowers`)
    expect(run).toMatchObject({ id: 1, status: 'running', step: 0, steps: 10, bestStep: null, lastError: null, runDir: '/data/runs/1-flowers' })
    const later = fresh.library.updateRun(run.id, { step: 4, bestStep: 4 })
    expect(later).toMatchObject({ step: 4, bestStep: 4, status: 'running' })
    expect(later.updatedAt >= run.updatedAt).toBe(true)
    fresh.library.updateRun(run.id, { status: 'paused' })
    const second = fresh.library.createRun(newRun('tulips'), (id) => `/data/runs/${id}-tulips`)
    expect(fresh.library.listRuns().map((r) => r.id)).toEqual([second.id, run.id])
    expect(fresh.library.deleteRun(second.id)).toBe(true)
    expect(() => fresh.library.getRun(second.id)).toThrow(LibraryError)
  })

  it("marks rows left 'running' interrupted, and leaves the others alone", () => {
    const left = fresh.library.createRun(newRun(), (id) => `/r/${id}`)
    const paused = fresh.library.createRun(newRun('b'), (id) => `/r/${id}`)
    fresh.library.updateRun(paused.id, { status: 'paused' })
    expect(fresh.library.interruptRuns('the app stopped')).toEqual([left.id])
    expect(fresh.library.getRun(left.id)).toMatchObject({ status: 'interrupted', lastError: 'the app stopped' })
    expect(fresh.library.getRun(paused.id).status).toBe('paused')
  })

  it('refuses a status, method or settings it does not know', () => {
    expect(() => fresh.library.createRun({ ...newRun(), method: 'magic' as NewRun['method'] }, (id) => `/r/${id}`)).toThrow(/method/)
    expect(() => fresh.library.createRun({ ...newRun(), settings: '{not json' }, (id) => `/r/${id}`)).toThrow(/settings/)
    const run = fresh.library.createRun(newRun(), (id) => `/r/${id}`)
    expect(() => fresh.library.updateRun(run.id, { status: 'exploded' as never })).toThrow(/status/)
  })
})
