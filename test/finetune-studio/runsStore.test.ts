// The library's runs table (migration 3): a row per fine-tuning run, its folder named by its id, updates as the run
// goes, and rows a crash left 'running' marked 'interrupted' at the next start.
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Library, LibraryError, type NewRun } from '../../main/store/index.ts'
import { tempFolder } from '../store/helpers.ts'

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
  let folder: ReturnType<typeof tempFolder>
  let library: Library
  beforeEach(() => {
    folder = tempFolder()
    library = Library.open(join(folder.dir, 'library.db'))
  })
  afterEach(() => {
    library.close()
    folder.remove()
  })

  it('records a run with its folder named after its id, and follows it through its checkpoints', () => {
    const run = library.createRun(newRun(), (id) => `/data/runs/${id}-flowers`)
    expect(run).toMatchObject({ id: 1, status: 'running', step: 0, steps: 10, bestStep: null, lastError: null, runDir: '/data/runs/1-flowers' })
    const later = library.updateRun(run.id, { step: 4, bestStep: 4 })
    expect(later).toMatchObject({ step: 4, bestStep: 4, status: 'running' })
    expect(later.updatedAt >= run.updatedAt).toBe(true)
    library.updateRun(run.id, { status: 'paused' })
    const second = library.createRun(newRun('tulips'), (id) => `/data/runs/${id}-tulips`)
    expect(library.listRuns().map((r) => r.id)).toEqual([second.id, run.id])
    expect(library.deleteRun(second.id)).toBe(true)
    expect(() => library.getRun(second.id)).toThrow(LibraryError)
  })

  it("marks rows left 'running' interrupted, and leaves the others alone", () => {
    const left = library.createRun(newRun(), (id) => `/r/${id}`)
    const paused = library.createRun(newRun('b'), (id) => `/r/${id}`)
    library.updateRun(paused.id, { status: 'paused' })
    expect(library.interruptRuns('the app stopped')).toEqual([left.id])
    expect(library.getRun(left.id)).toMatchObject({ status: 'interrupted', lastError: 'the app stopped' })
    expect(library.getRun(paused.id).status).toBe('paused')
  })

  it('refuses a status, method or settings it does not know', () => {
    expect(() => library.createRun({ ...newRun(), method: 'magic' as NewRun['method'] }, (id) => `/r/${id}`)).toThrow(/method/)
    expect(() => library.createRun({ ...newRun(), settings: '{not json' }, (id) => `/r/${id}`)).toThrow(/settings/)
    const run = library.createRun(newRun(), (id) => `/r/${id}`)
    expect(() => library.updateRun(run.id, { status: 'exploded' as never })).toThrow(/status/)
  })
})
