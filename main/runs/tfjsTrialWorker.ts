// The worker thread that times one TensorFlow.js training step on the wasm backend for a run's 'auto' choice
// (tfjsTrial.ts). A thread of its own has a wasm heap of its own: a model whose step does not fit that heap
// aborts this thread's wasm module, not the run's. It trains a model of the run's architecture initialised afresh
// (a step's time does not depend on the weights' values) and holds what the run holds beside it (the EMA of G and
// Adam's two moments per trained parameter), so a step that fits here fits the run.
import { parentPort, workerData } from 'node:worker_threads'
import { initBackend } from '../backend/backend.ts'
import { isWasmOutOfMemory } from '../backend/memory.ts'
import type { ModelConfig } from '../engine/config.ts'
import { BigGANModel } from '../engine/model.ts'
import { trainableRoles } from '../engine/module.ts'
import { tfjsStepExecutor } from '../engine/train/step.ts'
import { timeTrainingStep, type StepShape } from '../engine/train/stepTiming.ts'
import { tf } from '../engine/tf.ts'

export interface TrialRequest {
  config: ModelConfig
  shape: StepShape
  wasmThreads: number
}

export type TrialReply = { ok: true; ms: number } | { ok: false; error: string }

async function trial({ config, shape, wasmThreads }: TrialRequest): Promise<TrialReply> {
  try {
    await initBackend({ backend: 'wasm', wasmThreads })
    const model = BigGANModel.initialise(config, 0)
    model.ensureEma()
    const specs = [...model.G.specs(), ...model.D!.specs()].filter((s) => trainableRoles.has(s.role))
    const moments = specs.flatMap((s) => [tf.zeros(s.shape), tf.zeros(s.shape)])
    const G = { net: model.G, params: model.params }
    const D = { net: model.D!, params: model.params }
    const ms = await timeTrainingStep(tfjsStepExecutor(), G, D, config, shape)
    tf.dispose(moments)
    model.dispose()
    return { ok: true, ms }
  } catch (err) {
    const said = err instanceof Error ? err.message.split('\n', 1)[0] : String(err)
    return { ok: false, error: isWasmOutOfMemory(err) ? `its step does not fit the wasm backend's heap of at most 4 GiB (wasm said: ${said})` : said }
  }
}

parentPort!.postMessage(await trial(workerData as TrialRequest))
