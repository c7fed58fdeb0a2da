// A long job a view starts and may cancel (jobs:cancel), named as the back end names it in its progress events:
// whether it runs, how far it has got, and the error shown beside it. The leakage and metrics views hold one per job.
import type { StudioEvent } from '../../preload/contract/index.ts'
import { errorMessage, isQuiet } from '../lib/errors.ts'
import { studio } from '../lib/studio.ts'

export interface JobProgress {
  label: string
  done: number
  total: number
}

export class Job {
  running = $state(false)
  progress = $state.raw<JobProgress | null>(null)
  /** why the job failed or could not start (the owner may set it too); null when there is nothing to say */
  error = $state<string | null>(null)

  constructor(readonly name: string) {}

  /** Runs `work` (the request and what is done with its answer) while following the job's progress events. A failure
   *  becomes `error`, unless the job was cancelled or superseded. */
  async run(work: () => Promise<void>): Promise<void> {
    this.running = true
    this.error = null
    this.progress = null
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

  cancel(): void {
    void studio().jobs.cancel({ job: this.name }).catch(() => undefined)
  }
}
