// The main thread's side of the training workers (worker/trainWorker.ts): a tools worker, started on first use and
// kept, for scans, plans, checkpoint renders and run-folder reads; and one worker per run, started with the run and
// ended with it, so a fine-tune trains on its own thread while previews (the engine worker) and the tools stay quick.
// TensorFlow.js never loads on this thread: it only passes messages.
//
// Stopping a run (pause, cancel) writes the run's request seq into the worker's shared stop flag: the run finishes
// its step, writes a checkpoint and replies with its outcome. If a worker dies, what was pending on it fails with
// TrainWorkerGone, and a tools request after that starts a fresh tools worker.
import type { Worker } from 'node:worker_threads'
import { HostError } from '../protocol/errors.ts'
import type { Progress } from './engineClient.ts'
import type {
  RunCompute,
  AnyTrainRequest, FromTrainWorker, RunEvent, RunOutcome, ToTrainWorker, TrainOp, TrainRequestOf, TrainResultOf, TrainWorkerData,
} from '../protocol/training.ts'
import { spawnThread } from '../../threads/spawnThread.ts'
import { deliver, watchedSettlers } from './spawn.ts'

/** A worker stopped while a request was pending on it (a crash, or close()). */
export class TrainWorkerGone extends HostError {
  constructor(message: string) {
    super('failed', message)
  }
}

export interface TrainCallOptions {
  /** what jobs:cancel names it by ('data:scan', …) */
  job?: string
  onProgress?: (p: Progress) => void
  onEvent?: (event: RunEvent) => void
}

interface Pending {
  options: TrainCallOptions
  resolve: (value: unknown) => void
  reject: (error: Error) => void
  /** true once it ended as cancelled, false once it ended any other way */
  cancelled: Promise<boolean>
}

/** The bundled worker beside the bundled main (electron.vite.config.ts: entry trainWorker); a variable, so that the
 *  bundler leaves the URL alone. */
const BUNDLED_WORKER = './trainWorker.js'

/** One training worker and the requests pending on it. */
class TrainWorkerLink {
  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4))
  private readonly worker: Worker
  private readonly pending = new Map<number, Pending>()
  private seq = 0
  private crashReason: string | undefined
  private ended = false

  constructor(
    private readonly what: string,
    private readonly onEnd: (link: TrainWorkerLink) => void,
    compute: Partial<RunCompute>,
  ) {
    this.worker = spawnTrainWorker({ stop: this.stopFlag.buffer as SharedArrayBuffer, ...compute })
    this.worker.unref()
    this.worker.on('message', (message: FromTrainWorker) => this.onMessage(message))
    this.worker.on('error', (err) => (this.crashReason = err instanceof Error ? err.message : String(err)))
    this.worker.on('exit', (code) => this.onExit(code))
  }

  get alive(): boolean {
    return !this.ended
  }

  call<O extends TrainOp>(request: TrainRequestOf<O>, options: TrainCallOptions = {}): { seq: number; result: Promise<TrainResultOf<O>> } {
    const seq = ++this.seq
    const result = new Promise<TrainResultOf<O>>((resolve, reject) => {
      if (this.ended) {
        reject(new TrainWorkerGone(`the ${this.what} has stopped`))
        return
      }
      this.pending.set(seq, { options, ...watchedSettlers(resolve as (value: unknown) => void, reject) })
      this.worker.ref() // held while it works, so that a test or CLI process waits for the reply
      this.worker.postMessage({ type: 'request', seq, request: request as AnyTrainRequest } satisfies ToTrainWorker)
    })
    return { seq, result }
  }

  /** Asks request `seq` to stop at its next step (a run) or file (a scan). */
  stop(seq: number): void {
    Atomics.store(this.stopFlag, 0, seq)
  }

  /** Stops the pending request of `job`; true once it has stopped as cancelled, false when there is none or it
   *  finished before it saw the stop. */
  async cancel(job: string): Promise<boolean> {
    for (const [seq, p] of this.pending) {
      if (p.options.job === job) {
        this.stop(seq)
        return p.cancelled
      }
    }
    return false
  }

  crashForTesting(): void {
    this.worker.postMessage({ type: 'crash' } satisfies ToTrainWorker)
  }

  async terminate(): Promise<void> {
    if (this.ended) return
    this.crashReason ??= 'the studio is closing'
    await this.worker.terminate()
  }

  private onMessage(message: FromTrainWorker): void {
    const p = this.pending.get(message.seq)
    if (!p) return
    deliver(p, message, () => {
      this.pending.delete(message.seq)
      if (this.pending.size === 0) this.worker.unref()
    })
  }

  private onExit(code: number): void {
    this.ended = true
    const reason = this.crashReason ?? `it exited with code ${code}`
    for (const p of this.pending.values()) {
      p.reject(new TrainWorkerGone(`the ${this.what} stopped unexpectedly (${reason}) while this request was pending`))
    }
    this.pending.clear()
    this.onEnd(this)
  }
}

export class TrainClient {
  private tools: TrainWorkerLink | undefined
  private run: { link: TrainWorkerLink; seq: number } | undefined
  private closed = false

  /** Sends a request to the tools worker (starting it if need be). */
  call<O extends Exclude<TrainOp, 'start' | 'resume'>>(request: TrainRequestOf<O>, options: TrainCallOptions = {}): Promise<TrainResultOf<O>> {
    if (this.closed) return Promise.reject(new HostError('failed', 'the studio is shutting down'))
    // scans, plans and renders of checkpoints are light: the tools worker stays on one thread
    this.tools ??= new TrainWorkerLink(
      'training tools worker',
      (link) => {
        if (this.tools === link) this.tools = undefined
      },
      { wasmThreads: 1 },
    )
    return this.tools.call(request, options).result
  }

  /** Starts a run (a new one, or a resumed one) on a worker of its own, ended when the run ends. One at a time.
   *  `compute`: the threads the worker's wasm backend computes on, and what computes the steps. */
  train(request: TrainRequestOf<'start'> | TrainRequestOf<'resume'>, options: TrainCallOptions, compute: Partial<RunCompute> = {}): Promise<RunOutcome> {
    if (this.closed) return Promise.reject(new HostError('failed', 'the studio is shutting down'))
    if (this.run) return Promise.reject(new HostError('failed', 'a run is already training'))
    const link = new TrainWorkerLink('training worker', () => undefined, compute)
    const { seq, result } = link.call(request as TrainRequestOf<'start'>, options)
    this.run = { link, seq }
    const end = (): void => {
      if (this.run?.link === link) this.run = undefined
      void link.terminate()
    }
    return result.then(
      (outcome) => (end(), outcome),
      (err: unknown) => {
        end()
        throw err
      },
    )
  }

  /** True while a run's worker trains. */
  get training(): boolean {
    return this.run !== undefined
  }

  /** Asks the running run to stop after its current step, with a checkpoint. */
  stopRun(): boolean {
    if (!this.run) return false
    this.run.link.stop(this.run.seq)
    return true
  }

  /** Cancels a tools job ('data:scan', 'finetune:plan'): true once it has stopped as cancelled; false when none
   *  runs, or it finished before it saw the cancel. */
  async cancel(job: string): Promise<boolean> {
    return (await this.tools?.cancel(job)) ?? false
  }

  /** Ends the run's worker the way an uncaught error would (crash-recovery tests). */
  crashRunForTesting(): void {
    this.run?.link.crashForTesting()
  }

  /** Stops both workers at once (a run should have been stopped first: this loses its steps since the last checkpoint). */
  async close(): Promise<void> {
    this.closed = true
    const links = [this.tools, this.run?.link].filter((l): l is TrainWorkerLink => l !== undefined)
    this.tools = undefined
    await Promise.all(links.map((l) => l.terminate()))
  }
}

function spawnTrainWorker(data: TrainWorkerData): Worker {
  return spawnThread(import.meta.url, '../worker/trainWorker.ts', BUNDLED_WORKER, data)
}
