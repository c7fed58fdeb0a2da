// Fine-tuning runs as the view shows them: what each status means and allows, time left, the preview grid's
// geometry (which sample a click hits), and the run's history kept up to date from live events — metrics records,
// checkpoints (the run keeps its newest few plus best/), preview steps and the collapse monitor's alerts.
import type { MetricsRecord, PreviewGrid, Run, RunStatus } from '../../preload/contract/index.ts'

export type Tone = 'accent' | 'ok' | 'warn' | 'error' | 'muted'

export const STATUS: Record<RunStatus, { label: string; tone: Tone; hint: string }> = {
  running: { label: 'running', tone: 'accent', hint: 'a training worker trains it now' },
  paused: { label: 'paused', tone: 'warn', hint: 'stopped at a step with a checkpoint: resume continues from it' },
  interrupted: { label: 'interrupted', tone: 'warn', hint: 'the app stopped while it trained: resume continues from its newest checkpoint' },
  completed: { label: 'completed', tone: 'ok', hint: 'trained all its steps' },
  stopped: { label: 'stopped', tone: 'error', hint: 'the collapse monitor ended it early: best/ holds a checkpoint from before the collapse' },
  cancelled: { label: 'cancelled', tone: 'muted', hint: 'stopped by you; its checkpoints are kept' },
  failed: { label: 'failed', tone: 'error', hint: 'it failed: the row says why' },
}

const RESUMABLE: readonly RunStatus[] = ['paused', 'interrupted', 'cancelled', 'stopped']

export interface RunActions {
  pause: boolean
  resume: boolean
  /** completed (or stopped at its last step): more steps can be given */
  extend: boolean
  cancel: boolean
  openBest: boolean
  openLatest: boolean
  /** why pause or resume is not offered, where that is not obvious */
  note: string | null
}

/** What the user may do with a run. `busy`: another run trains now (one run trains at a time). */
export function runActions(run: Run, busy: boolean): RunActions {
  const training = run.status === 'running'
  const finished = run.step >= run.steps
  const resumable = RESUMABLE.includes(run.status) && !finished
  const note = (resumable || finished) && busy && !training ? 'Another run is training: one run trains at a time.' : null
  return {
    pause: training && run.active,
    resume: resumable && !busy,
    extend: !busy && !training && (run.status === 'completed' || (RESUMABLE.includes(run.status) && finished)),
    cancel: run.status === 'running' || run.status === 'paused' || run.status === 'interrupted',
    openBest: run.bestStep !== null,
    openLatest: run.step > 0,
    note,
  }
}

/** Why a run cannot be deleted now, or null: a run that trains, or one whose checkpoint is the open model (its
 *  folder goes with it), stays. */
export function deleteBlocker(run: Run, openModelPath: string | null): string | null {
  if (run.status === 'running') return 'it is training: cancel it first'
  const open = openModelPath
  if (open !== null && (open === run.runDir || open.startsWith(`${run.runDir}/`) || open.startsWith(`${run.runDir}\\`))) return 'one of its checkpoints is the open model: open another model first'
  return null
}

/** 75 → "1 min 15 s", 4000 → "1 h 07 min", 10⁶ → "11.6 days". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–'
  const s = Math.round(seconds)
  if (s >= 2 * 86_400) return `${(s / 86_400).toFixed(s >= 100 * 86_400 ? 0 : 1)} days`
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
  const h = Math.floor(s / 3600)
  const m = Math.round((s % 3600) / 60)
  return m === 60 ? `${h + 1} h 00 min` : `${h} h ${String(m).padStart(2, '0')} min`
}

// ——— the preview grid: where each sample sits, from the layout runs:preview sends with the PNG (the engine's) ———

/** Where sample `index` sits in a preview grid image, as fractions of the image. */
export function cellRect(index: number, grid: PreviewGrid): { left: number; top: number; width: number; height: number } | null {
  const { count, columns, cell, gap, width, height } = grid
  if (!(cell > 0 && width > 0 && height > 0) || !Number.isInteger(index) || index < 0 || index >= count) return null
  const x = gap + (index % columns) * (cell + gap)
  const y = gap + Math.floor(index / columns) * (cell + gap)
  return { left: x / width, top: y / height, width: cell / width, height: cell / height }
}

/** The sample under a point of the grid image given as fractions (fx, fy) of its size, or null (a gap, or past
 *  the last sample). */
export function cellAt(fx: number, fy: number, grid: PreviewGrid): number | null {
  const { count, columns, cell, gap, width, height } = grid
  if (!(cell > 0)) return null
  const px = fx * width - gap
  const py = fy * height - gap
  if (px < 0 || py < 0) return null
  const col = Math.floor(px / (cell + gap))
  const row = Math.floor(py / (cell + gap))
  if (px - col * (cell + gap) > cell || py - row * (cell + gap) > cell || col >= columns) return null
  const index = row * columns + col
  return index < count ? index : null
}

// ——— history, kept current from events ———

export interface CheckpointRef {
  step: number
  best: boolean
  latest: boolean
}

/** The run's checkpoints after one was written at `step`: newest `keep` steps plus the best one, oldest first. */
export function addCheckpoint(list: readonly CheckpointRef[], step: number, best: boolean, keep: number): CheckpointRef[] {
  const bestStep = best ? step : (list.find((c) => c.best)?.step ?? null)
  const steps = [...new Set([...list.map((c) => c.step), step])].sort((a, b) => a - b)
  const newest = steps[steps.length - 1]
  const kept = steps.filter((s, i) => i >= steps.length - Math.max(1, keep) || s === bestStep)
  return kept.map((s) => ({ step: s, best: s === bestStep, latest: s === newest }))
}

/** A sorted list of steps with one more. */
export function addStep(steps: readonly number[], step: number): number[] {
  if (steps.includes(step)) return steps.slice()
  return [...steps, step].sort((a, b) => a - b)
}

/** The records with one more, in step order (a record for a step already held replaces it: a resumed run logs
 *  its steps again from its checkpoint). */
export function mergeRecord(records: readonly MetricsRecord[], record: MetricsRecord): MetricsRecord[] {
  const n = records.length
  if (n === 0 || records[n - 1].step < record.step) return [...records, record]
  const kept = records.filter((r) => r.step < record.step)
  return [...kept, record]
}

export interface RunAlert {
  /** the logged step at which the monitor's detector fired */
  step: number
  level: 'warning' | 'stop'
  messages: string[]
  /** what the studio did about it */
  action: string
}

/** An alert in one line, as the view lists it: "step N: what happened; what the run did". */
export function alertLine(alert: RunAlert): string {
  const what = alert.messages.length > 0 ? alert.messages.join('; ') : alert.level === 'stop' ? 'the collapse monitor stopped the run' : 'the monitor warned'
  return `step ${alert.step}: ${what}; ${alert.action}`
}

/** A warning's kind: its words without its numbers (the monitor reports each kind once). */
export const alertKey = (message: string): string => message.replace(/[\d.]+/g, '#')

/** The alerts a run raised, rebuilt from its logged records: each kind of warning once, and every stop. */
export function alertsFromMetrics(records: readonly MetricsRecord[]): RunAlert[] {
  const seen = new Set<string>()
  const out: RunAlert[] = []
  for (const r of records) {
    if (r.action === 'stop') {
      out.push({
        step: r.step,
        level: 'stop',
        messages: r.reasons?.length ? r.reasons : ['the collapse monitor stopped the run'],
        action: `the collapse monitor stopped the run at step ${r.step}, with a last checkpoint; best/ keeps the step before the collapse`,
      })
    }
    const fresh = (r.warnings ?? []).filter((w) => !seen.has(alertKey(w)))
    for (const w of fresh) seen.add(alertKey(w))
    if (fresh.length > 0) {
      out.push({ step: r.step, level: 'warning', messages: fresh, action: 'a warning only: training went on' })
    }
  }
  return out
}

/** The step a run shows: the live step while it trains, else its newest checkpoint's. */
export function shownStep(run: Run, liveStep: number | null): number {
  return run.status === 'running' && liveStep !== null ? liveStep : run.step
}
