// A training worker: the thread where the fine-tune view's work runs, apart from the engine worker that owns the
// previewed model (engineWorker.ts), so previews never wait for a training step. It serves protocol/training.ts
// requests as they come (a scan and a checkpoint render may overlap); renders of checkpoints run one at a time, since
// they share the loaded checkpoints. Runs are started, resumed and read through main/runs/. Built as
// out/main/trainWorker.js.
import { parentPort, workerData } from 'node:worker_threads'
import { initBackend } from '../../backend/backend.ts'
import { tf } from '../../engine/tf.ts'
import { plan, resume, start, type RunJob } from './finetuneJobs.ts'
import { HostError } from '../protocol/errors.ts'
import { folderThumbnails, loadFolder, scanReport } from './imageFolders.ts'
import { EXECUTOR_ENV_VAR, requestedExecutor, type ExecutorRequest } from '../../runs/executorNames.ts'
import { checkpointAt, memorisationAt, previewAt, publishedModel, runHistory } from '../../runs/read.ts'
import type { Handlers } from '../protocol/messages.ts'
import type { RunEvent, TrainOperations, TrainWorkerData } from '../protocol/training.ts'
import { CheckpointCache, renderWatched } from './watch.ts'
import { serveRequests } from './serve.ts'

if (!parentPort) throw new Error('engine-host/worker/trainWorker.ts runs as a worker thread; start it through TrainClient')
const port = parentPort
const data = workerData as TrainWorkerData
const stop = new Int32Array(data.stop)
const backend = initBackend({ wasmThreads: data.wasmThreads ?? 1 })
backend.catch(() => undefined) // each request reports a failed backend itself
let computesOn = 'an unknown backend'
backend.then(
  ({ name, threads }) => (computesOn = name === 'wasm' ? `wasm, ${threads} thread${threads === 1 ? '' : 's'}` : name),
  () => undefined,
)
/** What computes a new run's steps: BIGGAN_EXECUTOR where it is set, else the studio's setting; onnxruntime gets
 *  the run's threads. */
function executorRequest(): ExecutorRequest {
  const asked = process.env[EXECUTOR_ENV_VAR] ? requestedExecutor() : { name: data.executor ?? 'auto', source: 'the studio setting' }
  return { ...asked, threads: data.wasmThreads ?? 1 }
}
const checkpoints = new CheckpointCache()
let renders: Promise<unknown> = Promise.resolve()

const handlers: Handlers<TrainOperations, RunJob> = {
  async memory() {
    return { numTensors: tf.memory().numTensors }
  },
  async scan(request, job) {
    const dataset = await loadFolder(request.path, request.resolution, request.seed, job, 'reading images')
    return scanReport(dataset, request.seed, request.thumbnailsPerClass)
  },
  plan: (request, job) => plan(request.job, job),
  start: (request, job) => start(request, job, executorRequest()),
  resume: (request, job) => resume(request, job),
  watch(request, job) {
    const next = renders.then(async () => renderWatched(await checkpoints.get(request.checkpointDir), request.points, job))
    renders = next.catch(() => undefined)
    return next
  },
  history: (request) => runHistory(request.runDir, request.maxPoints, request.known),
  async checkpoint({ runDir, at, known }) {
    const dir = typeof at === 'number' ? await checkpointAt(runDir, at, known) : await publishedModel(runDir, at)
    return { dir: dir ?? null }
  },
  async preview({ runDir, step }) {
    const found = await previewAt(runDir, step)
    if (!found) return null
    if (!found.layout) throw new HostError('failed', `${found.file} is not a preview grid this version reads: it says nothing of its samples`)
    return { png: found.png, layout: found.layout }
  },
  async memorisation({ runDir, step, dataDir, size }) {
    const check = await memorisationAt(runDir, step).catch((e: Error) => {
      throw new HostError('failed', e.message)
    })
    if (!check) return null
    const relPaths = check.samples.flatMap((sample) => [...sample.pixels, ...(sample.features ?? [])].map((n) => n.relPath))
    return { ...check, ...(await folderThumbnails(dataDir, relPaths, size)) }
  },
}

serveRequests<TrainOperations, RunJob, RunEvent>(port, {
  name: 'training worker',
  handlers,
  job: (seq, request, post) => {
    const stopRequested = (): boolean => Atomics.load(stop, 0) === seq
    return {
      check: () => {
        if (stopRequested()) throw new HostError('cancelled', `${request.op} was stopped`)
      },
      stopRequested,
      progress: (label, done, total) => post({ type: 'progress', seq, label, done, total }),
      // the run says what computes its steps (an executor's label) where it knows; the backend otherwise
      emit: (event) => post({ type: 'event', seq, event: event.kind === 'started' ? { computesOn, ...event } : event }),
    }
  },
  ready: async () => {
    await backend
  },
  order: 'concurrent',
})
