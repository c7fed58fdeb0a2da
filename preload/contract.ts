// The one contract between the renderer and the main process: every IPC channel ('domain:verb') with the schema
// of its input and of its output. main/ipc parses inputs with it before any handler runs; the preload parses
// outputs with it before the renderer sees them. Nothing else crosses.
import { s, type Infer, type Schema } from './schema.ts'

const backendAttempt = s.object({
  name: s.string(),
  ok: s.boolean(),
  error: s.optional(s.string()),
})

const engineInfo = s.object({
  backend: s.string(), // 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu'
  tfBackend: s.string(),
  threads: s.number(),
  simd: s.boolean(),
  version: s.string(), // @tensorflow/tfjs
  tried: s.array(backendAttempt),
  notes: s.array(s.string()),
})

export const contract = {
  'engine:info': { input: s.none(), output: engineInfo },
} satisfies Record<string, { input: Schema<unknown>; output: Schema<unknown> }>

export type Channel = keyof typeof contract
export type Input<C extends Channel> = Infer<(typeof contract)[C]['input']>
export type Output<C extends Channel> = Infer<(typeof contract)[C]['output']>

export type EngineInfo = Output<'engine:info'>

export const CHANNELS = Object.keys(contract) as Channel[]

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && Object.hasOwn(contract, value)
}

// What main answers on every channel: a value, or an error the renderer can show as it is.
export interface ReplyError {
  code: 'bad-input' | 'forbidden' | 'failed'
  message: string
  detail?: string
}
export type Reply<T> = { ok: true; value: T } | { ok: false; error: ReplyError }

// window.studio, as the preload exposes it: one method per channel, grouped by domain. Rejects with an Error
// whose message is the ReplyError's message.
export interface StudioApi {
  engine: {
    info(): Promise<EngineInfo>
  }
}
