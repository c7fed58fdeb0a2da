// Which runtime serves a model's G and D inference: onnxruntime-node or TensorFlow.js, and with how many onnxruntime
// threads. 'auto' (the default) times one image through each candidate (TensorFlow.js, onnxruntime with 1 thread and
// with one per core), once per machine and model size, keeps the timings in <cacheDir>/runtime-timings.json, and
// takes the fastest; 'onnx' and 'tfjs' force one ('onnx' still times its thread counts where threads are 'auto').
// The choice comes from a flag (--runtime), else BIGGAN_RUNTIME, else the studio setting or 'auto'
// (runtime-names.ts). This is inference only: what computes training steps is chosen in main/runs/executor.ts.
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import type { ModelConfig } from '../engine/config.ts'
import type { BigGANModel } from '../engine/model.ts'
import { countParameters } from '../engine/module.ts'
import { Random } from '../engine/sampling/random.ts'
import { cachedNetworkFile, exportNetworkBytes, type Network } from './export.ts'
import { machineKey, readTimings, writeTiming } from './timings.ts'
import { requestedRuntime, RUNTIME_ENV_VAR, type OrtThreads, type RuntimeName } from './runtime-names.ts'
import {
  describeProvider, loadOrt, OnnxDiscriminator, OnnxGenerator, ortVersion, providerAvailability, type ProviderAttempt, type ProviderInfo,
  type SessionOptions,
} from './runtime.ts'

/** G and D inference through one runtime, with the engine's conventions (typed arrays in and out). */
export interface Inference {
  runtime: 'onnx' | 'tfjs'
  /** what serves it, for a person: 'onnx (CPU, 2 threads)' or 'tfjs' */
  label: string
  /** why this runtime was chosen */
  reason: string
  /** the onnxruntime provider and the ones passed over, where onnx serves */
  provider?: ProviderInfo
  /** images [batch, R, R, 3] in [−1, 1]: what BigGANModel.generate returns for the same arguments */
  generate(z: Float32Array, y: Float32Array, options?: { truncation?: number }): Promise<Float32Array>
  /** D's logits [batch] for images x [batch, R, R, 3] */
  discriminate(x: Float32Array, y: Float32Array): Promise<Float32Array>
  dispose(): Promise<void>
}

export interface InferenceOptions {
  /** 'auto' where absent */
  runtime?: RuntimeName
  /** where the runtime request came from, for the reason */
  source?: string
  /** onnxruntime's CPU threads: a count, or 'auto' (default): 1 and one per core timed, the faster kept */
  threads?: OrtThreads
  /** exported graphs go to <cacheDir>/onnx, measured timings to <cacheDir>/runtime-timings.json */
  cacheDir: string
  /** the TensorFlow.js backend in use (the other side of the comparison) */
  tfjsBackend: string
  /** G from its EMA where the model has one (default true, as model.generate) */
  useEma?: boolean
  /** onnxruntime's providers and profiling (threads come from `threads`) */
  session?: Omit<SessionOptions, 'threads'>
  /** long steps (exporting the graph, timing the runtimes) */
  onProgress?: (message: string) => void
}

/** One way to serve inference that 'auto' can time: TensorFlow.js, or onnxruntime with a thread count. */
type Candidate = { runtime: 'tfjs' } | { runtime: 'onnx'; threads: number }

/** The runtime `options.runtime` asks for; 'auto' measures (once per machine and model size) and takes the faster,
 *  and so do 'auto' threads among onnxruntime's thread counts. */
export async function openInference(model: BigGANModel, options: InferenceOptions): Promise<Inference> {
  const requested = options.runtime ?? 'auto'
  const source = options.source ?? 'the default'
  if (requested === 'tfjs') return tfjsInference(model, options, `TensorFlow.js was asked for (${source})`)
  const asked = requested === 'onnx' ? `onnxruntime was asked for (${source})` : ''
  try {
    loadOrt()
  } catch (err) {
    if (requested === 'onnx') throw err
    return tfjsInference(model, options, `onnxruntime cannot serve this model here: ${(err as Error).message.split('\n')[0]}`)
  }
  const candidates = candidatesFor(requested, options.threads ?? 'auto')
  if (candidates.length === 1) return onnxInference(model, options, (candidates[0] as { threads: number }).threads, asked)

  const size = sizeKey(model.config, countParameters(model.G.specs()))
  const timings = await readTimings(options.cacheDir, TIMINGS_FILE)
  // the provider a session runs on names its timings; until one is open, the one it will most likely get
  let provider = expectedProvider()
  const timed: { c: Candidate; ms: number; measuredAt: string; now: boolean }[] = []
  let held: { threads: number; inference: Inference } | undefined
  try {
    for (const c of candidates) {
      const known = timings[timingKey(c, provider, options.tfjsBackend, size)]
      if (known) {
        timed.push({ c, ...known, now: false })
        continue
      }
      options.onProgress?.(`timing ${describeCandidate(c, options.tfjsBackend)} on one image (once per machine and model size)`)
      let generate: Inference['generate']
      if (c.runtime === 'onnx') {
        await held?.inference.dispose() // one session at a time: timing must not double the memory
        held = undefined
        const inference = await onnxInference(model, options, c.threads, '')
        held = { threads: c.threads, inference }
        provider = inference.provider!.provider
        generate = inference.generate
      } else {
        generate = (z, y) => model.generate(z, y, { useEma: options.useEma !== false })
      }
      const timing = { ms: await timeOneImage(model, generate), measuredAt: new Date().toISOString() }
      await writeTiming(options.cacheDir, TIMINGS_FILE, timingKey(c, provider, options.tfjsBackend, size), timing)
      timed.push({ c, ...timing, now: true })
    }
    const best = timed.reduce((a, b) => (b.ms < a.ms ? b : a))
    const when = timed.some((t) => t.now) ? 'now' : best.measuredAt.slice(0, 10)
    const list = timed.map((t) => `${describeCandidate(t.c, options.tfjsBackend)} ${t.ms.toFixed(0)} ms`).join(', ')
    const reason = `${asked ? `${asked}; ` : ''}fastest here: ${list} per image, measured ${when}`
    if (best.c.runtime === 'tfjs') return tfjsInference(model, options, reason)
    if (held?.threads === best.c.threads) {
      const kept = held.inference
      held = undefined
      return { ...kept, reason }
    }
    await held?.inference.dispose()
    held = undefined
    return await onnxInference(model, options, best.c.threads, reason)
  } finally {
    await held?.inference.dispose()
  }
}

/** What 'auto' compares: onnxruntime at each thread count to try, and TensorFlow.js where the runtime is 'auto'. */
function candidatesFor(runtime: 'onnx' | 'auto', threads: OrtThreads): Candidate[] {
  const counts = threads === 'auto' ? [...new Set([1, availableParallelism()])] : [threads]
  const onnx: Candidate[] = counts.map((t) => ({ runtime: 'onnx', threads: t }))
  return runtime === 'auto' ? [...onnx, { runtime: 'tfjs' }] : onnx
}

function describeCandidate(c: Candidate, tfjsBackend: string): string {
  return c.runtime === 'tfjs' ? `tfjs (${tfjsBackend})` : `onnx ${c.threads} thread${c.threads === 1 ? '' : 's'}`
}

/** The provider a session will most likely run on: the first accelerated one installed here, else the CPU. */
function expectedProvider(): string {
  return providerAvailability().find((p) => p.ok)?.name ?? 'cpu'
}

/** What `biggan info` says about the runtimes: the request, onnxruntime's providers, and for a model size the
 *  runtime that serves its inference with the timings 'auto' measured here (where it has). */
export interface RuntimeReport {
  /** the runtime asked for, and where that came from ('--runtime', 'BIGGAN_RUNTIME', 'the default') */
  requested: { name: RuntimeName; source: string }
  onnxruntime: { available: true; version: string; cpuThreads: number; providers: ProviderAttempt[] } | { available: false; error: string }
  /** with a model: what serves it ('onnx' | 'tfjs', or null while 'auto' has not measured) and why */
  previews?: {
    runtime: 'onnx' | 'tfjs' | null
    /** onnxruntime's threads where it serves on the CPU */
    threads?: number
    reason: string
    timings: { candidate: string; ms: number; measuredAt: string }[]
  }
}

export async function describeRuntimes(options: {
  cacheDir: string
  tfjsBackend: string
  model?: { config: ModelConfig; parametersG: number }
}): Promise<RuntimeReport> {
  const requested = requestedRuntime()
  let onnxruntime: RuntimeReport['onnxruntime']
  try {
    onnxruntime = { available: true, version: ortVersion(), cpuThreads: availableParallelism(), providers: providerAvailability() }
  } catch (err) {
    onnxruntime = { available: false, error: (err as Error).message }
  }
  const report: RuntimeReport = { requested, onnxruntime }
  if (!options.model) return report
  const size = sizeKey(options.model.config, options.model.parametersG)
  const timings = await readTimings(options.cacheDir, TIMINGS_FILE)
  if (requested.name === 'tfjs') {
    report.previews = { runtime: 'tfjs', reason: `TensorFlow.js was asked for (${requested.source})`, timings: [] }
    return report
  }
  if (!onnxruntime.available) {
    report.previews = { runtime: requested.name === 'onnx' ? null : 'tfjs', reason: `onnxruntime cannot serve here: ${onnxruntime.error}`, timings: [] }
    return report
  }
  const provider = expectedProvider()
  const candidates = candidatesFor(requested.name, 'auto')
  const known = candidates.flatMap((c) => {
    const t = timings[timingKey(c, provider, options.tfjsBackend, size)]
    return t ? [{ c, candidate: describeCandidate(c, options.tfjsBackend), ms: t.ms, measuredAt: t.measuredAt }] : []
  })
  const list = known.map((t) => ({ candidate: t.candidate, ms: t.ms, measuredAt: t.measuredAt }))
  if (known.length < candidates.length) {
    report.previews = {
      runtime: requested.name === 'onnx' ? 'onnx' : null,
      reason: `${requested.name}, not measured yet for this model size on ${options.tfjsBackend} (the first sample, eval or studio preview measures it)`,
      timings: list,
    }
    return report
  }
  const best = known.reduce((a, b) => (b.ms < a.ms ? b : a))
  const times = known.map((t) => `${t.candidate} ${t.ms.toFixed(0)} ms`).join(', ')
  report.previews = {
    runtime: best.c.runtime,
    ...(best.c.runtime === 'onnx' && provider === 'cpu' ? { threads: best.c.threads } : {}),
    reason: `${requested.name === 'onnx' ? `onnxruntime was asked for (${requested.source}); ` : ''}fastest here: ${times} per image, measured ${best.measuredAt.slice(0, 10)}`,
    timings: list,
  }
  return report
}

/** The report as `biggan info` prints it. */
export function runtimeReportLines(r: RuntimeReport): string[] {
  const { name, source } = r.requested
  const lines = [`runtime   ${name} (${source === 'the default' ? `the default; ${RUNTIME_ENV_VAR} or --runtime change it` : `from ${source}`})`]
  if (r.onnxruntime.available) {
    const providers = r.onnxruntime.providers.map((p) => `${p.name} ${p.ok ? 'available' : `not used: ${p.reason}`}`).join('; ')
    lines.push(`onnx      onnxruntime-node ${r.onnxruntime.version}: CPU, ${r.onnxruntime.cpuThreads} threads${providers ? `; ${providers}` : ''}`)
  } else {
    lines.push(`onnx      unavailable: ${r.onnxruntime.error}`)
  }
  if (r.previews) {
    const p = r.previews
    const what = p.runtime === 'onnx' && p.threads ? `onnx (CPU, ${p.threads} thread${p.threads === 1 ? '' : 's'})` : p.runtime
    lines.push(`previews  ${what ? `${what}: ` : ''}${p.reason}`)
  }
  return lines
}

function tfjsInference(model: BigGANModel, options: InferenceOptions, reason: string): Inference {
  return {
    runtime: 'tfjs',
    label: 'tfjs',
    reason,
    generate: (z, y, o = {}) => model.generate(z, y, { ...o, useEma: options.useEma !== false }),
    discriminate: (x, y) => model.discriminate(x, y),
    dispose: async () => undefined,
  }
}

async function onnxInference(model: BigGANModel, options: InferenceOptions, threads: number | 'auto', reason: string): Promise<Inference> {
  const session: SessionOptions = { ...options.session, ...(threads === 'auto' ? {} : { threads }) }
  const graph = async (network: Network): Promise<string | Uint8Array> => {
    const opts = { useEma: options.useEma !== false }
    if (!model.manifest) return exportNetworkBytes(model, network, opts)
    options.onProgress?.(`preparing the ONNX graph of ${network}`)
    return cachedNetworkFile(model, network, join(options.cacheDir, 'onnx'), opts)
  }
  const G = await OnnxGenerator.open(await graph('G'), model.config, session)
  let D: Promise<OnnxDiscriminator> | undefined
  return {
    runtime: 'onnx',
    label: `onnx (${describeProvider(G.info)})`,
    reason,
    provider: G.info,
    generate: (z, y, o = {}) => G.generate(z, y, o),
    discriminate: async (x, y) => {
      if (!model.D) throw new Error('this model has no discriminator (the released BigGAN-deep weights have none)')
      D ??= graph('D').then((file) => OnnxDiscriminator.open(file, model.config, session))
      return (await D).discriminate(x, y)
    },
    dispose: async () => {
      await G.dispose()
      if (D) await (await D).dispose()
    },
  }
}

// ───────────────────────────────────────────── measuring ─────────────────────────────────────────────

/** One image per forward: a warm-up, then the median of up to 3 timed runs (at most ~10 s). */
async function timeOneImage(model: BigGANModel, generate: Inference['generate']): Promise<number> {
  const { zDim, numClasses } = model.config
  const z = new Random(0).normals(zDim)
  const y = new Float32Array(numClasses)
  y[0] = 1
  await generate(z, y)
  const times: number[] = []
  const started = performance.now()
  while (times.length < 3 && (times.length === 0 || performance.now() - started < 10_000)) {
    const t0 = performance.now()
    await generate(z, y)
    times.push(performance.now() - t0)
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]
}

/** This machine, one candidate as configured, and the model's size (not its weights: timing does not depend on
 *  them). onnxruntime on a GPU provider has one timing whatever the thread count. */
function timingKey(c: Candidate, provider: string, tfjsBackend: string, size: string): string {
  const what =
    c.runtime === 'tfjs'
      ? `tfjs ${tfjsBackend}`
      : `onnxruntime ${ortVersion()} ${describeProvider({ provider, threads: c.threads, tried: [] })}`
  return `${machineKey()} | ${what} | ${size}`
}

export function sizeKey(c: ModelConfig, parametersG: number): string {
  return `${c.arch}-${c.resolution} ch${c.gChannels} G ${parametersG}`
}

const TIMINGS_FILE = 'runtime-timings.json'
