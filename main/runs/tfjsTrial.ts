// One TensorFlow.js training step, timed for a run's 'auto' choice of executor (executor.ts): a step of the paper's
// loop, or BSA's. On the wasm backend the trial runs in a worker thread of its own (tfjsTrialWorker.ts): a step too
// large for the wasm heap aborts the wasm module it runs in for the rest of that thread's life, which must never be
// the run's. Elsewhere (a native TensorFlow.js backend, or the plain-JavaScript cpu one) there is no such heap, and
// the trial times the run's own model in place (the timings put back what they touch).
import type { BackendInfo } from '../backend/backend.ts'
import { spawnThread } from '../threads/spawnThread.ts'
import { timeBsaGradients, type BsaState } from '../engine/finetune/batchStatisticsAdaptation.ts'
import type { BigGANModel } from '../engine/model.ts'
import { tfjsStepExecutor } from '../engine/train/step.ts'
import { timeTrainingStep, type StepShape } from '../engine/train/stepTiming.ts'
import type { TrialReply, TrialRequest } from './tfjsTrialWorker.ts'

/** The bundled worker beside the bundled main (electron.vite.config.ts: entry tfjsTrialWorker); a variable, so that
 *  the bundler leaves the URL alone. */
const BUNDLED_WORKER = './tfjsTrialWorker.js'

/** Milliseconds per training step of `model` at `shape` on TensorFlow.js's `backend`; rejects with what the backend
 *  said where the step does not run (the wasm heap's limit, said as such). */
export async function timeTfjsTrainingStep(model: BigGANModel, shape: StepShape, backend: BackendInfo): Promise<number> {
  if (backend.name === 'wasm') return inTrialThread({ kind: 'loop', config: model.config, shape, wasmThreads: backend.threads })
  return timeTrainingStep(tfjsStepExecutor(), model, shape)
}

/** Milliseconds per BSA step's gradients for `state`'s model and batch on TensorFlow.js's `backend`; rejects as
 *  timeTfjsTrainingStep does. */
export async function timeTfjsBsaStep(state: BsaState, backend: BackendInfo): Promise<number> {
  if (backend.name !== 'wasm') return timeBsaGradients(state)
  const { batch, latentWeight, adaptOutput } = state.settings
  const shape = { batch: Math.min(batch, state.count), latentWeight, adaptOutput }
  return inTrialThread({ kind: 'bsa', config: state.model.config, shape, wasmThreads: backend.threads })
}

async function inTrialThread(request: TrialRequest): Promise<number> {
  const worker = spawnThread(import.meta.url, './tfjsTrialWorker.ts', BUNDLED_WORKER, request)
  const reply = await new Promise<TrialReply>((resolve, reject) => {
    worker.once('message', resolve)
    worker.once('error', reject)
    worker.once('exit', (code) => reject(new Error(`the trial thread ended (exit code ${code}) before it timed a step`)))
  })
  await worker.terminate()
  if (!reply.ok) throw new Error(reply.error)
  return reply.ms
}
