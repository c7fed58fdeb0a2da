// Reading a run folder as the studio and the CLI show it: its record, its metrics log (sampled for charts), which
// checkpoints, previews and copying checks it holds, and each of those at a step. Reads only, and raw tensors at
// most (manifests, never weights): the main thread may import it.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readManifest } from '../disk/nativeFormat.ts'
import type { MemorisationResult } from '../engine/train/memorisation.ts'
import { RunError, type RunRecord } from './folder.ts'
import {
  checkpointDir, checkpointsDir, memorisationDir, memorisationFile, metricsFile, previewFile, previewsDir, runFormat,
  runInfoFile, runPaths, stepOfName,
} from './layout.ts'
import { previewLayout } from './preview.ts'
import type { GridLayout } from '../images/pixels.ts'

/** One line of metrics.jsonl as written: the loop's (engine/train/monitor.ts metricsLine) or BSA's (bsa.ts). */
export type MetricsLine = Record<string, unknown> & { step: number }

/** run.json, checked only for being a run's (the kinds check their own settings when they open the folder). */
export async function readRunRecord(dir: string): Promise<RunRecord> {
  let record: RunRecord
  try {
    record = JSON.parse(await readFile(runInfoFile(dir), 'utf8')) as RunRecord
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    throw new RunError('not-a-run', code === 'ENOENT' ? 'no run.json here: this is not a training run folder' : `run.json is unreadable: ${(e as Error).message}`, dir)
  }
  if (record?.format !== runFormat || record.version !== 1) throw new RunError('not-a-run', `run.json is not a version 1 '${runFormat}' file`, runInfoFile(dir))
  return record
}

export interface RunHistory {
  /** metrics lines in step order, sampled to at most maxPoints */
  metrics: MetricsLine[]
  /** lines in the log before sampling */
  metricsTotal: number
  /** oldest first */
  checkpoints: { step: number; best: boolean; latest: boolean }[]
  previews: number[]
  memorisation: number[]
}

/** What a run folder holds. `known` is what the caller knows of best/ and latest/ (a BSA run's models keep no
 *  training step in their state). */
export async function runHistory(runDir: string, maxPoints: number, known: { bestStep: number | null; step: number }): Promise<RunHistory> {
  const text = await readFile(metricsFile(runDir), 'utf8').catch(() => '')
  const all: MetricsLine[] = []
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    try {
      const value = JSON.parse(line) as MetricsLine
      if (typeof value?.step === 'number') all.push(value)
    } catch {
      // a line torn by a crash
    }
  }
  const bestStep = (await isModelFolder(join(runDir, runPaths.best))) ? ((await savedStep(join(runDir, runPaths.best))) ?? known.bestStep) : null
  const latestStep = (await isModelFolder(join(runDir, runPaths.latest))) ? ((await savedStep(join(runDir, runPaths.latest))) ?? known.step) : null
  const steps = new Set(await stepsIn(checkpointsDir(runDir), ''))
  if (bestStep !== null) steps.add(bestStep)
  if (latestStep !== null) steps.add(latestStep)
  return {
    metrics: sampleLines(all, maxPoints),
    metricsTotal: all.length,
    checkpoints: [...steps].sort((a, b) => a - b).map((step) => ({ step, best: step === bestStep, latest: step === latestStep })),
    previews: await stepsIn(previewsDir(runDir), '.png'),
    memorisation: await stepsIn(memorisationDir(runDir), '.json'),
  }
}

/** At most `max` lines in step order: those with spectra or a monitor alert first (at most half the budget, evenly
 *  spaced), the rest evenly spaced, the first and the last always kept. */
export function sampleLines<L extends Record<string, unknown>>(lines: L[], max: number): L[] {
  if (lines.length <= max) return lines
  const evenly = (indices: number[], n: number): number[] => {
    if (indices.length <= n) return indices
    return Array.from({ length: n }, (_, k) => indices[Math.round((k * (indices.length - 1)) / Math.max(1, n - 1))])
  }
  const all = lines.map((_, i) => i)
  const special = all.filter((i) => {
    const l = lines[i]
    return l.spectra || l.action === 'stop' || (Array.isArray(l.warnings) && l.warnings.length > 0)
  })
  const kept = new Set(evenly(special, Math.floor(max / 2)))
  kept.add(0)
  kept.add(lines.length - 1)
  for (const i of evenly(all.filter((i) => !kept.has(i)), max - kept.size)) kept.add(i)
  return [...kept].sort((a, b) => a - b).map((i) => lines[i])
}

/** The model folder of the run's checkpoint at `step`: checkpoints/step-N, else best/ or latest/ where they hold it
 *  (`known`: which steps the caller knows best/ and latest/ to hold); undefined where the run keeps none. */
export async function checkpointAt(runDir: string, step: number, known: { bestStep: number | null; step: number }): Promise<string | undefined> {
  if (await isModelFolder(checkpointDir(runDir, step))) return checkpointDir(runDir, step)
  for (const [name, held] of [[runPaths.best, known.bestStep], [runPaths.latest, known.step]] as const) {
    const dir = join(runDir, name)
    if (held === step && (await isModelFolder(dir))) return dir
  }
  return undefined
}

/** The preview PNG at `step` with where each sample sits in it; undefined where the run has none at that step. */
export async function previewAt(runDir: string, step: number): Promise<{ file: string; png: Uint8Array; layout: GridLayout | undefined } | undefined> {
  const file = previewFile(runDir, step)
  const bytes = await readFile(file).catch(() => undefined)
  if (!bytes) return undefined
  const png = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return { file, png, layout: previewLayout(png) }
}

/** The copying check at `step`, checked field by field; undefined where the run has none at that step. Throws
 *  RunError('not-a-run') for a file this version cannot read. */
export async function memorisationAt(runDir: string, step: number): Promise<MemorisationResult | undefined> {
  const file = memorisationFile(runDir, step)
  const text = await readFile(file, 'utf8').catch(() => undefined)
  return text === undefined ? undefined : parseMemorisation(text, file)
}

function parseMemorisation(text: string, file: string): MemorisationResult {
  const bad = (): never => {
    throw new RunError('not-a-run', 'this is not a memorisation check this version reads', file)
  }
  let value: Record<string, unknown> | undefined
  try {
    value = JSON.parse(text) as Record<string, unknown> | undefined
  } catch {
    value = undefined
  }
  if (!value || typeof value !== 'object') return bad()
  const num = (x: unknown): number => (typeof x === 'number' ? x : bad())
  const summary = (x: unknown) => {
    const o = x as Record<string, unknown> | undefined
    if (!o || typeof o !== 'object') return bad()
    return { copyFraction: num(o.copyFraction), threshold: num(o.threshold), medianSample: num(o.medianSample), medianHeldOut: num(o.medianHeldOut) }
  }
  const neighbours = (x: unknown) =>
    (Array.isArray(x) ? x : bad()).map((n: { relPath?: unknown; distance?: unknown }) => ({
      relPath: typeof n?.relPath === 'string' ? n.relPath : bad(),
      distance: num(n.distance),
    }))
  const v = value
  return {
    step: num(v.step),
    references: num(v.references),
    heldOut: num(v.heldOut),
    pixels: summary(v.pixels),
    ...(v.features !== undefined ? { features: summary(v.features) } : {}),
    samples: (Array.isArray(v.samples) ? v.samples : bad()).map((s: Record<string, unknown>) => ({
      class: num(s?.class),
      pixels: neighbours(s.pixels),
      ...(s.features !== undefined ? { features: neighbours(s.features) } : {}),
      copy: s.copy === true,
    })),
  }
}

/** The steps of a run's files named step-NNNNNN<suffix> in `dir`, ascending. */
async function stepsIn(dir: string, suffix: string): Promise<number[]> {
  const names = await readdir(dir).catch(() => [] as string[])
  return names.map((n) => stepOfName(n, suffix)).filter((s): s is number => s !== undefined).sort((a, b) => a - b)
}

/** The G step a model folder was saved at (its training state's), where it says. */
async function savedStep(dir: string): Promise<number | undefined> {
  try {
    const step = (await readManifest(dir)).state?.step
    return typeof step === 'number' ? step : undefined
  } catch {
    return undefined
  }
}

async function isModelFolder(dir: string): Promise<boolean> {
  return readManifest(dir).then(() => true, () => false)
}

/** The run's latest/ or best/ model folder, where it holds one. */
export async function publishedModel(runDir: string, which: 'latest' | 'best'): Promise<string | undefined> {
  const dir = join(runDir, runPaths[which])
  return (await isModelFolder(dir)) ? dir : undefined
}
