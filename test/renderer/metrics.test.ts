// The metrics view's arithmetic: the form's extractor (its truncation list is pinned in truncations.test.ts), how a
// measurement says what it was measured with, which measurements compare, and the diversity–fidelity chart's curves
// and axes.
import { describe, expect, it } from 'vitest'
import type { GeneratorMetricsRecord } from '../../preload/contract/index.ts'
import {
  comparable, extractorSpec, fidelityCurves, fidelityDomain, initialExtractor, kidSubsetsText, kidText, NOT_INCEPTION, provenance,
} from '../../renderer/lib/metrics.ts'

function record(overrides: Partial<GeneratorMetricsRecord> = {}): GeneratorMetricsRecord {
  const point = (truncation: number | null, precision: number, recall: number, density: number, coverage: number) => ({
    truncation,
    fd: 10,
    kid: { mean: 0.0123456, std: 0.0004, subsets: 100, subsetSize: 50 },
    precision,
    recall,
    density,
    coverage,
  })
  return {
    id: 1,
    kind: 'curve',
    model: { hash: 'm', path: '/m', name: 'tiny' },
    extractor: { kind: 'classifier', name: 'fashion-mnist-classifier', hash: 'abcdef0123456789', dims: 128 },
    real: { path: '/reals', hash: 'r1', count: 500 },
    fakeCount: 500,
    class: null,
    settings: { truncations: [null, 0.5], seed: 7, realLimit: 500, kidSubsets: 100, k: { precisionRecall: 3, densityCoverage: 5 } },
    points: [point(null, 0.6, 0.7, 0.9, 0.8), point(0.5, 0.8, 0.4, 1.35, 0.5)],
    note: 'not comparable',
    savedTo: null,
    saveNote: null,
    warnings: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  }
}

describe('the metrics form', () => {
  it("starts on the studio's default extractor, and on a folder when none fits the model", () => {
    expect(initialExtractor('classifier')).toBe('classifier')
    expect(initialExtractor('discriminator')).toBe('discriminator')
    expect(initialExtractor(null)).toBe('folder')
  })

  it('asks for the folder when a folder extractor has none', () => {
    expect(extractorSpec('discriminator', '')).toBe('discriminator')
    expect(extractorSpec('folder', '  /x/model ')).toEqual({ folder: '/x/model' })
    expect(() => extractorSpec('folder', '  ')).toThrow(/type the extractor folder/)
  })

})

describe('a measurement as the view shows it', () => {
  it('names the extractor with its short hash, the real and generated counts, the classes and the seed', () => {
    expect(provenance(record(), ['a', 'b'])).toBe(
      'extractor fashion-mnist-classifier (abcdef012345), 128-d · 500 real images · 500 generated per truncation · all classes · seed 7',
    )
    expect(provenance(record({ class: 1 }), ['a', 'b'])).toContain('class b')
    expect(kidText(record().points[0].kid)).toBe('12.346 ± 0.400')
    expect(kidText({ mean: 0.0123456, std: 0, subsets: 1 })).toBe('12.346')
    expect(kidSubsetsText({ subsets: 100, subsetSize: 50 })).toBe('KID over 100 subsets of 50')
    expect(kidSubsetsText({ subsets: 1, subsetSize: 500 })).toMatch(/whole[\s\S]*no ±/)
    expect(NOT_INCEPTION).toMatch(/Not Inception FIDs/)
    expect(NOT_INCEPTION).toMatch(/same real and generated counts/)
  })

  it('calls measurements comparable only with the same extractor weights, reals, counts and class', () => {
    const a = record()
    expect(comparable(a, record({ id: 2, settings: { ...a.settings, seed: 9 } }))).toBe(true)
    expect(comparable(a, record({ extractor: { ...a.extractor, hash: 'other' } }))).toBe(false)
    expect(comparable(a, record({ fakeCount: 1000 }))).toBe(false)
    expect(comparable(a, record({ real: { ...a.real, count: 400 } }))).toBe(false)
    expect(comparable(a, record({ real: { ...a.real, hash: 'r2' } }))).toBe(false)
    expect(comparable(a, record({ class: 0 }))).toBe(false)
  })

  it('draws fidelity against diversity per truncation, in the order measured, with room for density above 1', () => {
    const [pr, dc] = fidelityCurves(record())
    expect(pr.points).toEqual([
      { x: 0.7, y: 0.6, truncation: null },
      { x: 0.4, y: 0.8, truncation: 0.5 },
    ])
    expect(dc.points.map((p) => [p.x, p.y])).toEqual([
      [0.8, 0.9],
      [0.5, 1.35],
    ])
    const domain = fidelityDomain([pr, dc])
    expect(domain.x).toEqual([0, 1])
    expect(domain.y[0]).toBe(0)
    expect(domain.y[1]).toBeGreaterThanOrEqual(1.35)
    expect(fidelityDomain([pr]).y).toEqual([0, 1])
  })
})
