// Chooses the TensorFlow.js backend the engine computes on, and records what it tried so that `biggan info` and
// the studio can say why a machine is fast or slow.
//
// Order: tfjs-node-gpu (native TensorFlow with CUDA) → tfjs-node (native TensorFlow) → wasm (XNNPACK, SIMD) → cpu
// (plain JavaScript, about 30× slower than wasm). The native packages are optionalDependencies that often fail to
// install (their install script downloads libtensorflow), so they are imported only here, behind a guard.
// BIGGAN_BACKEND or an explicit `backend` forces one; a forced backend that does not load is an error, never a
// silent fallback to something slower.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { dirname, join, sep } from 'node:path'
import { BACKEND_ENV_VAR, BACKEND_NAMES, isBackendName, type BackendName } from './names.ts'
import { tf } from '../engine/tf.ts'
import { maxWasmThreads, parseWasmThreads, WASM_THREADS_ENV_VAR } from './threadCounts.ts'
import { prepareThreadedStart, releasePoolWorkers, wasmThreadsSupported, type ThreadedStart } from './wasmThreads.ts'

export { BACKEND_ENV_VAR, BACKEND_NAMES, type BackendName }

export interface BackendAttempt {
  name: BackendName
  ok: boolean
  error?: string // first line of why it did not load
}

export interface BackendInfo {
  name: BackendName
  tfBackend: string // the name TensorFlow.js knows it by: 'tensorflow' for both native packages
  tried: BackendAttempt[] // in the order tried; a forced backend lists only itself
  threads: number // compute threads the backend uses (for native TensorFlow: its default pool, one per core)
  simd: boolean // true when the wasm SIMD build runs; false for the other backends
  version: string // @tensorflow/tfjs version
  notes: string[] // facts a user should know about this backend on this machine
}

export interface InitBackendOptions {
  // One of BACKEND_NAMES. Overrides BIGGAN_BACKEND; both absent means "the fastest that loads".
  backend?: string
  // Threads for the wasm backend under Node (wasmThreads.ts); overrides BIGGAN_WASM_THREADS; absent means 1.
  // Read only when wasm first starts: a started wasm backend keeps its thread pool for the life of the process.
  wasmThreads?: number
}

export type BackendErrorCode = 'unknown-backend' | 'backend-unavailable' | 'not-initialised' | 'bad-threads'

export class BackendError extends Error {
  override readonly name = 'BackendError'
  constructor(
    readonly code: BackendErrorCode,
    message: string,
  ) {
    super(message)
  }
}

// Validates a backend name given by a user; `source` says where it came from, for the message.
export function parseBackendName(value: string, source: string): BackendName {
  if (!isBackendName(value)) {
    throw new BackendError(
      'unknown-backend',
      `unknown backend '${value}' (from ${source}): choose one of ${BACKEND_NAMES.join(', ')}`,
    )
  }
  return value
}

interface Loaded {
  tfBackend: string
  threads: number
  simd: boolean
  notes: string[]
}

// What the loaders are asked for, validated.
interface Wanted {
  wasmThreads: number
}

const loaders: Record<BackendName, (wanted: Wanted) => Promise<Loaded>> = {
  'tfjs-node-gpu': () => loadNative(() => import('@tensorflow/tfjs-node-gpu'), 'tfjs-node-gpu'),
  'tfjs-node': () => loadNative(() => import('@tensorflow/tfjs-node'), 'tfjs-node'),
  wasm: loadWasm,
  cpu: loadCpu,
}

let current: BackendInfo | null = null
// Calls are serialised so that two concurrent initBackend() calls never race tf.setBackend.
let queue: Promise<unknown> = Promise.resolve()

// Loads a backend and makes it TensorFlow.js's current one. Idempotent: once a backend is up, a call that forces
// nothing (or forces the same one) returns the same info; a call that forces a different backend switches to it.
export function initBackend(opts: InitBackendOptions = {}): Promise<BackendInfo> {
  const run = async (): Promise<BackendInfo> => {
    const forced = requestedBackend(opts)
    if (current && (forced === null || forced.name === current.name)) return current
    const wanted: Wanted = { wasmThreads: requestedWasmThreads(opts) }
    current = forced ? await loadForced(forced.name, forced.source, wanted) : await loadFastest(wanted)
    return current
  }
  const result = queue.then(run)
  queue = result.catch(() => undefined)
  return result
}

// The backend initBackend() settled on. Throws if initBackend() has not finished yet.
export function backendInfo(): BackendInfo {
  if (!current) {
    throw new BackendError('not-initialised', 'no TensorFlow.js backend yet: await initBackend() first')
  }
  return current
}

function requestedBackend(opts: InitBackendOptions): { name: BackendName; source: string } | null {
  if (opts.backend !== undefined) {
    return { name: parseBackendName(opts.backend, 'the backend option'), source: 'the backend option' }
  }
  const fromEnv = process.env[BACKEND_ENV_VAR]
  if (fromEnv) {
    const source = `${BACKEND_ENV_VAR}=${fromEnv}`
    return { name: parseBackendName(fromEnv, source), source }
  }
  return null
}

async function loadForced(name: BackendName, source: string, wanted: Wanted): Promise<BackendInfo> {
  try {
    const loaded = await loaders[name](wanted)
    return info(name, loaded, [{ name, ok: true }])
  } catch (err) {
    // A failed tf.setBackend leaves TensorFlow.js pointing at the broken backend: go back to the one that worked.
    if (current) await tf.setBackend(current.tfBackend)
    throw new BackendError(
      'backend-unavailable',
      `the ${name} backend was requested (${source}) but did not load: ${firstLine(err)}. ${HINTS[name]}`,
    )
  }
}

async function loadFastest(wanted: Wanted): Promise<BackendInfo> {
  const tried: BackendAttempt[] = []
  for (const name of BACKEND_NAMES) {
    try {
      const loaded = await loaders[name](wanted)
      tried.push({ name, ok: true })
      return info(name, loaded, tried)
    } catch (err) {
      tried.push({ name, ok: false, error: firstLine(err) })
    }
  }
  const reasons = tried.map((t) => `${t.name}: ${t.error}`).join('; ')
  throw new BackendError('backend-unavailable', `no TensorFlow.js backend loaded (${reasons})`)
}

function info(name: BackendName, loaded: Loaded, tried: BackendAttempt[]): BackendInfo {
  return Object.freeze({
    name,
    tfBackend: loaded.tfBackend,
    tried: tried.map((t) => Object.freeze({ ...t })),
    threads: loaded.threads,
    simd: loaded.simd,
    version: tf.version.tfjs,
    notes: loaded.notes,
  })
}

const HINTS: Record<BackendName, string> = {
  'tfjs-node-gpu':
    'Install it with `npm install @tensorflow/tfjs-node-gpu@4.22.0` (Linux x64, CUDA 11.2 and cuDNN 8.1; ' +
    'its install downloads libtensorflow), ' +
    'or pick another backend (BIGGAN_BACKEND=wasm, or --backend wasm in the CLI)',
  'tfjs-node':
    'Install it with `npm install @tensorflow/tfjs-node@4.22.0` (its install downloads libtensorflow), ' +
    'or pick another backend (BIGGAN_BACKEND=wasm, or --backend wasm in the CLI)',
  wasm: 'Check that node_modules/@tensorflow/tfjs-backend-wasm/dist holds the .wasm files (reinstall with `npm ci`)',
  cpu: 'The cpu backend ships with @tensorflow/tfjs; reinstall with `npm ci`',
}

// Both native packages register themselves as 'tensorflow' when imported.
async function loadNative(importPackage: () => Promise<unknown>, name: BackendName): Promise<Loaded> {
  await importPackage()
  await activate('tensorflow')
  return {
    tfBackend: 'tensorflow',
    threads: availableParallelism(),
    simd: false,
    notes: [
      `${name}: native TensorFlow sizes its own thread pool (by default one per core: ${availableParallelism()})`,
    ],
  }
}

async function loadWasm(wanted: Wanted): Promise<Loaded> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm')
  const dir = wasmBinaryDir()
  // Needed once bundled: the bundled module looks for the .wasm files next to itself (out/main), where they
  // are not. Under tsx and vitest the package's own CJS entry would find them anyway.
  if (dir) wasm.setWasmPaths(dir)
  const requested = wanted.wasmThreads
  const threaded = requested > 1 && tf.env().getBool('IS_NODE')
  let start: ThreadedStart | null = null
  if (threaded) {
    if (!wasmThreadsSupported()) {
      throw new Error(`${requested} wasm threads were asked for, but this runtime has no shared wasm memory (ask for 1)`)
    }
    start = prepareThreadedStart(requested)
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true)
    wasm.setThreadsCount(requested)
  }
  const before = processErrorListeners()
  try {
    await activate('wasm')
  } finally {
    start?.undo()
    removeListenersAddedSince(before)
  }
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true
  const multithread = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true
  const threads = wasm.getThreadsCount()
  if (threaded) releasePoolWorkers((tf.backend() as unknown as { wasm: unknown }).wasm)
  const notes: string[] = []
  if (!multithread && tf.env().getBool('IS_NODE')) {
    notes.push(
      `wasm computes on one thread: tfjs 4.22 turns wasm threads off under Node; ${WASM_THREADS_ENV_VAR}=` +
        `${maxWasmThreads()} (or --threads in the CLI) starts its threaded build on every core`,
    )
  } else if (threaded) {
    notes.push(`wasm's threaded build runs XNNPACK on ${threads} threads (${WASM_THREADS_ENV_VAR} or --threads)`)
  }
  if (!simd) notes.push('this runtime has no WebAssembly SIMD: the plain wasm build is several times slower')
  return { tfBackend: 'wasm', threads, simd, notes }
}

// The wasm thread count asked for: the option, else BIGGAN_WASM_THREADS, else 1. 'max' means one per core.
function requestedWasmThreads(opts: InitBackendOptions): number {
  const fromEnv = process.env[WASM_THREADS_ENV_VAR]
  const [value, source] =
    opts.wasmThreads !== undefined
      ? [String(opts.wasmThreads), 'the wasmThreads option']
      : fromEnv
        ? [fromEnv, `${WASM_THREADS_ENV_VAR}=${fromEnv}`]
        : ['1', 'the default']
  try {
    return parseWasmThreads(value, source)
  } catch (e) {
    throw new BackendError('bad-threads', e instanceof Error ? e.message : String(e))
  }
}

async function loadCpu(): Promise<Loaded> {
  await activate('cpu')
  return {
    tfBackend: 'cpu',
    threads: 1,
    simd: false,
    notes: ['cpu is plain single-threaded JavaScript, about 30× slower than wasm: fine for tests, not for training'],
  }
}

async function activate(tfBackend: string): Promise<void> {
  if (!(await tf.setBackend(tfBackend))) {
    throw new Error(`tf.setBackend('${tfBackend}') failed to initialise (TensorFlow.js logged the cause above)`)
  }
}

// The folder holding tfjs-backend-wasm's three .wasm builds (with a trailing separator, as setWasmPaths wants),
// resolved from this module so that it works under tsx, vitest and the bundled app alike.
function wasmBinaryDir(): string | null {
  try {
    const require = createRequire(import.meta.url)
    const dir = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')
    return existsSync(join(dir, 'tfjs-backend-wasm-simd.wasm')) ? dir + sep : null
  } catch {
    return null
  }
}

// Emscripten's Node glue adds process handlers that rethrow every later uncaught error from inside its own
// minified file (burying the real message under kilobytes of source), and tfjs 4.22's cleanup of them never
// matches anything. We take them off again: errors in this process belong to the code that raised them.
interface ErrorListeners {
  uncaughtException: NodeJS.UncaughtExceptionListener[]
  unhandledRejection: NodeJS.UnhandledRejectionListener[]
}

function processErrorListeners(): ErrorListeners {
  return {
    uncaughtException: process.listeners('uncaughtException'),
    unhandledRejection: process.listeners('unhandledRejection'),
  }
}

function removeListenersAddedSince(before: ErrorListeners): void {
  for (const listener of process.listeners('uncaughtException')) {
    if (!before.uncaughtException.includes(listener)) process.removeListener('uncaughtException', listener)
  }
  for (const listener of process.listeners('unhandledRejection')) {
    if (!before.unhandledRejection.includes(listener)) process.removeListener('unhandledRejection', listener)
  }
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String((err as { message?: unknown })?.message ?? err)
  return text.split('\n', 1)[0].trim()
}
