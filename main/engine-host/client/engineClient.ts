// The main thread's side of the engine worker: it starts the worker (worker/engineWorker.ts under tsx from source, the
// bundled engineWorker.js otherwise), keeps the queue of requests, sends them one at a time and routes replies and
// progress back by sequence number. TensorFlow.js never loads on this thread, and nothing here computes: the main event
// loop only packs arrays and passes messages.
//
// Supersession: a render carries a `view`; a newer request for the same view replaces one still queued (which
// rejects with HostError('superseded')), so the latest slider value wins while the one already running finishes.
// cancel(job) cancels the job's queued requests at once and its running one at its next check (between batches,
// tensors or checkpoint records: HostError('cancelled')), and answers only once it knows whether the running one
// stopped or finished first. If the worker dies, every pending request fails with a message that says so, and the
// next request starts a fresh worker that first reopens the model the old one held.
import type { Upscale } from '../../images/upscale.ts'
import type { Worker } from 'node:worker_threads'
import { DEFAULT_RUNTIME_SETTING, studioRuntime, type RuntimeRequest } from '../../onnx/runtime-names.ts'
import type { AnyRequest, FromWorker, ModelRecord, Op, RequestOf, ResultOf, ToWorker, WorkerData } from '../protocol/engine.ts'
import { HostError } from '../protocol/errors.ts'
import type { PackedPoint, PackedPoints } from '../protocol/points.ts'
import { spawnThread } from '../../threads/spawnThread.ts'
import { deliver, watchedSettlers } from './spawn.ts'

export interface Progress {
  label: string
  done: number
  total: number
}

export interface CallOptions {
  /** what jobs:cancel names it by ('models:open', a view, …) */
  job?: string
  /** a render target: a newer request with the same view supersedes this one while it is queued */
  view?: string
  onProgress?: (p: Progress) => void
  /** buffers handed to the worker with the request (the caller must not use them afterwards) */
  transfer?: ArrayBuffer[]
}

export interface EngineClientOptions {
  /** told when the worker stops unexpectedly and when a fresh one has reopened the model */
  onNotice?: (level: 'error' | 'warning' | 'info', message: string) => void
  /** told when a fresh worker could not reopen the model: none is open any more */
  onModelLost?: () => void
}

interface Pending {
  seq: number
  request: AnyRequest
  options: CallOptions
  resolve: (value: unknown) => void
  reject: (error: Error) => void
  /** true once it ended as cancelled, false once it ended any other way */
  cancelled: Promise<boolean>
  /** an internal reopen after a restart: its outcome becomes a notice */
  internal?: boolean
}

/** The bundled worker's file name beside the bundled main (electron.vite.config.ts: entry engineWorker). A variable,
 *  so that the bundler leaves the URL alone. */
const BUNDLED_WORKER = './engineWorker.js'

export class EngineClient {
  private worker: Worker | undefined
  private readonly cancelFlag = new Int32Array(new SharedArrayBuffer(4))
  private seq = 0
  private running: Pending | undefined
  private readonly queue: Pending[] = []
  /** the request that opened the model the worker holds, replayed by a fresh worker */
  private reopen: AnyRequest | undefined
  private lastModel: ModelRecord | undefined
  private crashReason: string | undefined
  private closed = false
  /** what previews run on (setRuntime); unset: the default setting, or BIGGAN_RUNTIME, read when a worker starts */
  private runtime: RuntimeRequest | undefined

  constructor(private readonly options: EngineClientOptions = {}) {}

  /** Sends a request; resolves with the worker's value or rejects with a HostError. */
  call<O extends Op>(request: RequestOf<O>, options: CallOptions = {}): Promise<ResultOf<O>> {
    if (this.closed) return Promise.reject(new HostError('failed', 'the engine is shut down'))
    return new Promise<ResultOf<O>>((resolve, reject) => {
      if (options.view !== undefined) {
        for (let i = this.queue.length - 1; i >= 0; i--) {
          const queued = this.queue[i]
          if (queued.options.view === options.view && !queued.internal) {
            this.queue.splice(i, 1)
            queued.reject(new HostError('superseded', `a newer request for '${options.view}' replaced this one`))
          }
        }
      }
      this.queue.push({
        seq: ++this.seq,
        request: request as AnyRequest,
        options,
        ...watchedSettlers(resolve as (value: unknown) => void, reject),
      })
      this.pump()
    })
  }

  /**
   * Cancels every queued and running request of `job`. The queued ones stop at once; the running one at its next
   * check, and the answer waits for it: true when it stopped as cancelled, false when it finished (or failed) before
   * it checked, since its result then stands. False too when nothing of that name was queued or running.
   */
  async cancel(job: string): Promise<boolean> {
    let found = false
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const queued = this.queue[i]
      if (queued.options.job === job) {
        this.queue.splice(i, 1)
        queued.reject(new HostError('cancelled', `'${job}' was cancelled`))
        found = true
      }
    }
    const running = this.running
    if (running && running.options.job === job) {
      Atomics.store(this.cancelFlag, 0, running.seq)
      return running.cancelled
    }
    return found
  }

  // ── typed requests ──

  open(path: string, modelsDir: string, onProgress?: (p: Progress) => void): Promise<ModelRecord> {
    return this.openWith({ op: 'open', path, modelsDir }, onProgress)
  }

  openDefault(resourcesDir: string, modelsDir: string, onProgress?: (p: Progress) => void): Promise<ModelRecord> {
    return this.openWith({ op: 'openDefault', resourcesDir, modelsDir }, onProgress)
  }

  /** The runtime previews use from now on, in this worker and any fresh one after a crash; a running worker
   *  switches the open model's previews at once. */
  async setRuntime(runtime: RuntimeRequest): Promise<void> {
    this.runtime = runtime
    if (this.worker) await this.call({ op: 'runtime', runtime })
  }

  /** The model the worker holds (as the last successful open reported it). */
  get model(): ModelRecord | undefined {
    return this.lastModel
  }

  render(view: string, points: PackedPoints): Promise<ResultOf<'render'>> {
    return this.call({ op: 'render', points }, { job: view, view, transfer: pointsBuffers(points) })
  }

  png(point: PackedPoint, purpose: 'export' | 'thumbnail', maxSize?: number, upscale?: Upscale): Promise<Uint8Array> {
    const request: RequestOf<'png'> = { op: 'png', point, purpose, ...(maxSize !== undefined ? { maxSize } : {}), ...(upscale ? { upscale } : {}) }
    return this.call(request, { transfer: [point.z.buffer as ArrayBuffer, point.y.buffer as ArrayBuffer] }).then((r) => r.bytes)
  }

  /** Ends the worker the way an uncaught error in it would (for crash-recovery tests and diagnostics). */
  crashForTesting(): void {
    this.worker?.postMessage({ type: 'crash' } satisfies ToWorker)
  }

  /** Fails what is queued, stops the worker and frees it. */
  async close(): Promise<void> {
    this.closed = true
    for (const p of this.queue.splice(0)) p.reject(new HostError('cancelled', 'the engine is shutting down'))
    if (this.running) {
      this.running.reject(new HostError('cancelled', 'the engine is shutting down'))
      this.running = undefined
    }
    const worker = this.worker
    this.worker = undefined
    if (worker) await worker.terminate()
  }

  // ── internals ──

  private async openWith(request: RequestOf<'open'> | RequestOf<'openDefault'>, onProgress?: (p: Progress) => void): Promise<ModelRecord> {
    const info = await this.call(request, { job: 'models:open', ...(onProgress ? { onProgress } : {}) })
    // a fresh worker reopens the native folder (an import is not repeated), or the default as it was chosen
    this.reopen = request.op === 'open' ? { op: 'open', path: info.path, modelsDir: request.modelsDir } : request
    this.lastModel = info
    return info
  }

  private pump(): void {
    if (this.running || this.closed || this.queue.length === 0) return
    const worker = this.worker ?? this.start()
    const next = this.queue.shift()!
    this.running = next
    // held while it works, so that a CLI or test process waits for the reply; let go when idle (see onMessage)
    worker.ref()
    worker.postMessage({ type: 'request', seq: next.seq, request: next.request } satisfies ToWorker, next.options.transfer ?? [])
  }

  /** Starts a worker; where an earlier one held a model, queues its reopening ahead of everything else. */
  private start(): Worker {
    const worker = spawnWorker({ cancel: this.cancelFlag.buffer as SharedArrayBuffer, runtime: this.runtime ?? studioRuntime(DEFAULT_RUNTIME_SETTING) })
    this.worker = worker
    worker.on('message', (message: FromWorker) => this.onMessage(worker, message))
    worker.on('error', (err) => {
      if (worker === this.worker) this.crashReason = err instanceof Error ? err.message : String(err)
    })
    worker.on('exit', (code) => this.onExit(worker, code))
    const reopen = this.reopen
    if (reopen) {
      this.queue.unshift({
        seq: ++this.seq,
        request: reopen,
        options: { job: 'models:open' },
        internal: true,
        ...watchedSettlers(
          (info) => {
            this.lastModel = info as ModelRecord
            this.options.onNotice?.('info', `The engine restarted and reopened ${(info as ModelRecord).name}.`)
          },
          (err) => {
            this.reopen = undefined
            this.lastModel = undefined
            this.options.onNotice?.('error', `The engine restarted but could not reopen the model: ${err.message}. Open a model again.`)
            this.options.onModelLost?.()
          },
        ),
      })
    }
    return worker
  }

  private onMessage(worker: Worker, message: FromWorker): void {
    if (worker !== this.worker) return
    const running = this.running
    if (!running || message.seq !== running.seq) return
    if (!deliver(running, message, () => (this.running = undefined))) return
    if (this.queue.length === 0) worker.unref()
    this.pump()
  }

  private onExit(worker: Worker, code: number): void {
    if (worker !== this.worker) return
    this.worker = undefined
    if (this.closed) return
    const reason = this.crashReason ?? `it exited with code ${code}`
    this.crashReason = undefined
    const failed = [...(this.running ? [this.running] : []), ...this.queue.splice(0)]
    this.running = undefined
    // reopening crashed it: do not try again (the reopen's own rejection below says the model is gone)
    if (failed.some((p) => p.internal)) this.reopen = undefined
    for (const p of failed) {
      p.reject(
        new HostError(
          'failed',
          `the engine stopped unexpectedly (${reason}) while this request was pending. It restarts with the next request${
            this.reopen ? ' and reopens the model' : ''
          }: try again`,
        ),
      )
    }
    this.options.onNotice?.(
      'warning',
      `The engine stopped unexpectedly (${reason}). It restarts with the next request${this.reopen ? ' and reopens the model' : ''}.`,
    )
  }
}

function pointsBuffers(points: PackedPoints): ArrayBuffer[] {
  return [points.z.buffer, points.y.buffer, points.truncation.buffer] as ArrayBuffer[]
}

function spawnWorker(data: WorkerData): Worker {
  return spawnThread(import.meta.url, '../worker/engineWorker.ts', BUNDLED_WORKER, data)
}
