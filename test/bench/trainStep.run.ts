// One engine measurement of train.bench.ts, in a process of its own so that its peak resident set is the step's
// alone: the training step (trainer.ts) on one backend for one config, timed after warm-ups, then one JSON line on
// stdout with the times, the parameter counts and the process's memory. train.bench.ts starts it; by hand:
//   npx tsx test/bench/trainStep.run.ts '{"arch":"biggan","res":32,"ch":16,"classes":10,"attention":16,"batch":16,
//     "backend":"onnx","runs":3,"warmup":1}'
import { readFileSync } from 'node:fs'
import { initBackend } from '../../main/backend/backend'
import { defaultConfig, type Arch } from '../../main/engine/config'
import { BigGANModel } from '../../main/engine/model'
import { tfjsStepExecutor, type StepExecutor } from '../../main/engine/train/step'
import { OnnxStepExecutor } from '../../main/onnx/training/executor'
import { median, trainer } from './trainer'

/** What train.bench.ts asks of one child: a config as defaultConfig takes it, a backend, and how many steps. */
export interface StepSpec {
  arch: Arch
  res: number
  ch: number
  classes: number
  attention: number
  batch: number
  /** 'wasm' or 'cpu': TensorFlow.js computes the step; 'onnx': onnxruntime's compiled step, Adam on wasm */
  backend: string
  runs: number
  warmup: number
  wasmThreads?: number
  onnxThreads?: number
}

/** The child's one line of output. Memory in MiB. */
export interface StepResult {
  label: string
  /** compute threads of the backend that ran the step */
  threads: number
  ms: number
  timesMs: number[]
  /** building the model and, for onnx, compiling both steps */
  setupMs: number
  params: { G: number; D: number }
  /** resident set after the backend started, before any network existed */
  rssBeforeModelMiB: number
  /** the process's peak resident set at the end (Linux VmHWM; elsewhere Node's maxRSS) */
  peakRssMiB: number
}

function memoryMiB(field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(`${field}:`))
    return line ? Number(line.split(/\s+/)[1]) / 1024 : null
  } catch {
    return null
  }
}

async function measure(spec: StepSpec): Promise<StepResult> {
  const onnx = spec.backend === 'onnx'
  // the compiled step's optimiser and EMA stay on TensorFlow.js: wasm, as a run without native TensorFlow has
  const info = await initBackend({ backend: onnx ? 'wasm' : spec.backend, ...(spec.wasmThreads ? { wasmThreads: spec.wasmThreads } : {}) })
  const rssBeforeModelMiB = memoryMiB('VmRSS') ?? process.memoryUsage().rss / 2 ** 20
  const t0 = performance.now()
  const model = BigGANModel.initialise(defaultConfig(spec.arch, spec.res, spec.ch, spec.classes, spec.attention), 1)
  let executor: StepExecutor | undefined
  try {
    executor = onnx
      ? await OnnxStepExecutor.create(model.G, model.D!, model.config, { batchSize: spec.batch, ...(spec.onnxThreads ? { session: { threads: spec.onnxThreads } } : {}) })
      : tfjsStepExecutor()
    const setupMs = performance.now() - t0
    const { step, dispose } = trainer(model, spec.batch, 7, executor)
    try {
      for (let i = 0; i < spec.warmup; i++) await step()
      const timesMs: number[] = []
      for (let i = 0; i < spec.runs; i++) {
        const t = performance.now()
        await step()
        timesMs.push(performance.now() - t)
      }
      const threads = executor instanceof OnnxStepExecutor ? executor.provider.threads : info.threads
      const label = onnx ? executor.label : `${info.name}, ${threads} thread${threads > 1 ? 's' : ''}`
      return {
        label, threads, ms: median(timesMs), timesMs, setupMs, params: model.parameterCounts(), rssBeforeModelMiB,
        peakRssMiB: memoryMiB('VmHWM') ?? process.resourceUsage().maxRSS / 1024,
      }
    } finally {
      dispose()
    }
  } finally {
    await executor?.dispose()
    model.dispose()
  }
}

measure(JSON.parse(process.argv[2] ?? '{}') as StepSpec).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result)}\n`)
    process.exit(0)
  },
  (err: unknown) => {
    process.stderr.write(`trainStep.run: ${err instanceof Error ? err.stack : String(err)}\n`)
    process.exit(1)
  },
)
