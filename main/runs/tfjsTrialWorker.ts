// The worker thread that times one TensorFlow.js step on the wasm backend for a run's 'auto' choice (tfjsTrial.ts):
// a loop step (D steps and a G step) or BSA's. A thread of its own has a wasm heap of its own: a model whose step
// does not fit that heap aborts this thread's wasm module, not the run's. It trains a model of the run's
// architecture initialised afresh (a step's time does not depend on the weights' values) and holds what the run
// holds beside it (for the loop, the EMA of G and Adam's two moments per trained parameter), so a step that fits
// here fits the run.
import { parentPort, workerData } from 'node:worker_threads'
import { initBackend } from '../backend/backend.ts'
import { isWasmOutOfMemory } from '../backend/memory.ts'
import type { ModelConfig } from '../engine/config.ts'
import { createBsaState, timeBsaGradients } from '../engine/finetune/batchStatisticsAdaptation.ts'
import { BigGANModel } from '../engine/model.ts'
import { trainableRoles } from '../engine/module.ts'
import { tfjsStepExecutor } from '../engine/train/step.ts'
import { timeTrainingStep, type StepShape } from '../engine/train/stepTiming.ts'
import { tf } from '../engine/tf.ts'

/** BSA's step, as its time depends on it: images per step, the latent prior's weight, what it adapts. */
export interface BsaShape {
  batch: number
  latentWeight: number
  adaptOutput: boolean
}

export type TrialRequest = { config: ModelConfig; wasmThreads: number } & ({ kind: 'loop'; shape: StepShape } | { kind: 'bsa'; shape: BsaShape })

export type TrialReply = { ok: true; ms: number } | { ok: false; error: string }

async function trial(request: TrialRequest): Promise<TrialReply> {
  try {
    await initBackend({ backend: 'wasm', wasmThreads: request.wasmThreads })
    const { config } = request
    const model = BigGANModel.initialise(config, 0)
    try {
      if (request.kind === 'bsa') {
        const { batch, latentWeight, adaptOutput } = request.shape
        const r = config.resolution
        const images = { pixels: new Float32Array(batch * r * r * 3), labels: new Int32Array(batch), count: batch }
        const state = createBsaState(model, images, { steps: 1, lr: 1e-4, batch, seed: 0, latentWeight, adaptOutput })
        try {
          return { ok: true, ms: await timeBsaGradients(state) }
        } finally {
          state.dispose()
        }
      }
      model.ensureEma()
      const specs = [...model.G.specs(), ...model.D!.specs()].filter((s) => trainableRoles.has(s.role))
      const moments = specs.flatMap((s) => [tf.zeros(s.shape), tf.zeros(s.shape)])
      try {
        return { ok: true, ms: await timeTrainingStep(tfjsStepExecutor(), model, request.shape) }
      } finally {
        tf.dispose(moments)
      }
    } finally {
      model.dispose()
    }
  } catch (err) {
    const said = err instanceof Error ? err.message.split('\n', 1)[0] : String(err)
    return { ok: false, error: isWasmOutOfMemory(err) ? `its step does not fit the wasm backend's heap of at most 4 GiB (wasm said: ${said})` : said }
  }
}

parentPort!.postMessage(await trial(workerData as TrialRequest))
