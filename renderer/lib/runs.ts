// Fine-tuning runs as the view shows them: what each status means and allows, time left, the preview grid's
// geometry (which sample a click hits), and the run's history kept up to date from live events — metrics records,
// checkpoints (the run keeps its newest few plus best/), preview steps and the collapse monitor's alerts.
import type { MetricsRecord, Run, RunStatus } from '../../preload/contract.ts'

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
  const bsa = run.method === 'bsa'
  const training = run.status === 'running'
  const finished = run.step >= run.steps
  const resumable = RESUMABLE.includes(run.status) && !finished
  const note = bsa
    ? training
      ? 'A BSA run cannot pause: cancel keeps what it adapted so far.'
      : 'A BSA run cannot be resumed: start a new one with more steps.'
    : (resumable || finished) && busy && !training
      ? 'Another run is training: one run trains at a time.'
      : null
  return {
    pause: training && run.active && !bsa,
    resume: resumable && !bsa && !busy,
    extend: !bsa && !busy && !training && (run.status === 'completed' || (RESUMABLE.includes(run.status) && finished)),
    cancel: run.status === 'running' || run.status === 'paused' || run.status === 'interrupted',
    openBest: run.bestStep !== null,
    openLatest: run.step > 0,
    note,
  }
}

/** 75 → "1 min 15 s", 4000 → "1 h 07 min". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–'
  const s = Math.round(seconds)
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
  const h = Math.floor(s / 3600)
  const m = Math.round((s % 3600) / 60)
  return m === 60 ? `${h + 1} h 00 min` : `${h} h ${String(m).padStart(2, '0')} min`
}

// ——— the preview grid: ceil(√n) columns, row-major, a 2-pixel gap around every cell (main/images/pixels tileGrid) ———

export const PREVIEW_GAP = 2

export function gridColumns(count: number): number {
  return Math.max(1, Math.ceil(Math.sqrt(count)))
}

/** Where sample `index` sits in a grid image of width × height pixels, as fractions of the image. */
export function cellRect(
  index: number, count: number, width: number, height: number, gap = PREVIEW_GAP,
): { left: number; top: number; width: number; height: number } | null {
  const columns = gridColumns(count)
  const rows = Math.ceil(count / columns)
  const size = (width - (columns + 1) * gap) / columns
  if (!(size > 0) || index < 0 || index >= count || rows * size + (rows + 1) * gap > height + 0.5) return null
  const x = gap + (index % columns) * (size + gap)
  const y = gap + Math.floor(index / columns) * (size + gap)
  return { left: x / width, top: y / height, width: size / width, height: size / height }
}

/** The sample under a point of the grid image given as fractions (fx, fy) of its size, or null (a gap, or past
 *  the last sample). */
export function cellAt(fx: number, fy: number, count: number, width: number, height: number, gap = PREVIEW_GAP): number | null {
  const columns = gridColumns(count)
  const size = (width - (columns + 1) * gap) / columns
  if (!(size > 0)) return null
  const px = fx * width - gap
  const py = fy * height - gap
  if (px < 0 || py < 0) return null
  const col = Math.floor(px / (size + gap))
  const row = Math.floor(py / (size + gap))
  if (px - col * (size + gap) > size || py - row * (size + gap) > size || col >= columns) return null
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
  step: number | null
  level: 'warning' | 'stop'
  messages: string[]
  /** what the studio did about it */
  action: string
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
