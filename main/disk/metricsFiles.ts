// Where a model's generator metrics are kept: <modelDir>/metrics/, one JSON file per extractor (its name and the
// first digits of its weights' hash) and class choice, so measuring again with the same judge replaces the earlier
// curve and curves in other feature spaces sit beside it. The curve itself is computed in the engine
// (engine/inspect/generatorMetrics.ts).
import { mkdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { DiversityFidelityCurve } from '../engine/inspect/generatorMetrics.ts'
import type { FeatureExtractor } from '../engine/inspect/extractors.ts'
import { writeJsonAtomic } from './atomic.ts'

export const metricsFolder = 'metrics'

/** The file a curve is saved under in <modelDir>/metrics/: one per extractor (name and weights) and class choice. */
export function metricsFileName(extractor: Pick<FeatureExtractor, 'name' | 'hash'>, classes: number[] | 'all'): string {
  const m = /^(tfjs|classifier):(.*)$/.exec(extractor.name)
  const label = m ? `${m[1]}-${basename(m[2])}` : extractor.name
  const which = classes === 'all' ? 'all' : `class-${classes.join('-')}`
  return `diversity-fidelity_${label.replace(/[^A-Za-z0-9._-]+/g, '_')}-${extractor.hash.slice(0, 8)}_${which}.json`
}

/** Writes the curve to <modelDir>/metrics/<file> atomically; returns the path. */
export async function saveMetrics(modelDir: string, curve: DiversityFidelityCurve, file: string): Promise<string> {
  const dir = join(modelDir, metricsFolder)
  await mkdir(dir, { recursive: true })
  return writeJsonAtomic(join(dir, file), curve, 'write the generator metrics')
}
