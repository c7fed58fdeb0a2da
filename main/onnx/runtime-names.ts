// The inference runtimes a user can ask for, with no dependency: the CLI checks --runtime before it loads anything,
// and the studio's setting (main/store/settings.ts) stores the same names.
export const RUNTIME_NAMES = ['onnx', 'tfjs', 'auto'] as const
export type RuntimeName = (typeof RUNTIME_NAMES)[number]

/** onnxruntime's CPU threads per op: a count, or 'auto': timed once per machine and model size, 1 against one per
 *  core (on a shared or busy machine 1 thread can win), the faster kept. */
export type OrtThreads = 'auto' | number

/** The studio's inference setting before anyone changes it. */
export const DEFAULT_RUNTIME_SETTING: { runtime: RuntimeName; threads: OrtThreads } = { runtime: 'auto', threads: 'auto' }

/** Overrides the studio setting and is the default for the CLI (where a flag overrides it in turn). */
export const RUNTIME_ENV_VAR = 'BIGGAN_RUNTIME'

export function isRuntimeName(value: string): value is RuntimeName {
  return (RUNTIME_NAMES as readonly string[]).includes(value)
}

/** The runtime asked for: `flag` (e.g. --runtime), else BIGGAN_RUNTIME, else 'auto'; with where it came from. */
export function requestedRuntime(flag?: string, flagName = '--runtime', env: NodeJS.ProcessEnv = process.env): { name: RuntimeName; source: string } {
  const [value, source] = flag !== undefined ? [flag, flagName] : [env[RUNTIME_ENV_VAR], RUNTIME_ENV_VAR]
  if (value === undefined || value === '') return { name: 'auto', source: 'the default' }
  if (!isRuntimeName(value)) throw new Error(`unknown runtime '${value}' (from ${source}): choose one of ${RUNTIME_NAMES.join(', ')}`)
  return { name: value, source }
}

/** What serves the studio's previews: the runtime, where that came from, and onnxruntime's threads. */
export interface RuntimeRequest {
  name: RuntimeName
  source: string
  threads: OrtThreads
}

/** The studio's runtime: BIGGAN_RUNTIME where it is set (it overrides the setting, and `override` says so), else
 *  the setting. An unknown BIGGAN_RUNTIME is an override too, one that names the problem; the setting serves. */
export function studioRuntime(
  setting: { runtime: RuntimeName; threads: OrtThreads },
  env: NodeJS.ProcessEnv = process.env,
): RuntimeRequest & { override: string | null } {
  const value = env[RUNTIME_ENV_VAR]
  const fromSetting = { name: setting.runtime, source: 'the studio setting', threads: setting.threads }
  if (value === undefined || value === '') return { ...fromSetting, override: null }
  if (!isRuntimeName(value)) {
    return { ...fromSetting, override: `${RUNTIME_ENV_VAR}=${value} is not a runtime (choose one of ${RUNTIME_NAMES.join(', ')}), so the setting serves` }
  }
  return { name: value, source: RUNTIME_ENV_VAR, threads: setting.threads, override: `${RUNTIME_ENV_VAR}=${value} is set, and overrides this setting` }
}
