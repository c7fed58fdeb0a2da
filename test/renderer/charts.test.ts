// The fine-tune charts' numbers: series out of metrics records, downsampling that keeps spikes and gaps, ticks,
// scales and paths, and the singular-value series per layer.
import { describe, expect, it } from 'vitest'
import type { MetricsRecord } from '../../preload/contract/index.ts'
import {
  defaultSpectraLayer,
  downsample,
  formatTick,
  formatValue,
  linearScale,
  linePath,
  nearestIndex,
  niceDomain,
  niceTicks,
  seriesOf,
  sigma0Series,
  sigmaSeries,
  spectraLayers,
  xExtent,
  yExtent,
  type XY,
} from '../../renderer/lib/charts.ts'

const record = (step: number, extra: Partial<MetricsRecord> = {}): MetricsRecord => ({
  step,
  dLossReal: 0.5,
  dLossFake: 0.4,
  dLoss: 0.9,
  gLoss: 1.2,
  ...extra,
})

const spectra = (g0: number, g1: number, d0: number): MetricsRecord['spectra'] => [
  { net: 'G', layer: 'linear', sigma: [g0, g0 / 2, g0 / 4], frobenius: g0 * 2 },
  { net: 'G', layer: 'blocks.0.conv1', sigma: [g1, g1 / 2, g1 / 4], frobenius: g1 * 2 },
  { net: 'D', layer: 'blocks.0.conv1', sigma: [d0, d0 / 2, null], frobenius: d0 * 2 },
]

describe('series from metrics records', () => {
  it('leaves out records without the field and turns null and non-finite values into gaps', () => {
    const records = [record(1, { rt: 0.2 }), record(2), record(3, { rt: null }), record(4, { rt: Number.NaN }), record(5, { rt: 0.6 })]
    expect(seriesOf(records, (r) => r.rt)).toEqual([
      { x: 1, y: 0.2 },
      { x: 3, y: null },
      { x: 4, y: null },
      { x: 5, y: 0.6 },
    ])
  })
})

describe('downsampling for drawing', () => {
  const wave = (n: number): XY[] => Array.from({ length: n }, (_, i) => ({ x: i, y: Math.sin(i / 50) }))

  it('returns short series unchanged', () => {
    const points = wave(100)
    expect(downsample(points, 60)).toEqual(points)
  })

  it('draws 10 000 steps as at most two points per bucket, in step order', () => {
    const out = downsample(wave(10_000), 200)
    expect(out.length).toBeLessThanOrEqual(400)
    expect(out.length).toBeGreaterThan(200)
    for (let i = 1; i < out.length; i++) expect(out[i].x).toBeGreaterThanOrEqual(out[i - 1].x)
  })

  it('keeps a one-step spike and the extremes of the whole series', () => {
    const points: XY[] = Array.from({ length: 5000 }, (_, i) => ({ x: i, y: i === 3217 ? 50 : 1 + (i % 7) * 0.01 }))
    const out = downsample(points, 100)
    expect(out.some((p) => p.x === 3217 && p.y === 50)).toBe(true)
    expect(yExtent([{ points: out }])).toEqual(yExtent([{ points }]))
  })

  it('keeps a gap where a whole bucket logged nothing finite', () => {
    const points: XY[] = Array.from({ length: 1000 }, (_, i) => ({ x: i, y: i >= 400 && i < 500 ? null : 1 }))
    const out = downsample(points, 20)
    expect(out.some((p) => p.y === null)).toBe(true)
    expect(linePath(out, (v) => v, (v) => v).match(/M/g)?.length).toBe(2)
  })
})

describe('scales, ticks and paths', () => {
  it('gives round ticks covering the range', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1])
    expect(niceTicks(0, 1000, 4)).toEqual([0, 200, 400, 600, 800, 1000])
    expect(niceTicks(-0.33, 0.71, 4)).toEqual([-0.2, 0, 0.2, 0.4, 0.6])
    const flat = niceTicks(2, 2, 4)
    expect(flat.length).toBeGreaterThan(1)
    expect(flat[0]).toBeLessThanOrEqual(2)
    expect(flat[flat.length - 1]).toBeGreaterThanOrEqual(2)
  })

  it('ticks whole steps only on a step axis', () => {
    expect(niceTicks(1, 3, 8, 1)).toEqual([1, 2, 3])
  })

  it('labels ticks with the decimals their spacing needs', () => {
    const ticks = niceTicks(1.0001, 1.0049, 4)
    const labels = ticks.map((t) => formatTick(t, ticks[1] - ticks[0]))
    expect(new Set(labels).size).toBe(labels.length)
    expect(labels[0]).toBe('1.001')
    expect(formatTick(0.4, 0.2)).toBe('0.4')
    expect(formatTick(-2, 2)).toBe('−2')
    expect(formatTick(600, 200)).toBe('600')
  })

  it('widens a domain to the ticks around the data', () => {
    expect(niceDomain(0.13, 0.87, 4)).toEqual([0, 1])
    const [a, b] = niceDomain(5, 5)
    expect(a).toBeLessThan(5)
    expect(b).toBeGreaterThan(5)
  })

  it('maps a domain onto a range, flipped for SVG y', () => {
    const sy = linearScale([0, 10], [100, 0])
    expect(sy(0)).toBe(100)
    expect(sy(10)).toBe(0)
    expect(sy(2.5)).toBe(75)
    expect(linearScale([3, 3], [0, 50])(3)).toBe(25)
  })

  it('lifts the pen at gaps', () => {
    const d = linePath(
      [
        { x: 0, y: 0 },
        { x: 1, y: 1 },
        { x: 2, y: null },
        { x: 3, y: 3 },
      ],
      (v) => v * 10,
      (v) => v,
    )
    expect(d).toBe('M0.0 0.0L10.0 1.0M30.0 3.0')
  })

  it('finds the nearest step and the extents', () => {
    const points: XY[] = [0, 10, 20, 40].map((x) => ({ x, y: x }))
    expect(nearestIndex(points, 26)).toBe(2)
    expect(nearestIndex(points, 31)).toBe(3)
    expect(nearestIndex(points, -5)).toBe(0)
    expect(nearestIndex([], 3)).toBe(-1)
    expect(xExtent([{ points }, { points: [{ x: 50, y: null }] }])).toEqual([0, 50])
    expect(yExtent([{ points: [{ x: 0, y: null }] }])).toBeNull()
  })

  it('formats values for axes', () => {
    expect(formatValue(0)).toBe('0')
    expect(formatValue(12_500)).toBe('12.5k')
    expect(formatValue(0.5)).toBe('0.5')
    expect(formatValue(0.0002)).toBe('2.0e−4')
    expect(formatValue(1.00234, 5)).toBe('1.0023')
    expect(formatValue(null)).toBe('–')
  })
})

describe('singular values per layer', () => {
  const records = [record(10, { spectra: spectra(1.0, 2.0, 0.9) }), record(15), record(20, { spectra: spectra(3.0, 2.5, 1.1) })]

  it('lists every layer, G first, with its newest σ0', () => {
    expect(spectraLayers(records)).toEqual([
      { key: 'G:linear', net: 'G', layer: 'linear', sigma0: 3.0 },
      { key: 'G:blocks.0.conv1', net: 'G', layer: 'blocks.0.conv1', sigma0: 2.5 },
      { key: 'D:blocks.0.conv1', net: 'D', layer: 'blocks.0.conv1', sigma0: 1.1 },
    ])
  })

  it('opens on the G layer with the largest σ0', () => {
    expect(defaultSpectraLayer(spectraLayers(records))).toBe('G:linear')
    expect(defaultSpectraLayer(spectraLayers([record(1, { spectra: [{ net: 'D', layer: 'x', sigma: [1], frobenius: 1 }] })]))).toBe('D:x')
    expect(defaultSpectraLayer([])).toBeNull()
  })

  it('gives σ0 σ1 σ2 of one layer over the steps that logged them', () => {
    const g = sigmaSeries(records, 'G:blocks.0.conv1')
    expect(g.map((s) => s.label)).toEqual(['σ0', 'σ1', 'σ2'])
    expect(g[0].points).toEqual([
      { x: 10, y: 2.0 },
      { x: 20, y: 2.5 },
    ])
    expect(sigmaSeries(records, 'D:blocks.0.conv1')[2].points.every((p) => p.y === null)).toBe(true)
  })

  it('gives σ0 of every layer of a network (the paper’s figure 3)', () => {
    const g = sigma0Series(records, 'G')
    expect(g.map((s) => s.label)).toEqual(['linear', 'blocks.0.conv1'])
    expect(g[0].points.map((p) => p.y)).toEqual([1.0, 3.0])
    expect(sigma0Series(records, 'D')).toHaveLength(1)
  })
})
