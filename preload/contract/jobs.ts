// The contract's jobs domain: the long jobs the back end runs (a measurement, leakage matrices, opening or importing a
// model, downloading one), which outlive the page that started them. A page that reloads, or a second window, finds them here and
// attaches to them: it shows their progress (the 'progress' events under the job's name) and receives their outcome.
// Cancelling one is jobs:cancel (settings.ts). The registry lives in the back end's memory: a restart forgets it.
import { s, type ChannelSchemas, type Infer, type Schema } from './schema.ts'

/** The jobs a page can attach to, each named as its progress events and jobs:cancel name it. */
export const LONG_JOBS = ['metrics:compute', 'inspect:leakage', 'inspect:leakageCheckpoints', 'models:open', 'downloads:get'] as const
export type LongJob = (typeof LONG_JOBS)[number]

const jobName = s.oneOf(...LONG_JOBS)

/** A job's outcome as its own channel answered it: the page parses it with that channel's output schema. */
const channelOutput: Schema<unknown> = { describe: "the job's channel output", parse: (v) => v }

const jobSummary = s.object({
  job: jobName,
  state: s.oneOf('running', 'done', 'failed', 'cancelled'),
  /** the newest progress: its words, step and total (0 of 0 before the first) */
  label: s.string(),
  done: s.number(),
  total: s.number(),
  /** ISO 8601 */
  startedAt: s.string(),
  /** failed: why */
  error: s.optional(s.string()),
})

export const jobsChannels = {
  /** each long job's newest run since the back end started, and an id of the app's data folder (a hash of its path),
   *  under which pages keep their view state */
  'jobs:list': { input: s.none(), output: s.object({ dataId: s.string(), jobs: s.array(jobSummary) }) },
  /** the outcome of the job's newest run, once it has one (a running job is waited for): 'none' when it has not run
   *  since the back end started. value: what the job's own channel answered, when it is done */
  'jobs:attach': {
    input: s.object({ job: jobName }),
    output: s.object({
      state: s.oneOf('done', 'failed', 'cancelled', 'none'),
      error: s.optional(s.string()),
      value: channelOutput,
    }),
  },
} satisfies Record<string, ChannelSchemas>

export type JobSummary = Infer<typeof jobSummary>
