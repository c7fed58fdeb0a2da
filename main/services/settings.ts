// The studio's settings (settings:get / settings:set) over the library that stores them and the engine worker they
// steer. The inference runtime acts at once: the worker switches to it without a restart (the open model's previews
// reopen on it); BIGGAN_RUNTIME overrides it. The training settings act on the next run (finetune.ts asks runCompute
// when a run's worker starts); BIGGAN_WASM_THREADS overrides them. The state says what overrides what.
import { availableParallelism } from 'node:os'
import type { SettingsState } from '../../preload/contract/index.ts'
import type { EngineClient } from '../engine-host/client/engineClient.ts'
import type { Handlers } from '../ipc/router.ts'
import { trainingThreads } from '../backend/threadCounts.ts'
import type { RunCompute } from '../engine-host/protocol/training.ts'
import { studioRuntime } from '../onnx/runtime-names.ts'
import { DEFAULT_SETTINGS, type Library, type SettingsRead } from '../store/index.ts'

export interface SettingsOptions {
  engine: EngineClient
  library: Library
  /** where BIGGAN_RUNTIME is read (process.env in the app) */
  env: NodeJS.ProcessEnv
}

type SettingsChannel = 'settings:get' | 'settings:set'

export function createSettings(options: SettingsOptions): { handlers: Pick<Handlers, SettingsChannel>; runCompute: () => RunCompute } {
  const { engine, library, env } = options

  /** The stored settings; unusable stored values read as defaults, and the notices (shown with the settings) say so. */
  const read = (): SettingsRead => {
    try {
      return library.settings()
    } catch (err) {
      return { settings: structuredClone(DEFAULT_SETTINGS), notices: [`The settings could not be read, so the defaults serve: ${(err as Error).message}`] }
    }
  }

  // before any worker starts, so the first one opens models on it
  void engine.setRuntime(studioRuntime(read().settings.inference, env))

  const state = async ({ settings, notices }: SettingsRead): Promise<SettingsState> => {
    const info = await engine.call({ op: 'info' })
    const { override } = studioRuntime(settings.inference, env)
    return {
      settings,
      inference: { previews: info.previews, reason: info.previewsReason, override, cores: availableParallelism() },
      training: trainingThreads(settings.training.threads, env),
      notices,
    }
  }

  return {
    /** how a fine-tuning run starting now computes: the stored settings (BIGGAN_WASM_THREADS and BIGGAN_EXECUTOR
     *  override them in the training worker) */
    runCompute: () => {
      const { training } = read().settings
      return { wasmThreads: trainingThreads(training.threads, env).threads, executor: training.executor }
    },
    handlers: {
      'settings:get': async () => state(read()),
      'settings:set': async (patch) => {
        const saved = library.saveSettings(patch)
        if (patch.inference) await engine.setRuntime(studioRuntime(saved.settings.inference, env))
        return state(saved)
      },
    },
  }
}
