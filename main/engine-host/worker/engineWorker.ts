// The engine worker: the one thread where TensorFlow.js runs. It holds one model and serves the client's requests
// one at a time (protocol/engine.ts), checking the shared cancel flag between batches. Built as out/main/engineWorker.js.
import { parentPort, workerData } from 'node:worker_threads'
import { initBackend } from '../../backend/backend.ts'
import { Random } from '../../engine/sampling/random.ts'
import { tf } from '../../engine/tf.ts'
import type { TruncationPolicy } from '../../engine/sampling/truncation.ts'
import { rgbToRgba } from '../../images/raster.ts'
import { directions } from './directions.ts'
import { pointPng, sequenceFile } from './exports.ts'
import { inspectHandlers } from './inspectJobs.ts'
import { HostError } from '../protocol/errors.ts'
import type { Job } from './job.ts'
import { metricsHandlers } from './metricsJobs.ts'
import { openDefault, openPath, type OpenModel } from './models.ts'
import type { Handlers } from '../protocol/messages.ts'
import type { Operations, WorkerData } from '../protocol/engine.ts'
import { openPreviews } from './previews.ts'
import { renderRgb } from './render.ts'
import { serveRequests } from './serve.ts'

if (!parentPort) throw new Error('engine-host/worker/engineWorker.ts runs as a worker thread; start it through EngineClient')
const port = parentPort
const cancelled = new Int32Array((workerData as WorkerData).cancel)
const backend = initBackend()
backend.catch(() => undefined) // each request reports a failed backend itself
let current: OpenModel | undefined
/** the models folder the current model was opened with: its exported graphs are cached beside it */
let currentModelsDir: string | undefined
let runtime = (workerData as WorkerData).runtime

const handlers: Handlers<Operations, Job> = {
  ...inspectHandlers(() => modelOpen()),
  ...metricsHandlers(() => modelOpen()),
  async info() {
    const b = await backend
    return {
      backend: b.name,
      tfBackend: b.tfBackend,
      threads: b.threads,
      simd: b.simd,
      version: b.version,
      tried: b.tried.map((t) => ({ ...t })),
      notes: [...b.notes],
      previews: current?.previews?.label ?? 'tfjs',
      previewsReason: current?.previews?.reason ?? `no model is open; ${runtime.name} (from ${runtime.source}) decides once one is`,
    }
  },
  async runtime(request, job) {
    runtime = request.runtime
    const open = current
    if (open && currentModelsDir) {
      // the old session goes first: two sessions of a large model at once would double the memory
      await open.previews?.dispose()
      open.previews = undefined
      open.previews = await openPreviews(open.model, currentModelsDir, (await backend).name, runtime, job)
    }
    return handlers.info({ op: 'info' }, job)
  },
  async memory() {
    const { numTensors, numBytes } = tf.memory()
    return { numTensors, numBytes }
  },
  async open(request, job) {
    return replaceModel(await withPreviews(await openPath(request.path, request.modelsDir, job), request.modelsDir, job))
  },
  async openDefault(request, job) {
    return replaceModel(await withPreviews(await openDefault(request.resourcesDir, request.modelsDir, job), request.modelsDir, job))
  },
  async sample(request) {
    return { z: truncation(request.truncation).sample(new Random(request.seed), request.count, request.truncation) }
  },
  async redraw({ z, start, end, seed, truncation: t }) {
    const policy = truncation(t)
    checkZ(z)
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start < end && end <= z.length)) {
      throw new HostError('bad-input', `there are no values ${start}…${end} to redraw in a z of ${z.length} values`)
    }
    return { z: policy.redraw(z, start, end, new Random(seed), t) }
  },
  async retruncate({ z, from, to, seed }) {
    const policy = truncation(from)
    truncation(to)
    checkZ(z)
    return { z: policy.retruncate(z, from, to, new Random(seed)) }
  },
  async render(request, job) {
    const open = modelOpen()
    const r = open.model.config.resolution
    const rgb = await renderRgb(open, request.points, job)
    return { width: r, height: r, count: request.points.count, pixels: rgbToRgba(rgb) }
  },
  async directions(request, job) {
    return directions(modelOpen(), request, job)
  },
  async png(request, job) {
    return { bytes: await pointPng(modelOpen(), request.point, request.purpose, request.maxSize ?? 128, job, request.upscale) }
  },
  async sequence(request, job) {
    return { bytes: await sequenceFile(modelOpen(), request.points, request.format, request.fps, request.baseName, job, request.upscale) }
  },
}

/** The open model's truncation policy, once `t` is a truncation it accepts (else a bad-input error in its words). */
function truncation(t: number): TruncationPolicy {
  const open = modelOpen()
  const problem = open.model.truncation.problem(t)
  if (problem) throw new HostError('bad-input', `${open.info.name}: ${problem}`)
  return open.model.truncation
}

function checkZ(z: Float32Array): void {
  const { zDim } = modelOpen().model.config
  if (z.length !== zDim) throw new HostError('bad-input', `z has ${z.length} values, but ${modelOpen().info.name} takes ${zDim}`)
}

serveRequests<Operations, Job>(port, {
  name: 'engine worker',
  handlers,
  job: (seq, request, post) => ({
    check: () => {
      if (Atomics.load(cancelled, 0) === seq) throw new HostError('cancelled', `${request.op} was cancelled`)
    },
    progress: (label, done, total) => post({ type: 'progress', seq, label, done, total }),
  }),
  ready: async (job) => {
    await backend
    job.check()
  },
  order: 'queue',
})

/** Chooses what renders an opened model's previews (onnxruntime or the engine); the model is freed on failure. */
async function withPreviews(open: OpenModel, modelsDir: string, job: Job): Promise<OpenModel> {
  try {
    open.previews = await openPreviews(open.model, modelsDir, (await backend).name, runtime, job)
    job.check()
    currentModelsDir = modelsDir
    return open
  } catch (err) {
    await open.previews?.dispose()
    if (current?.model !== open.model) open.model.dispose()
    throw err
  }
}

/** The newly opened model replaces the old one, which is freed only now: a failed open keeps the old model. */
function replaceModel(next: OpenModel) {
  const previous = current
  current = next
  if (previous && previous.previews !== next.previews) void previous.previews?.dispose()
  if (previous && previous.model !== next.model) previous.model.dispose()
  return next.info
}

function modelOpen(): OpenModel {
  if (!current) throw new HostError('failed', 'no model is open: open a model (or the default model) first')
  return current
}

function model() {
  return modelOpen().model
}
