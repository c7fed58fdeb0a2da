// Starting a worker thread of the main process, from the TypeScript sources (vitest, tsx, the CLI) or from the
// bundle (electron.vite.config.ts builds each worker entry beside the bundled main): the engine's and the training
// client's threads, and the thread where a run's 'auto' times a TensorFlow.js step.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'

/**
 * Starts a worker thread. `from` is the caller's import.meta.url. From source (a .ts caller: vitest, tsx) the
 * worker is `sourceEntry` (e.g. '../worker/engineWorker.ts'), compiled on the fly by tsx's loader registered inside the worker
 * before the entry is imported: Node 20 does not apply `--import tsx` from a worker's execArgv to the worker's own
 * entry (ERR_UNKNOWN_FILE_EXTENSION). Bundled, it is `bundledEntry` (e.g. './engineWorker.js') beside the bundle.
 */
export function spawnThread(from: string, sourceEntry: string, bundledEntry: string, workerData: unknown): Worker {
  if (from.endsWith('.ts')) {
    const entry = new URL(sourceEntry, from).href
    const tsx = tsxEsmApi(from)
    const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}) })`
    return new Worker(bootstrap, { eval: true, workerData })
  }
  return new Worker(new URL(bundledEntry, from), { workerData })
}

/** The file URL of tsx's ESM register API, from its package's export map (require.resolve would give the CommonJS
 *  build, which cannot register the ESM hooks). */
function tsxEsmApi(from: string): string {
  const manifest = createRequire(from).resolve('tsx/package.json')
  const exports = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports
  return pathToFileURL(join(dirname(manifest), exports['./esm/api'].import.default)).href
}

