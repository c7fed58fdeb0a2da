// Class leakage over a run's saved checkpoints: which step-N folders a run (or its checkpoints/ folder) holds, and
// the engine's leakage matrix (engine/inspect/leakage.ts) measured on each, loaded from disk one at a time so that
// only one model is ever in memory. Reads only: a run being trained can be measured.
import { readdir } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { isFile } from '../disk/isFile.ts'
import { loadModel } from '../disk/modelFolder.ts'
import type { FeatureExtractor } from '../engine/inspect/extractors.ts'
import { leakageMatrix, type LeakageOptions, type LeakageReport } from '../engine/inspect/leakage.ts'
import { configFile, readManifest } from '../disk/nativeFormat.ts'
import { runPaths, stepOfName } from './layout.ts'

export interface CheckpointLeakage {
  dir: string
  /** the checkpoint's training step (its manifest's state, else its folder name), null when neither says */
  step: number | null
  contentHash: string | null
  /** leakage per truncation, in options.truncations order */
  leakage: number[]
  report: LeakageReport
}

/** The same matrix over several model folders (a run's checkpoints, oldest first), one model in memory at a time. */
export async function leakageOverCheckpoints(
  dirs: readonly string[], judge: FeatureExtractor | 'discriminator', options: LeakageOptions,
  onCheckpoint?: (result: CheckpointLeakage, index: number) => void,
): Promise<CheckpointLeakage[]> {
  const results: CheckpointLeakage[] = []
  for (const [i, dir] of dirs.entries()) {
    const model = await loadModel(dir)
    try {
      const report = await leakageMatrix(model, judge, options)
      const state = model.manifest?.state as { step?: unknown } | undefined
      const fromName = stepOfName(basename(dir)) ?? null
      const step = typeof state?.step === 'number' ? state.step : fromName
      const result = { dir, step, contentHash: model.manifest?.contentHash ?? null, leakage: report.truncations.map((t) => t.leakage), report }
      results.push(result)
      onCheckpoint?.(result, i)
    } finally {
      model.dispose()
    }
  }
  return results
}

/**
 * Model folders from what the user named: a model folder (config.json) is itself; a run folder or its checkpoints/
 * folder gives its step-N checkpoints, oldest first. Reads only.
 */
export async function checkpointFolders(dir: string): Promise<string[]> {
  if (await isFile(join(dir, configFile))) return [dir]
  for (const root of [join(dir, runPaths.checkpoints), dir]) {
    const names = await readdir(root).catch(() => [] as string[])
    const steps = names
      .map((name) => ({ name, step: stepOfName(name) }))
      .filter((e): e is { name: string; step: number } => e.step !== undefined)
      .sort((a, b) => a.step - b.step)
    const found: string[] = []
    for (const { name } of steps) {
      try {
        await readManifest(join(root, name))
        found.push(join(root, name))
      } catch {
        // incomplete or foreign: skip
      }
    }
    if (found.length > 0) return found
  }
  throw new Error(`${dir} is neither a model folder (config.json) nor a run or checkpoints folder with step-N checkpoints`)
}
