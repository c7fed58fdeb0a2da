// What the user should know: notices (toasts) from the views and the back end, and the progress of long jobs.
import type { StudioEvent } from '../../preload/contract/index.ts'
import { errorMessage, isQuiet } from '../lib/errors.ts'

export type NoticeLevel = 'error' | 'warning' | 'info'

export interface Notice {
  id: number
  level: NoticeLevel
  message: string
}

export interface JobProgress {
  job: string
  label: string
  done?: number
  total?: number
}

const AUTO_DISMISS_MS: Record<NoticeLevel, number | null> = { info: 5000, warning: 10_000, error: null }
// a job with no news for this long is taken as finished (a lost final event must not leave a bar forever)
const JOB_IDLE_MS = 60_000

class Notices {
  items = $state<Notice[]>([])
  jobs = $state<JobProgress[]>([])
  private nextId = 1
  private jobTimers = new Map<string, ReturnType<typeof setTimeout>>()

  push(level: NoticeLevel, message: string): void {
    // the same message again refreshes the old one instead of stacking
    this.items = this.items.filter((n) => n.message !== message)
    const id = this.nextId++
    this.items = [...this.items.slice(-4), { id, level, message }]
    const ms = AUTO_DISMISS_MS[level]
    if (ms) setTimeout(() => this.dismiss(id), ms)
  }

  dismiss(id: number): void {
    this.items = this.items.filter((n) => n.id !== id)
  }

  /** Shows a failure, prefixed with what was being done; superseded and cancelled requests stay silent. */
  fail(doing: string, e: unknown): void {
    if (isQuiet(e)) return
    this.push('error', `${doing}: ${errorMessage(e)}`)
  }

  /** A back-end event: a progress step or a notice ('model' events go to the model state). */
  handle(event: StudioEvent): void {
    if (event.type === 'notice' && event.message) this.push(event.level ?? 'info', event.message)
    if (event.type === 'progress' && event.job) this.progress(event.job, event.label ?? event.job, event.done, event.total)
  }

  progress(job: string, label: string, done?: number, total?: number): void {
    const entry: JobProgress = { job, label, done, total }
    const finished = total !== undefined && done !== undefined && done >= total
    this.jobs = this.jobs.some((j) => j.job === job) ? this.jobs.map((j) => (j.job === job ? entry : j)) : [...this.jobs, entry]
    clearTimeout(this.jobTimers.get(job))
    this.jobTimers.set(job, setTimeout(() => this.endJob(job), finished ? 800 : JOB_IDLE_MS))
  }

  endJob(job: string): void {
    clearTimeout(this.jobTimers.get(job))
    this.jobTimers.delete(job)
    this.jobs = this.jobs.filter((j) => j.job !== job)
  }
}

export const notices = new Notices()
