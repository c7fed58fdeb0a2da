// The one contract between the renderer and the studio's back end: every channel ('domain:verb') with the schema
// of its input and of its output, and the events the back end pushes. Two transports carry it — Electron IPC
// (main/ipc, preload/index.ts) and web mode's WebSocket (main/web, renderer/lib/webTransport.ts) — and both parse
// inputs with it before any handler runs and outputs before the renderer sees them. Nothing else crosses.
// Images cross as raw RGBA pixels (Uint8Array), latents and class vectors as Float32Array, never as base64.
//
// Each domain declares its channels in a file of its own (engine.ts, library.ts, finetune.ts, inspect.ts,
// settings.ts, downloads.ts, directions.ts); this file assembles them into the one `contract` table and holds what
// every channel shares: the event, the reply and its error, and the typed StudioApi. Code outside this folder imports
// the contract from here.
import { directionChannels } from './directions.ts'
import { downloadsChannels } from './downloads.ts'
import { engineChannels, modelInfo } from './engine.ts'
import { finetuneChannels, trainingEvent } from './finetune.ts'
import { inspectChannels } from './inspect.ts'
import { jobsChannels } from './jobs.ts'
import { libraryChannels } from './library.ts'
import { s, type Infer } from './schema.ts'
import { settingsChannels } from './settings.ts'

export { LIMITS } from './limits.ts'
export type { ClassMatch, EngineInfo, ExportedFile, LatentRecord, ModelInfo, Point, RecentModel, Rendered, Semantics } from './engine.ts'
export type { Favourite, HistoryEntry, SessionState, SessionSummary } from './library.ts'
export type { BlockRange, NamedDirection } from './directions.ts'
export type {
  BsaHyperparameters,
  DataScan,
  FinetuneHyperparameters,
  FinetuneMethod,
  FinetuneOverrides,
  FinetunePlan,
  FinetuneTarget,
  MemorisationReport,
  MetricsRecord,
  PreviewGrid,
  Run,
  RunDetail,
  RunStatus,
  TrainingEvent,
  TrainingProgress,
} from './finetune.ts'
export type { ClassScore, ExtractorSpec, GeneratorMetricsRecord, JudgeInfo, JudgeSpec, LeakageReport } from './inspect.ts'
export type { DownloadsSetting, InferenceSetting, SettingsState, StudioSettings, TrainingSetting } from './settings.ts'
export type { CatalogueModel, CatalogueState, DownloadPlan } from './downloads.ts'
export { DOWNLOAD_JOB } from './downloads.ts'
export { LONG_JOBS, type JobSummary, type LongJob } from './jobs.ts'

export const contract = {
  ...engineChannels,
  ...settingsChannels,
  ...libraryChannels,
  ...finetuneChannels,
  ...inspectChannels,
  ...downloadsChannels,
  ...jobsChannels,
  ...directionChannels,
}

/** What the back end pushes to every renderer. */
export const studioEvent = s.object({
  type: s.oneOf('progress', 'model', 'notice', 'training'),
  /** progress: the job ('models:open', …), its step and total, in words */
  job: s.optional(s.string()),
  label: s.optional(s.string()),
  done: s.optional(s.number()),
  total: s.optional(s.number()),
  /** model: the model now open */
  model: s.optional(modelInfo),
  /** notice: something the user should know ('error' | 'warning' | 'info') */
  level: s.optional(s.oneOf('error', 'warning', 'info')),
  message: s.optional(s.string()),
  /** training: what a fine-tuning run reports */
  training: s.optional(trainingEvent),
})
export const EVENT_CHANNEL = 'studio:event'
export type StudioEvent = Infer<typeof studioEvent>

export type Channel = keyof typeof contract
export type Input<C extends Channel> = Infer<(typeof contract)[C]['input']>
export type Output<C extends Channel> = Infer<(typeof contract)[C]['output']>

export const CHANNELS = Object.keys(contract) as Channel[]

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && Object.hasOwn(contract, value)
}

// What the back end answers on every channel: a value, or an error the renderer can show as it is.
export interface ReplyError {
  /** bad-input: the request broke the contract; forbidden: untrusted sender or token; failed: the work failed
   *  (message says why and what to do); superseded / cancelled: a newer request replaced it, or it was cancelled;
   *  unsupported: this shell cannot do it (a system dialog in web mode) */
  code: 'bad-input' | 'forbidden' | 'failed' | 'superseded' | 'cancelled' | 'unsupported'
  message: string
  detail?: string
}
export type Reply<T> = { ok: true; value: T } | { ok: false; error: ReplyError }

/** The Error a StudioApi call rejects with: the ReplyError's message, and its code. */
export class StudioError extends Error {
  override readonly name = 'StudioError'
  constructor(
    readonly code: ReplyError['code'],
    message: string,
  ) {
    super(message)
  }
}

// window.studio as the preload exposes it, and web mode's client alike: one method per channel, grouped by domain
// ('favourites:save' → studio.favourites.save(input)), plus the event stream.
type DomainOf<C extends string> = C extends `${infer D}:${string}` ? D : never
type Method<C extends Channel> = Input<C> extends undefined
  ? () => Promise<Output<C>>
  : (input: Input<C>) => Promise<Output<C>>
export type StudioApi = {
  [D in DomainOf<Channel>]: { [C in Channel as C extends `${D}:${infer V}` ? V : never]: Method<C> }
} & {
  events: { subscribe(listener: (event: StudioEvent) => void): () => void }
}

/** Builds the StudioApi over a transport: `invoke` sends one request and resolves with its Reply. Outputs are
 *  parsed against the contract before the caller sees them. */
export function buildStudioApi(
  invoke: (channel: Channel, input: unknown) => Promise<Reply<unknown>>,
  subscribe: (listener: (event: unknown) => void) => () => void,
): StudioApi {
  const api: Record<string, Record<string, unknown>> = {}
  for (const channel of CHANNELS) {
    const [domain, verb] = channel.split(':')
    api[domain] ??= {}
    api[domain][verb] = async (input?: unknown) => {
      const reply = await invoke(channel, input)
      if (typeof reply !== 'object' || reply === null) throw new StudioError('failed', `${channel}: no reply`)
      if (!reply.ok) throw new StudioError(reply.error.code, reply.error.message)
      return contract[channel].output.parse(reply.value, channel)
    }
  }
  api.events = {
    subscribe: (listener: (event: StudioEvent) => void) =>
      subscribe((raw) => {
        try {
          listener(studioEvent.parse(raw, 'event'))
        } catch {
          // an event that breaks the contract is dropped, never shown
        }
      }),
  }
  return api as unknown as StudioApi
}
