// The inference runtimes a user can ask for, with no dependency: the CLI checks --runtime before it loads anything.
export const RUNTIME_NAMES = ['onnx', 'tfjs', 'auto'] as const
export type RuntimeName = (typeof RUNTIME_NAMES)[number]

/** The setting: the runtime every command and the studio use unless a flag says otherwise. */
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
