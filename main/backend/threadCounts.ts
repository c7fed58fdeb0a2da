// Thread counts for the wasm backend: the names users give them by, and the studio's rule for training runs.
// The studio's main thread reads these (its settings), so nothing here may import TensorFlow.js or start anything;
// the threaded build's start is wasmThreads.ts's.
import { availableParallelism } from 'node:os'

export const WASM_THREADS_ENV_VAR = 'BIGGAN_WASM_THREADS'

/** The most threads worth asking for here: one per core the machine has. */
export function maxWasmThreads(): number {
  return Math.max(1, availableParallelism())
}

/** Validates a wasm thread count given by a user ('max' = one per core); `source` says where it came from. */
export function parseWasmThreads(value: string, source: string): number {
  if (value.trim() === 'max') return maxWasmThreads()
  const n = Number(value)
  if (value.trim() === '' || !Number.isInteger(n) || n < 1 || n > 64) {
    throw new Error(`wasm threads must be a whole number from 1 to 64 or 'max', not '${value}' (from ${source})`)
  }
  return n
}

/** The threads a studio fine-tuning run computes on: BIGGAN_WASM_THREADS where set and valid (`override` says so,
 *  and says when it is not valid),
 *  else the setting, whose 'auto' keeps one core for the previews and the window (so a 2-core machine trains on 1). */
export function trainingThreads(
  setting: 'auto' | number,
  env: NodeJS.ProcessEnv = process.env,
  cores: number = maxWasmThreads(),
): { threads: number; override: string | null } {
  const fromSetting = setting === 'auto' ? Math.max(1, cores - 1) : setting
  const fromEnv = env[WASM_THREADS_ENV_VAR]
  if (!fromEnv) return { threads: fromSetting, override: null }
  try {
    const threads = parseWasmThreads(fromEnv, WASM_THREADS_ENV_VAR)
    return { threads, override: `${WASM_THREADS_ENV_VAR}=${fromEnv} is set, and overrides this setting: runs train on ${threads} thread${threads === 1 ? '' : 's'}` }
  } catch (e) {
    return { threads: fromSetting, override: `${(e as Error).message}: it is ignored, and the setting serves` }
  }
}
