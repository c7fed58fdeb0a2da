// The fine-tune view's charts as numbers: series taken out of metrics records, min–max downsampling so that
// thousands of steps draw as a few hundred points, linear scales, round tick values and SVG paths. No DOM here.
import type { MetricsRecord } from '../../preload/contract/index.ts'

/** One point of a series; y null is a gap (a non-finite value was logged, or the record lacks it). */
export interface XY {
  x: number
  y: number | null
}

export interface Series {
  id: string
  label: string
  color: string
  points: XY[]
  dashed?: boolean
}

/** The chart palette: distinguishable on the dark theme, in the order series take them. */
export const PALETTE = ['#7aa7ff', '#ef6f6c', '#6cc38f', '#e3b45b', '#c08cf0', '#5fd0d0', '#f08cc0', '#a3a86b', '#9a9ea6']

export function colorAt(i: number): string {
  return PALETTE[i % PALETTE.length]
}

/** The points of a metric over steps: records without the field are left out, null values become gaps. */
export function seriesOf(records: readonly MetricsRecord[], pick: (r: MetricsRecord) => number | null | undefined): XY[] {
  const out: XY[] = []
  for (const r of records) {
    const y = pick(r)
    if (y === undefined) continue
    out.push({ x: r.step, y: y !== null && Number.isFinite(y) ? y : null })
  }
  return out
}

/**
 * At most ~2·buckets points that draw like the whole series: the x range is cut into `buckets` equal slices and each
 * keeps its lowest and highest point (in step order), so spikes survive. A slice holding only gaps keeps one gap.
 * Short series come back as they are.
 */
export function downsample(points: readonly XY[], buckets: number): XY[] {
  const n = points.length
  if (buckets < 1 || n <= 2 * buckets) return points.slice()
  const x0 = points[0].x
  const span = points[n - 1].x - x0
  if (!(span > 0)) return [points[0], points[n - 1]]
  const out: XY[] = []
  let i = 0
  for (let b = 0; b < buckets && i < n; b++) {
    const end = b === buckets - 1 ? Infinity : x0 + (span * (b + 1)) / buckets
    let lo: XY | null = null
    let hi: XY | null = null
    let loAt = -1
    let hiAt = -1
    let gap = false
    for (; i < n && points[i].x < end; i++) {
      const p = points[i]
      if (p.y === null) {
        gap = true
        continue
      }
      if (lo === null || p.y < (lo.y as number)) {
        lo = p
        loAt = i
      }
      if (hi === null || p.y > (hi.y as number)) {
        hi = p
        hiAt = i
      }
    }
    if (lo === null || hi === null) {
      if (gap) out.push({ x: x0 + (span * (b + 0.5)) / buckets, y: null })
      continue
    }
    if (lo === hi) out.push(lo)
    else if (loAt < hiAt) out.push(lo, hi)
    else out.push(hi, lo)
  }
  return out
}

/** The smallest and largest finite y of the series (null when they hold none). */
export function yExtent(series: readonly { points: readonly XY[] }[]): [number, number] | null {
  let lo = Infinity
  let hi = -Infinity
  for (const s of series) {
    for (const p of s.points) {
      if (p.y === null) continue
      if (p.y < lo) lo = p.y
      if (p.y > hi) hi = p.y
    }
  }
  return lo <= hi ? [lo, hi] : null
}

/** The first and last x of the series (null when they are empty). */
export function xExtent(series: readonly { points: readonly XY[] }[]): [number, number] | null {
  let lo = Infinity
  let hi = -Infinity
  for (const s of series) {
    if (s.points.length === 0) continue
    lo = Math.min(lo, s.points[0].x)
    hi = Math.max(hi, s.points[s.points.length - 1].x)
  }
  return lo <= hi ? [lo, hi] : null
}

/** Round tick values within [lo, hi]: steps of 1, 2 or 5 × 10ⁿ (at least `minStep`: 1 for steps), about `count`
 *  of them. */
export function niceTicks(lo: number, hi: number, count = 5, minStep = 0): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return []
  if (hi < lo) [lo, hi] = [hi, lo]
  if (hi === lo) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1
    lo -= pad
    hi += pad
  }
  const raw = (hi - lo) / Math.max(1, count)
  const magnitude = 10 ** Math.floor(Math.log10(raw))
  // the 1-2-5 step nearest to the raw one (on a log scale)
  const error = raw / magnitude
  const step = Math.max(minStep, magnitude * (error >= Math.sqrt(50) ? 10 : error >= Math.sqrt(10) ? 5 : error >= Math.SQRT2 ? 2 : 1))
  const first = Math.ceil(lo / step - 1e-9) * step
  const ticks: number[] = []
  for (let v = first; v <= hi + step * 1e-9; v += step) ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)))
  return ticks
}

/** [lo, hi] widened to the ticks around it, so that lines never touch the frame (and a flat line sits mid-chart). */
export function niceDomain(lo: number, hi: number, count = 5): [number, number] {
  const ticks = niceTicks(lo, hi, count)
  if (ticks.length === 0) return [0, 1]
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1
  const a = ticks[0] > lo ? ticks[0] - step : ticks[0]
  const b = ticks[ticks.length - 1] < hi ? ticks[ticks.length - 1] + step : ticks[ticks.length - 1]
  return a < b ? [a, b] : [a - 1, b + 1]
}

/** The map from domain [d0, d1] onto range [r0, r1] (a zero-width domain maps to the range's middle). */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): (v: number) => number {
  const [d0, d1] = domain
  const [r0, r1] = range
  if (d1 === d0) return () => (r0 + r1) / 2
  const k = (r1 - r0) / (d1 - d0)
  return (v) => r0 + (v - d0) * k
}

/** An SVG path through the points; a gap lifts the pen. */
export function linePath(points: readonly XY[], sx: (v: number) => number, sy: (v: number) => number): string {
  let d = ''
  let pen = false
  for (const p of points) {
    if (p.y === null) {
      pen = false
      continue
    }
    d += `${pen ? 'L' : 'M'}${sx(p.x).toFixed(1)} ${sy(p.y).toFixed(1)}`
    pen = true
  }
  return d
}

/** The index of the point whose x is nearest to x (points in x order), or −1 for none. */
export function nearestIndex(points: readonly XY[], x: number): number {
  if (points.length === 0) return -1
  let lo = 0
  let hi = points.length - 1
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1
    if (points[mid].x <= x) lo = mid
    else hi = mid
  }
  return Math.abs(points[lo].x - x) <= Math.abs(points[hi].x - x) ? lo : hi
}

/** A value as a label or readout shows it, to `digits` significant digits: short, and readable for learning rates
 *  and step counts alike. */
export function formatValue(v: number | null, digits = 3): string {
  if (v === null || !Number.isFinite(v)) return '–'
  if (v === 0) return '0'
  const a = Math.abs(v)
  if (a >= 1e4) return `${Number((v / 1000).toPrecision(digits))}k`
  if (a >= 10 ** digits) return String(Math.round(v))
  if (a >= 0.01) return String(Number(v.toPrecision(digits)))
  return v.toExponential(digits - 2).replace('e-', 'e−')
}

/** A tick label with as many decimals as the tick step needs (σ0 ticks 1.002 apart must not all read "1"). */
export function formatTick(v: number, step: number): string {
  if (v === 0) return '0'
  if (!(step > 0) || Math.abs(v) >= 1e4 || step < 1e-4) return formatValue(v)
  const decimals = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)))
  return v.toFixed(decimals).replace('-', '−')
}

// ——— spectra (σ0 σ1 σ2 of each spectrally normalised layer) ———

export interface SpectraLayer {
  /** `${net}:${layer}` */
  key: string
  net: 'G' | 'D'
  layer: string
  /** σ0 in the newest record that logged the layer */
  sigma0: number | null
}

export const layerKey = (net: 'G' | 'D', layer: string): string => `${net}:${layer}`

/** Every layer the records logged spectra for, G's first, each in the order it was logged, with its newest σ0. */
export function spectraLayers(records: readonly MetricsRecord[]): SpectraLayer[] {
  const found = new Map<string, SpectraLayer>()
  for (const r of records) {
    for (const s of r.spectra ?? []) {
      const key = layerKey(s.net, s.layer)
      const sigma0 = s.sigma[0] ?? null
      const known = found.get(key)
      if (known) known.sigma0 = sigma0
      else found.set(key, { key, net: s.net, layer: s.layer, sigma0 })
    }
  }
  const all = [...found.values()]
  return [...all.filter((l) => l.net === 'G'), ...all.filter((l) => l.net === 'D')]
}

/** The layer the spectra chart opens on: G's layer with the largest newest σ0 (any layer where G logged none). */
export function defaultSpectraLayer(layers: readonly SpectraLayer[]): string | null {
  let best: SpectraLayer | null = null
  for (const l of layers) {
    if (l.net !== 'G' || l.sigma0 === null) continue
    if (!best || l.sigma0 > (best.sigma0 as number)) best = l
  }
  return best?.key ?? layers[0]?.key ?? null
}

/** σ0, σ1 and σ2 of one layer over steps (fewer where the layer logged fewer). */
export function sigmaSeries(records: readonly MetricsRecord[], key: string): Series[] {
  const parts: XY[][] = [[], [], []]
  for (const r of records) {
    const s = r.spectra?.find((e) => layerKey(e.net, e.layer) === key)
    if (!s) continue
    for (let k = 0; k < 3; k++) {
      if (k >= s.sigma.length) continue
      const y = s.sigma[k]
      parts[k].push({ x: r.step, y: y !== null && Number.isFinite(y) ? y : null })
    }
  }
  return parts
    .map((points, k) => ({ id: `sigma${k}`, label: `σ${k}`, color: colorAt(k), points, dashed: k > 0 }))
    .filter((s) => s.points.length > 0)
}

/** σ0 of every layer of one network over steps: the paper's figure 3. */
export function sigma0Series(records: readonly MetricsRecord[], net: 'G' | 'D'): Series[] {
  const layers = spectraLayers(records).filter((l) => l.net === net)
  const index = new Map(layers.map((l, i) => [l.key, i]))
  const parts: XY[][] = layers.map(() => [])
  for (const r of records) {
    for (const s of r.spectra ?? []) {
      const i = index.get(layerKey(s.net, s.layer))
      if (i === undefined) continue
      const y = s.sigma[0]
      parts[i].push({ x: r.step, y: y !== null && y !== undefined && Number.isFinite(y) ? y : null })
    }
  }
  return layers.map((l, i) => ({ id: l.key, label: l.layer, color: colorAt(i), points: parts[i] }))
}
