// The threaded SIMD build of the wasm backend under Node: XNNPACK on several cores instead of one.
//
// tfjs 4.22 turns wasm threads off whenever it runs under Node (WASM_HAS_MULTITHREAD_SUPPORT is hard-coded false,
// tensorflow/tfjs#3830). The threaded build itself runs fine there: what stops it is how it starts its pthread
// workers. It hands Emscripten two Blob URLs (the worker script and the module's main script), and Node's Worker
// takes only file paths. For the duration of the backend's start, this module
//   - turns each of those Blobs into a file in a private temporary folder (0700), so that the Worker gets a path
//     (the folder is removed at exit, or by a later start once its process is gone);
//     the worker file gets a short prelude that resolves those paths inside the worker too;
//   - points the workers at the package's own copy of the threaded module (wasm-out/…-threaded-simd.js) rather than
//     at the text tfjs builds from its bundle, whose free variables only exist inside that bundle;
//   - reports 2 × the requested number of logical cores to the build, because tfjs's C++ caps XNNPACK's pool at
//     min(requested, cores / 2): on a 2-core machine it would otherwise stay at one thread.
// Everything is put back when the backend has started. Nothing here changes a number: the threaded build gives the
// same outputs as the single-threaded one (test/engine/wasmThreads.test.ts checks it bit for bit). Thread counts,
// and the studio's rule for them, live in threadCounts.ts.
//
// Measured on the 2-core development box, the default model's training step (batch 16, npm run bench:train): 3.14 s
// on one thread, 2.31 s on two (1.36×).
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { join } from 'node:path'

/** What must happen around tf.setBackend('wasm') for the threaded build to start; undo() puts Node back. */
export interface ThreadedStart {
  undo: () => void
}


// Node has the WebAssembly global, but its declaration lives in TypeScript's DOM lib, which main/ is checked without
// (@types/node 20 leaves it out); this is the one member used here.
declare const WebAssembly: { validate(bytes: Uint8Array): boolean }

/** Whether this runtime can run the threaded build at all (shared memory and wasm atomics). */
export function wasmThreadsSupported(): boolean {
  if (typeof SharedArrayBuffer !== 'function') return false
  // The smallest module with a shared memory and an atomic load: what wasm-feature-detect's `threads` validates.
  const probe = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0,
    26, 11,
  ])
  try {
    return WebAssembly.validate(probe)
  } catch {
    return false
  }
}

// The prelude of the worker file: inside the worker, the "Blob" tfjs posts for the main script arrives as a plain
// object carrying our file's path, and Emscripten's worker asks URL.createObjectURL for it.
const WORKER_PRELUDE =
  'var __bigganCreate=URL.createObjectURL,__bigganRevoke=URL.revokeObjectURL;' +
  'URL.createObjectURL=function(b){return b&&typeof b.bigganPath==="string"?b.bigganPath:__bigganCreate(b)};' +
  'URL.revokeObjectURL=function(u){if(typeof u==="string"&&u.startsWith("blob:"))__bigganRevoke(u)};\n'

// The temporary folders are named for the process that made them, biggan-wasm-threads-<pid>-XXXXXX. A process
// removes its own at exit, but one that is killed, or a worker thread that is terminated, cannot: each start sweeps
// the folders of processes that no longer run, so they do not pile up in the temporary directory.
const FOLDER_PREFIX = 'biggan-wasm-threads-'
const FOLDER_NAME = /^biggan-wasm-threads-(\d+)-[A-Za-z0-9]{6}$/

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    // EPERM: it runs, as another user
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Removes the worker folders in `parent` left by processes of this user that no longer run; returns their names.
 *  A folder of a running process, another user's, or any other name is left alone. */
export function sweepStaleThreadFolders(parent: string = os.tmpdir()): string[] {
  const uid = process.getuid?.()
  const removed: string[] = []
  let names: string[]
  try {
    names = readdirSync(parent)
  } catch {
    return removed
  }
  for (const name of names) {
    const m = FOLDER_NAME.exec(name)
    if (!m || Number(m[1]) === process.pid || processRuns(Number(m[1]))) continue
    const path = join(parent, name)
    try {
      const stat = statSync(path)
      if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) continue
      rmSync(path, { recursive: true, force: true })
      removed.push(name)
    } catch {
      // gone already, or not ours to remove: either way nothing to do
    }
  }
  return removed
}

/** Prepares the process for starting the threaded wasm build with `threads` threads. Call undo() once
 *  tf.setBackend('wasm') has settled, whether or not it worked. */
export function prepareThreadedStart(threads: number): ThreadedStart {
  if (!Number.isInteger(threads) || threads < 2) throw new Error(`a threaded start needs 2 or more threads, got ${threads}`)
  const require = createRequire(import.meta.url)
  const moduleScript = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js')
  sweepStaleThreadFolders()
  const dir = mkdtempSync(join(os.tmpdir(), `${FOLDER_PREFIX}${process.pid}-`))
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))

  const RealBlob = globalThis.Blob
  const realCreate = URL.createObjectURL
  const realCpus = os.cpus
  let files = 0
  // Only the two Blobs tfjs makes while the backend starts pass through here.
  class FileBlob {
    readonly bigganPath: string
    constructor(parts: unknown[]) {
      const text = parts.map(String).join('')
      if (text.startsWith('var WasmBackendModuleThreadedSimd')) {
        this.bigganPath = moduleScript
        return
      }
      this.bigganPath = join(dir, `worker-${files++}.cjs`)
      writeFileSync(this.bigganPath, WORKER_PRELUDE + text, { mode: 0o600 })
    }
  }
  const cpus = realCpus()
  const oneCore = cpus[0]
  Object.assign(globalThis, { Blob: FileBlob })
  URL.createObjectURL = (blob: unknown) => (blob instanceof FileBlob ? blob.bigganPath : realCreate(blob as Blob))
  os.cpus = () => Array.from({ length: 2 * threads }, (_, i) => cpus[i] ?? oneCore)
  return {
    undo: () => {
      Object.assign(globalThis, { Blob: RealBlob })
      URL.createObjectURL = realCreate
      os.cpus = realCpus
    },
  }
}

interface PoolWorker {
  unref?: () => void
}

/** Lets the process exit while XNNPACK's pool threads wait for work. Emscripten unrefs a pthread worker when it
 *  finishes loading, and refs it again while it runs a pthread; the pool's threads run for the life of the module,
 *  so without this a CLI command that has finished would never exit. `module` is the started backend's wasm module. */
export function releasePoolWorkers(module: unknown): number {
  const pthread = (module as { PThread?: { runningWorkers?: PoolWorker[]; unusedWorkers?: PoolWorker[] } }).PThread
  const workers = [...(pthread?.runningWorkers ?? []), ...(pthread?.unusedWorkers ?? [])]
  for (const worker of workers) worker.unref?.()
  return workers.length
}
