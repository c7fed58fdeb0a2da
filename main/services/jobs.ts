// The long jobs' registry: each long job's newest run (its progress, and its outcome once it ends), kept by the back
// end so that a page that reloads, or another window, can attach to a job another page started (jobs:list,
// jobs:attach). The handlers that run the jobs stay as they are: track() wraps them, and observe() follows the
// progress events they publish under the job's name.
import { createHash } from 'node:crypto'
import { resolve } from 'node:path'
import { LONG_JOBS, type Channel, type JobSummary, type LongJob, type Output, type StudioEvent } from '../../preload/contract/index.ts'
import type { Handlers } from '../ipc/router.ts'

/** The channels that run each long job (opening the default model and opening a path are one job). */
const CHANNELS_OF: Record<LongJob, readonly Channel[]> = {
  'metrics:compute': ['metrics:compute'],
  'inspect:leakage': ['inspect:leakage'],
  'inspect:leakageCheckpoints': ['inspect:leakageCheckpoints'],
  'models:open': ['models:open', 'models:openDefault'],
  'downloads:get': ['downloads:get'],
}

interface Entry extends JobSummary {
  value?: unknown
  /** resolves when the run ends */
  ended: Promise<void>
}

export interface Jobs {
  handlers: Pick<Handlers, 'jobs:list' | 'jobs:attach'>
  /** the handlers, with each long job's channels recorded here as they run */
  track(handlers: Handlers): Handlers
  /** follows a published event: the progress of a long job */
  observe(event: StudioEvent): void
}

export function createJobs(options: { dataDir: string }): Jobs {
  const dataId = createHash('sha256').update(resolve(options.dataDir), 'utf8').digest('hex').slice(0, 16)
  const newest = new Map<LongJob, Entry>()

  const begin = (job: LongJob): { entry: Entry; end: () => void } => {
    let end = (): void => {}
    const ended = new Promise<void>((done) => (end = done))
    const entry: Entry = { job, state: 'running', label: '', done: 0, total: 0, startedAt: new Date().toISOString(), ended }
    newest.set(job, entry)
    return { entry, end }
  }

  const wrap = (job: LongJob, handler: (input: never) => Promise<unknown>) => async (input: never) => {
    const { entry, end } = begin(job)
    try {
      const value = await handler(input)
      entry.state = 'done'
      entry.value = value
      return value
    } catch (e) {
      const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined
      // a newer run superseded this one: the newer run is the job now
      entry.state = code === 'cancelled' || code === 'superseded' ? 'cancelled' : 'failed'
      if (entry.state === 'failed') entry.error = e instanceof Error ? e.message : String(e)
      throw e
    } finally {
      end()
    }
  }

  const summary = ({ job, state, label, done, total, startedAt, error }: Entry): JobSummary => ({
    job,
    state,
    label,
    done,
    total,
    startedAt,
    ...(error !== undefined ? { error } : {}),
  })

  return {
    handlers: {
      'jobs:list': async () => ({ dataId, jobs: LONG_JOBS.flatMap((job) => (newest.has(job) ? [summary(newest.get(job)!)] : [])) }),
      'jobs:attach': async ({ job }) => {
        let entry = newest.get(job)
        // a run that ends may already have been followed by a newer one: attach to the newest
        while (entry && entry.state === 'running') {
          await entry.ended
          entry = newest.get(job)
        }
        if (!entry || entry.state === 'running') return { state: 'none' as const }
        return { state: entry.state, ...(entry.error !== undefined ? { error: entry.error } : {}), value: entry.value }
      },
    },
    track(handlers) {
      const tracked: Record<string, unknown> = { ...handlers }
      for (const job of LONG_JOBS) {
        for (const channel of CHANNELS_OF[job]) tracked[channel] = wrap(job, handlers[channel] as (input: never) => Promise<Output<Channel>>)
      }
      return tracked as Handlers
    },
    observe(event) {
      if (event.type !== 'progress' || !event.job) return
      const entry = newest.get(event.job as LongJob)
      if (!entry || entry.state !== 'running') return
      entry.label = event.label ?? entry.label
      entry.done = event.done ?? entry.done
      entry.total = event.total ?? entry.total
    },
  }
}
