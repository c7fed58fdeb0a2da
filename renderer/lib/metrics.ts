// The metrics view's arithmetic, apart from the components: reading the form's extractor (its truncation list is
// lib/truncations.ts'), how every table says what its numbers were measured with, which stored measurements compare
// with which, and the diversity–fidelity chart's curves and axes. No DOM here.
import type { ExtractorSpec, GeneratorMetricsRecord } from '../../preload/contract/index.ts'
import { colorAt, niceDomain, type XY } from './charts.ts'

export type ExtractorChoice = 'classifier' | 'discriminator' | 'folder'

/** The line every table and chart of generator metrics carries. */
export const NOT_INCEPTION =
  'Not Inception FIDs: measured in the named extractor’s feature space, these numbers are not comparable with ' +
  'published FID/KID/precision/recall figures. Compare FD and KID only between measurements with the same extractor ' +
  'hash, the same real folder and the same real and generated counts (FD is biased by sample size).'

/** The form's first extractor: the studio's default for the model (the bundled classifier for a Fashion-MNIST-class
 *  model, else D), or a folder when neither fits. */
export function initialExtractor(defaultKind: 'classifier' | 'discriminator' | null): ExtractorChoice {
  return defaultKind ?? 'folder'
}

/** The contract's extractor from the form; a folder choice without a folder is an error the view shows. */
export function extractorSpec(choice: ExtractorChoice, folder: string): ExtractorSpec {
  if (choice !== 'folder') return choice
  const f = folder.trim()
  if (!f) throw new Error('type the extractor folder (a TensorFlow.js model.json or a studio classifier), or choose another extractor')
  return { folder: f }
}

export const shortHash = (hash: string): string => hash.slice(0, 12)

/** A metric as the tables show it: three decimals. */
export function fixed(v: number, digits = 3): string {
  return v.toFixed(digits).replace('-', '−')
}

/** KID ×10³ as mean ± std over subsets; the mean alone when there was one subset (no spread to show). */
export function kidText(kid: { mean: number; std: number; subsets: number }): string {
  return kid.subsets > 1 ? `${fixed(1000 * kid.mean)} ± ${fixed(1000 * kid.std)}` : fixed(1000 * kid.mean)
}

/** How KID was averaged, for the line under the table. */
export function kidSubsetsText(kid: { subsets: number; subsetSize: number }): string {
  return kid.subsets > 1
    ? `KID over ${kid.subsets} subsets of ${kid.subsetSize}`
    : `KID from both sets whole (${kid.subsetSize} each: no smaller subsets to spread over, so no ±)`
}

/** What a measurement was made with, in one line: extractor and short hash, counts, classes. */
export function provenance(record: GeneratorMetricsRecord, classNames: readonly string[]): string {
  const classes = record.class === null ? 'all classes' : `class ${classNames[record.class] ?? record.class}`
  return (
    `extractor ${record.extractor.name} (${shortHash(record.extractor.hash)}), ${record.extractor.dims}-d · ` +
    `${record.real.count} real images · ${record.fakeCount} generated per truncation · ${classes} · seed ${record.settings.seed}`
  )
}

/** Whether two measurements' FD and KID may be compared: same extractor weights, same reals, same counts, same class. */
export function comparable(a: GeneratorMetricsRecord, b: GeneratorMetricsRecord): boolean {
  return (
    a.extractor.hash === b.extractor.hash &&
    a.real.hash === b.real.hash &&
    a.real.count === b.real.count &&
    a.fakeCount === b.fakeCount &&
    a.class === b.class
  )
}

export interface CurvePoint extends XY {
  y: number
  truncation: number | null
}

export interface Curve {
  id: string
  label: string
  color: string
  /** in the order of the truncations measured */
  points: CurvePoint[]
}

/** The diversity–fidelity curve: fidelity (precision, density) against diversity (recall, coverage), one point per
 *  truncation, joined in the order measured. */
export function fidelityCurves(record: GeneratorMetricsRecord): Curve[] {
  const at = (x: (p: GeneratorMetricsRecord['points'][number]) => number, y: (p: GeneratorMetricsRecord['points'][number]) => number) =>
    record.points.map((p) => ({ x: x(p), y: y(p), truncation: p.truncation }))
  return [
    { id: 'precision-recall', label: 'precision vs recall', color: colorAt(0), points: at((p) => p.recall, (p) => p.precision) },
    { id: 'density-coverage', label: 'density vs coverage', color: colorAt(1), points: at((p) => p.coverage, (p) => p.density) },
  ]
}

/** The chart's axes: diversity on [0, 1]; fidelity from 0 to at least 1 (density may pass 1), widened to round ticks. */
export function fidelityDomain(curves: readonly Curve[]): { x: [number, number]; y: [number, number] } {
  const top = Math.max(1, ...curves.flatMap((c) => c.points.map((p) => p.y)))
  return { x: [0, 1], y: top > 1 ? [0, niceDomain(0, top, 4)[1]] : [0, 1] }
}
