// The fine-tune view's records: what the training worker and the library's runs table say of runs, mapped to the
// studio's contract (and back, for what the view asks of a run). The worker speaks the run orchestrator's terms
// (engine-host/protocol/training.ts), the library its rows (store/runs.ts); only this file knows both sides.
import {
  StudioError,
  type BsaHyperparameters,
  type DataScan,
  type FinetuneHyperparameters,
  type FinetunePlan,
  type FinetuneTarget,
  type Input,
  type MemorisationReport,
  type MetricsRecord,
  type Run,
  type TrainingProgress,
} from '../../preload/contract/index.ts'
import type {
  FinetuneJob, FolderScan, MemorisationCheck, MetricsLine, PlannedRun, RunProgress, RunSettings, RunTarget,
} from '../engine-host/protocol/training.ts'
import type { StoredRun } from '../store/index.ts'
import { farRatio, targetDistance, type TargetDistance } from '../engine/finetune/targetDistance.ts'
import type { ModelRecord } from '../engine-host/protocol/engine.ts'

/** A fine-tune the view asks for, against the open model, as the training worker's job. */
export function finetuneJob(model: ModelRecord, input: Input<'finetune:plan'>): FinetuneJob {
  return {
    modelDir: model.path,
    dataDir: input.data,
    target: runTarget(input.target),
    ...(input.method ? { method: input.method } : {}),
    steps: input.steps,
    overrides: input.advanced ?? {},
  }
}

function runTarget(t: FinetuneTarget): RunTarget {
  if (t.kind === 'existing') {
    if (t.classIndex === undefined) throw new StudioError('bad-input', "an 'existing' target needs classIndex: the model class the folder trains")
    return { kind: 'existing', classIndex: t.classIndex }
  }
  if (t.kind === 'new') {
    if (!t.name?.trim()) throw new StudioError('bad-input', "a 'new' target needs the new class's name")
    return { kind: 'new', name: t.name.trim() }
  }
  return { kind: 'folder' }
}

export function planView(p: PlannedRun): FinetunePlan {
  return {
    defaultMethod: p.defaultMethod,
    reason: p.reason,
    method: p.method,
    classes: p.classes,
    newClasses: p.newClasses,
    trainImages: p.trainImages,
    heldOutImages: p.heldOutImages,
    contentHash: p.contentHash,
    hyperparameters: p.loop,
    bsa: p.bsa,
  }
}

/** What the row's settings column keeps: the view's settings (the loop's under `hyperparameters`, as rows written
 *  before kept them), the engine's whole, and what the run's latest start computed on. */
export function storedSettings(s: RunSettings & { computesOn?: string }): string {
  const { computesOn } = s
  return JSON.stringify({ hyperparameters: s.loop, bsa: s.bsa, settings: parseJson(s.json) ?? null, ...(computesOn ? { computesOn } : {}) })
}

export function runView(r: StoredRun, active: boolean): Run {
  const settings = parseJson(r.settings) as { hyperparameters?: unknown; bsa?: unknown; computesOn?: unknown } | undefined
  return {
    id: r.id,
    name: r.name,
    status: r.status,
    active,
    method: r.method,
    parent: { ...r.parent },
    data: { ...r.data },
    target: (parseJson(r.target) as FinetuneTarget | undefined) ?? { kind: 'folder' },
    hyperparameters: (settings?.hyperparameters as FinetuneHyperparameters | undefined) ?? null,
    bsa: (settings?.bsa as BsaHyperparameters | undefined) ?? null,
    computesOn: typeof settings?.computesOn === 'string' ? settings.computesOn : null,
    runDir: r.runDir,
    step: r.step,
    steps: r.steps,
    bestStep: r.bestStep,
    lastError: r.lastError,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  }
}

export function progressView(p: RunProgress): TrainingProgress {
  const losses: TrainingProgress['losses'] = {}
  for (const key of ['dLoss', 'dLossReal', 'dLossFake', 'gLoss', 'total', 'l1', 'multiScaleL1', 'latentPrior'] as const) {
    if (key in p.losses) losses[key] = p.losses[key]
  }
  return { step: p.step, steps: p.steps, losses, rt: p.rt, p: p.p, imagesPerSecond: p.imagesPerSecond, etaSeconds: p.etaSeconds }
}

const finite = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null)

/** One metrics.jsonl line (the loop's metricsLine, or a BSA run's) as the view charts it: spectra as a list of
 *  layers, every number finite or null. */
export function metricsRecord(line: MetricsLine): MetricsRecord {
  const record: MetricsRecord = {
    step: line.step,
    dLossReal: finite(line.dLossReal),
    dLossFake: finite(line.dLossFake),
    dLoss: finite(line.dLoss),
    gLoss: finite(line.gLoss),
  }
  for (const key of ['rt', 'augmentP', 'dGap', 'imagesPerSecond', 'fidProxy'] as const) {
    if (key in line) record[key] = finite(line[key])
  }
  const copy = line.copyFraction as { pixels?: unknown; features?: unknown } | undefined
  if (copy && typeof copy === 'object') {
    record.copyFraction = { pixels: finite(copy.pixels), ...('features' in copy ? { features: finite(copy.features) } : {}) }
  }
  const reconstruction = line.reconstruction as Record<string, unknown> | undefined
  if (reconstruction && typeof reconstruction === 'object') {
    record.reconstruction = {
      total: finite(reconstruction.total),
      l1: finite(reconstruction.l1),
      multiScaleL1: finite(reconstruction.multiScaleL1),
      latentPrior: finite(reconstruction.latentPrior),
    }
  }
  const spectra = line.spectra as Record<string, Record<string, { sigma?: unknown[]; frobenius?: unknown }>> | undefined
  if (spectra && typeof spectra === 'object') {
    record.spectra = []
    for (const net of ['G', 'D'] as const) {
      for (const [layer, s] of Object.entries(spectra[net] ?? {})) {
        record.spectra.push({ net, layer, sigma: (Array.isArray(s?.sigma) ? s.sigma : []).map(finite), frobenius: finite(s?.frobenius) })
      }
    }
  }
  if (line.action === 'continue' || line.action === 'stop') record.action = line.action
  const strings = (x: unknown): string[] => (Array.isArray(x) ? x.filter((v): v is string => typeof v === 'string') : [])
  if ('reasons' in line) record.reasons = strings(line.reasons)
  if ('warnings' in line) record.warnings = strings(line.warnings)
  if (typeof line.best === 'boolean') record.best = line.best
  return record
}

export function scanView(s: FolderScan): DataScan {
  return {
    path: s.path,
    resolution: s.resolution,
    contentHash: s.contentHash,
    seed: s.seed,
    classes: s.classes.map((c) => ({ name: c.name, train: c.train, heldOut: c.heldOut, failed: c.failed, thumbnails: c.thumbnails })),
    train: s.train,
    heldOut: s.heldOut,
    failed: s.failed,
    failedCount: s.failedCount,
    ignoredFiles: s.ignoredFiles,
    ignored: s.ignored,
    warnings: s.warnings,
    cache: s.cache,
  }
}

export function memorisationView(m: MemorisationCheck): MemorisationReport {
  return {
    step: m.step,
    references: m.references,
    heldOut: m.heldOut,
    pixels: m.pixels,
    ...(m.features ? { features: m.features } : {}),
    samples: m.samples,
    thumbnails: m.thumbnails,
    missing: m.missing,
    distance: distanceView(targetDistance(m)),
  }
}

function distanceView(d: TargetDistance): NonNullable<MemorisationReport['distance']> {
  return { ratio: Number.isFinite(d.ratio) ? d.ratio : Number.MAX_VALUE, space: d.space, far: d.far, farRatio }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
