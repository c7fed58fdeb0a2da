// The contract's settings domain, with the shell's small channels: the studio's settings and what serves previews
// under them (settings:*), cancelling a running job (jobs:cancel) and the system's folder dialog
// (dialog:chooseFolder).
import { LIMITS } from './limits.ts'
import { s, SchemaError, type ChannelSchemas, type Infer, type Schema } from './schema.ts'

/** onnxruntime's CPU threads per op: 'auto' (timed once per machine and model size: 1 against one per core, the
 *  faster kept) or a count */
const ortThreads = autoOrCount(LIMITS.ortThreads)

/** 'auto' or a whole number in [1, most]: the shape of a thread-count setting. */
function autoOrCount(most: number): Schema<'auto' | number> {
  return {
    describe: `'auto' or an integer in [1, ${most}]`,
    parse: (v, path = '') => {
      if (v === 'auto' || (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= most)) return v as 'auto' | number
      throw new SchemaError(`${path || 'value'}: expected 'auto' or an integer in [1, ${most}]`)
    },
  }
}

/** The threads a fine-tuning run's wasm backend computes on: 'auto' (every core but one, which the previews and the
 *  window keep) or a count. Read when a run starts; native TensorFlow sizes its own pool and ignores it. */
const trainingThreads = autoOrCount(LIMITS.wasmThreads)

/** The studio's settings, one schema per stored key (main/store/settings.ts keeps one row per key). */
const settingSchemas = {
  /** what serves previews and exports: 'auto' (the fastest here, timed once per machine and model size), or one
   *  runtime; BIGGAN_RUNTIME overrides it */
  inference: s.object({ runtime: s.oneOf('auto', 'onnx', 'tfjs'), threads: ortThreads }),
  /** how fine-tuning runs compute: the wasm backend's threads (BIGGAN_WASM_THREADS overrides them), and what computes
   *  the steps: 'auto' (onnxruntime's compiled step where it can train the run), 'onnx' or 'tfjs'
   *  (BIGGAN_EXECUTOR overrides it) */
  training: s.object({ threads: trainingThreads, executor: s.oneOf('auto', 'onnx', 'tfjs') }),
  /** the model catalogue "Get a model" reads: a file's path, or null for the bundled one */
  downloads: s.object({ catalogue: s.nullable(s.text(LIMITS.path)) }),
}

const studioSettings = s.object(settingSchemas)

const settingsState = s.object({
  settings: studioSettings,
  inference: s.object({
    /** what serves previews now (engine:info's previews): 'onnx (CPU, 2 threads)' or 'tfjs' */
    previews: s.string(),
    /** why: the setting, an override, or the timings 'auto' compared */
    reason: s.string(),
    /** what overrides the setting on this machine ('BIGGAN_RUNTIME=tfjs is set, …'), or null */
    override: s.nullable(s.string()),
    /** CPU threads available here: the most 'threads' usefully asks for */
    cores: s.number(),
  }),
  training: s.object({
    /** the wasm threads the next run computes on under the setting ('auto' resolved here) */
    threads: s.number(),
    /** what overrides the setting on this machine ('BIGGAN_WASM_THREADS=4 is set, …'), or null */
    override: s.nullable(s.string()),
  }),
  /** stored values that could not be used (corrupt, or from a newer version): their defaults serve instead */
  notices: s.array(s.string()),
})

export const settingsChannels = {
  /** the studio's settings, and what serves previews under them */
  'settings:get': { input: s.none(), output: settingsState },
  /** changes the settings given and stores them; a new inference setting switches the previews at once */
  'settings:set': {
    input: s.object({
      inference: s.optional(settingSchemas.inference),
      training: s.optional(settingSchemas.training),
      downloads: s.optional(settingSchemas.downloads),
    }),
    output: settingsState,
  },

  /** cancels a running job ('models:open', a render view, …) */
  'jobs:cancel': { input: s.object({ job: s.text(64) }), output: s.object({ cancelled: s.boolean() }) },

  /** the system's folder dialog, over the window that asked: the folder chosen, or null when the user cancelled.
   *  Electron only: web mode has no system dialog and refuses with code 'unsupported' (the renderer keeps its path
   *  field; engine:info's shell says which) */
  'dialog:chooseFolder': {
    input: s.object({ title: s.optional(s.text(LIMITS.name)), defaultPath: s.optional(s.text(LIMITS.path)) }),
    output: s.object({ path: s.nullable(s.string()) }),
  },
} satisfies Record<string, ChannelSchemas>

export type StudioSettings = Infer<typeof studioSettings>
export type InferenceSetting = StudioSettings['inference']
export type TrainingSetting = StudioSettings['training']
export type DownloadsSetting = StudioSettings['downloads']
export type SettingsState = Infer<typeof settingsState>
