// A long job a view starts and may cancel (jobs:cancel), named as the back end names it in its progress events:
// whether it runs, how far it has got, and the error shown beside it. The leakage and metrics views hold one per job.
// The job outlives the page: a reloaded page attaches to it (jobs:attach), and a job the back end forgot (it was
// restarted) is said to be lost, from the mark this page keeps while the job runs.
import { contract, type JobSummary, type LongJob, type StudioEvent } from '../../preload/contract/index.ts'
import { errorMessage, isQuiet } from '../lib/errors.ts'
import { studio } from '../lib/studio.ts'
import { viewStore } from './viewStore.ts'

export interface JobProgress {
  label: string
  done: number
  total: number
}

/** the stored marks of the jobs this page's views started and have not seen end: job → when it started (ISO) */
const MARKS = 'running-jobs'

export class Job {
  running = $state(false)
  progress = $state.raw<JobProgress | null>(null)
  /** why the job failed or could not start (the owner may set it too); null when there is nothing to say */
  error = $state<string | null>(null)

  constructor(
    readonly name: LongJob,
    /** the job in words, as a sentence starts: 'The measurement' */
    readonly what: string,
  ) {}

  /** Runs `work` (the request and what is done with its answer) while following the job's progress events. A failure
   *  becomes `error`, unless the job was cancelled or superseded. */
  async run(work: () => Promise<void>): Promise<void> {
    this.mark(new Date().toISOString())
    try {
      await this.follow(work)
    } finally {
      this.mark(null)
    }
  }

  /** Attaches to the job's newest run in the back end (another page started it, or this one before a reload): shows
   *  it running with its progress, then hands its value to `apply` once done (as the job's channel answers it), or
   *  shows why it failed. A run that had ended before this page went away is taken up only with `ended` (where its
   *  result is the view's place, kept nowhere else). A job this page saw start that the back end does not know was
   *  lost with a restart. */
  async reattach(summary: JobSummary | undefined, apply: (value: unknown) => void, ended = false): Promise<void> {
    const started = this.marked()
    if (summary && summary.state !== 'running' && !started && !ended) return
    if (!summary) {
      if (started) {
        this.error = `${this.what} started ${new Date(started).toLocaleString()} was lost: the studio stopped while it ran. Start it again.`
        this.mark(null)
      }
      return
    }
    if (summary.state === 'running') this.progress = { label: summary.label, done: summary.done, total: summary.total }
    await this.follow(async () => {
      const outcome = await studio().jobs.attach({ job: this.name })
      if (outcome.state === 'done') apply(contract[this.name].output.parse(outcome.value, this.name))
      else if (outcome.state === 'failed') this.error = outcome.error ?? `${this.what} failed`
    }, summary.state === 'running')
    this.mark(null)
  }

  cancel(): void {
    void studio().jobs.cancel({ job: this.name }).catch(() => undefined)
  }

  private async follow(work: () => Promise<void>, show = true): Promise<void> {
    this.running = show
    this.error = null
    if (!show) this.progress = null
    const off = studio().events.subscribe((e: StudioEvent) => {
      if (e.type === 'progress' && e.job === this.name && e.done !== undefined && e.total !== undefined) {
        this.progress = { label: e.label ?? '', done: e.done, total: e.total }
      }
    })
    try {
      await work()
    } catch (e) {
      if (!isQuiet(e)) this.error = errorMessage(e)
    } finally {
      off()
      this.running = false
      this.progress = null
    }
  }

  private marked(): string | null {
    const marks = viewStore.current.read(MARKS)
    const at = typeof marks === 'object' && marks !== null ? (marks as Record<string, unknown>)[this.name] : undefined
    return typeof at === 'string' ? at : null
  }

  private mark(startedAt: string | null): void {
    const read = viewStore.current.read(MARKS)
    const marks = typeof read === 'object' && read !== null && !Array.isArray(read) ? { ...(read as Record<string, unknown>) } : {}
    if (startedAt) marks[this.name] = startedAt
    else delete marks[this.name]
    viewStore.current.write(MARKS, Object.keys(marks).length ? marks : null)
  }
}
