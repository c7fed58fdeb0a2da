// The training executors a person can ask for, with no dependency: the CLI checks --executor before it loads
// anything, and the studio's setting stores the same names (main/runs/executor.ts chooses among them).
export const EXECUTOR_NAMES = ['auto', 'onnx', 'tfjs'] as const
export type ExecutorName = (typeof EXECUTOR_NAMES)[number]

/** Overrides the default for the CLI (a flag overrides it in turn) and the studio's setting. */
export const EXECUTOR_ENV_VAR = 'BIGGAN_EXECUTOR'

/** What run.json says about the executor. */
export interface ExecutorRecord {
  name: 'onnx' | 'tfjs'
  /** what computes, for a person: 'onnxruntime (CPU, 2 threads)' */
  label: string
  reason: string
  /** onnxruntime's CPU threads: a resume takes the same count, since a reduction split another way rounds another way */
  threads?: number
}

export function isExecutorName(value: string): value is ExecutorName {
  return (EXECUTOR_NAMES as readonly string[]).includes(value)
}

/** The executor asked for: `given` (a flag or the studio setting), else BIGGAN_EXECUTOR, else 'auto'. */
export function requestedExecutor(given?: string, env: NodeJS.ProcessEnv = process.env): { name: ExecutorName; source: string } {
  const [value, source] = given !== undefined ? [given, '--executor'] : [env[EXECUTOR_ENV_VAR], EXECUTOR_ENV_VAR]
  if (value === undefined || value === '') return { name: 'auto', source: 'the default' }
  if (!isExecutorName(value)) throw new Error(`unknown executor '${value}' (from ${source}): choose one of ${EXECUTOR_NAMES.join(', ')}`)
  return { name: value, source }
}

export interface ExecutorRequest {
  name: ExecutorName
  /** where the request came from, for the reason */
  source: string
  /** onnxruntime's CPU threads (default one per core) */
  threads?: number
}

