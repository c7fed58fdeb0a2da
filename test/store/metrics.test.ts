import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import type { NewGeneratorMetrics } from '../../main/store/index.ts'
import { freshLibrary, refusal } from './expect.ts'

function measurement(overrides: Partial<NewGeneratorMetrics> = {}): NewGeneratorMetrics {
  const point = (truncation: number | null, fd: number) => ({
    truncation,
    fd,
    kid: { mean: 0.0123, std: 0.0011, subsets: 100, subsetSize: 50 },
    precision: 0.75,
    recall: 0.5,
    density: 1.25,
    coverage: 0.625,
  })
  return {
    model: { hash: 'model-a', path: '/models/a', name: 'tiny' },
    extractor: { kind: 'classifier', name: 'fashion-mnist-classifier', hash: 'e'.repeat(64), dims: 128 },
    real: { path: '/data/real', hash: 'r'.repeat(64), count: 50 },
    fakeCount: 50,
    class: null,
    settings: { truncations: [null, 0.5], seed: 3, realLimit: 50, kidSubsets: 100, k: { precisionRecall: 3, densityCoverage: 5 } },
    points: [point(null, 12.5), point(0.5, 20.25)],
    note: 'not comparable with published FID figures',
    savedTo: '/models/a/metrics/diversity-fidelity.json',
    saveNote: null,
    warnings: ['1 file failed'],
    ...overrides,
  }
}

describe('generator metrics in the library', () => {
  const fresh = freshLibrary()

  it('stores a curve with its extractor hash and sample counts, and reads it back after a restart', () => {
    const input = measurement()
    const saved = fresh.library.saveGeneratorMetrics(input)
    expect(saved).toEqual({ ...input, id: saved.id, kind: 'curve', createdAt: saved.createdAt })
    expect(saved.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    fresh.reopen()
    expect(fresh.library.getGeneratorMetrics(saved.id)).toEqual(saved)
  })

  it("calls one truncation's numbers 'metrics' and keeps the class measured", () => {
    const one = fresh.library.saveGeneratorMetrics(measurement({ class: 2, points: measurement().points.slice(0, 1) }))
    expect(one.kind).toBe('metrics')
    expect(one.class).toBe(2)
  })

  it("lists one model's measurements newest first, and deletes one", () => {
    const first = fresh.library.saveGeneratorMetrics(measurement())
    fresh.library.saveGeneratorMetrics(measurement({ model: { hash: 'model-b', path: '/models/b', name: 'other' } }))
    const third = fresh.library.saveGeneratorMetrics(measurement({ fakeCount: 100 }))
    expect(fresh.library.listGeneratorMetrics('model-a').map((m) => m.id)).toEqual([third.id, first.id])
    expect(fresh.library.listGeneratorMetrics('model-c')).toEqual([])
    expect(fresh.library.deleteGeneratorMetrics(first.id)).toBe(true)
    expect(fresh.library.deleteGeneratorMetrics(first.id)).toBe(false)
    expect(fresh.library.listGeneratorMetrics('model-a').map((m) => m.id)).toEqual([third.id])
    expect(refusal(() => fresh.library.getGeneratorMetrics(first.id)).code).toBe('not-found')
  })

  it('refuses a measurement without provenance or with a number JSON cannot keep, naming the field, and stores nothing', () => {
    const cases: [Partial<NewGeneratorMetrics>, RegExp][] = [
      [{ extractor: { ...measurement().extractor, hash: '' } }, /extractor\.hash/],
      [{ extractor: { ...measurement().extractor, kind: 'inception' as 'user' } }, /extractor\.kind/],
      [{ real: { ...measurement().real, count: 0 } }, /real\.count/],
      [{ fakeCount: 2.5 }, /fakeCount/],
      [{ points: [] }, /points/],
      [{ points: [{ ...measurement().points[0], fd: Number.NaN }] }, /points\[0\]\.fd/],
      [{ class: -1 }, /class/],
    ]
    for (const [overrides, field] of cases) {
      const err = refusal(() => fresh.library.saveGeneratorMetrics(measurement(overrides)))
      expect(err.code).toBe('invalid')
      expect(err.message).toMatch(field)
    }
    expect(fresh.library.listGeneratorMetrics('model-a')).toEqual([])
  })

  it('says which measurement is damaged when its stored JSON is not what the studio wrote', () => {
    const saved = fresh.library.saveGeneratorMetrics(measurement())
    fresh.library.close()
    const db = new Database(fresh.library.file)
    db.prepare('UPDATE generator_metrics SET result = ? WHERE id = ?').run('{not json', saved.id)
    db.close()
    const library = fresh.reopen()
    const err = refusal(() => library.listGeneratorMetrics('model-a'))
    expect(err.code).toBe('corrupt')
    expect(err.message).toMatch(new RegExp(`generator metrics ${saved.id} .*result`))
  })
})
