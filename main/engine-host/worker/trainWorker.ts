// A training worker: the thread where the fine-tune view's work runs, apart from the engine worker that owns the
// previewed model (worker.ts), so previews never wait for a training step. It serves trainProtocol.ts requests as
// they come (a scan and a checkpoint render may overlap); renders of checkpoints run one at a time, since they share
// the loaded checkpoints. Built as out/main/trainWorker.js.
import { parentPort, workerData } from 'node:worker_threads'
import { initBackend } from '../../backend/backend.ts'
import { tf } from '../../engine/tf.ts'
import { plan, resume, start, type RunJob } from './finetuneJobs.ts'
import { HostError } from './job.ts'
import { folderThumbnails, loadFolder, runHistory, scanReport } from './runFiles.ts'
import type { Handlers } from '../protocol/messages.ts'
import type { RunEvent, TrainOperations, TrainWorkerData } from '../protocol/training.ts'
import { CheckpointCache, renderWatched } from './watch.ts'
import { serveRequests } from './serve.ts'

if (!parentPort) throw new Error('engine-host/trainWorker.ts runs as a worker thread; start it through TrainClient')
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
  plan: (request, job) => plan(request.spec, job),
  start: (request, job) => start(request, job),
  resume: (request, job) => resume(request, job),
  watch(request, job) {
    const next = renders.then(async () => renderWatched(await checkpoints.get(request.checkpointDir), request.points, job))
    renders = next.catch(() => undefined)
    return next
  },
  thumbnails: (request) => folderThumbnails(request.dataDir, request.relPaths, request.size),
  history: (request) => runHistory(request.runDir, request.maxPoints, request.known),
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
      emit: (event) => post({ type: 'event', seq, event: event.kind === 'started' ? { ...event, computesOn } : event }),
    }
  },
  ready: async () => {
    await backend
  },
  order: 'concurrent',
})
