// How fast the engine runs here: G forward images/s and one BigGAN training step (D step + G step + both Adam
// updates), per TensorFlow.js backend and model size, with peak memory. A benchmark, not a test: it asserts
// nothing about time and vitest never collects it (not *.test.ts). It prints a markdown table for the README.
//
//   npm run bench -- [--backends wasm,cpu] [--configs small,paper] [--quick] [--full] [--paper-batch N]
//                    [--json FILE]
//
// Each number is the median of several timed runs after an untimed warm-up; every run awaits data() of its output,
// so the work is done when the clock stops. Each measure runs in a fresh child process: its peak RSS is its own
// (the wasm heap never shrinks), and a measure that aborts the wasm module (out of its 4 GiB heap) fails alone.
// The default run is sized to finish in minutes on a 2-core machine:
//   small models   wasm and native: G forward at batch 1 and 16, training step at batch 16
//                  cpu (plain JS, 30–100× slower than wasm): G forward at batch 1 only
//   paper-sized    wasm and native only, G forward at batch 1 only; never on cpu (hours)
// --full adds what the default leaves out: batch 16 and the training step on cpu, and for paper-sized models
// batch 16 and a training step at --paper-batch (default 2; D sees that many fakes plus as many reals).
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, platform, release, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import type { RawTensor, TensorMap } from '../../main/tensors/tensor'
import { initBackend, type BackendInfo } from '../../main/backend/backend'
import { BACKEND_NAMES, isBackendName, type BackendName } from '../../main/backend/names'
import { defaultConfig, type ModelConfig } from '../../main/engine/config'
import { BigGANModel } from '../../main/engine/model'
import { countParameters, type ParamSpec } from '../../main/engine/module'
import { buildDiscriminator, buildGenerator } from '../../main/engine/networks'
import { Random } from '../../main/engine/sampling/random'
import { tf } from '../../main/engine/tf'
import { median, oneHot, trainer } from './trainer'

// ─── what to run ────────────────────────────────────────────────────────────────────────────────────────────────

type Size = 'small' | 'paper'
type Measure = 'G forward' | 'train step'

interface Subject {
  label: string
  size: Size
  config: ModelConfig
}

const subjects: Subject[] = [
  { label: 'BigGAN-32 ch32', size: 'small', config: defaultConfig('biggan', 32, 32, 10) },
  { label: 'BigGAN-deep-32 ch32', size: 'small', config: defaultConfig('biggan-deep', 32, 32, 10) },
  { label: 'BigGAN-128 ch96', size: 'paper', config: defaultConfig('biggan', 128, 96, 1000) },
  { label: 'BigGAN-deep-128 ch128', size: 'paper', config: defaultConfig('biggan-deep', 128, 128, 1000) },
]

/** Timed runs per measure: at most `runs`, but stop once `budgetS` seconds are spent and `minRuns` are done. */
interface Repetitions {
  runs: number
  minRuns: number
  budgetS: number
}

function repetitions(size: Size, quick: boolean): Repetitions {
  if (quick) return size === 'small' ? { runs: 3, minRuns: 1, budgetS: 5 } : { runs: 1, minRuns: 1, budgetS: 0 }
  return size === 'small' ? { runs: 10, minRuns: 3, budgetS: 15 } : { runs: 3, minRuns: 2, budgetS: 20 }
}

/** One measure, run by one child process. */
interface Job {
  backend: BackendName
  subject: string // a Subject's label
  measure: Measure
  batch: number
  quick: boolean
}

/** What a child reports back. */
interface JobResult {
  init: string // how the weights were made, and how long it took
  timing?: Timing
  error?: string
  peakRssBytes: number // process.resourceUsage().maxRSS of the child: init, warm-up and timed runs
}

interface Timing {
  medianMs: number
  runs: number
  sampledRssBytes: number // max process.memoryUsage().rss sampled after the warm-up and each timed run
  peakTfBytes: number // in-flight peak of tf.memory().numBytes during the warm-up (tf.profile), weights included
  tfBytesAfter: number // tf.memory().numBytes after the timed runs: weights, plus Adam moments for a step
  leakedTensors: number // tensors left over per timed run (expected 0)
}

const RESULT_PREFIX = 'BENCH-RESULT '

// ─── the parent: plans the jobs, runs each in a child, reports ──────────────────────────────────────────────────

interface Plan {
  jobs: { measure: Measure; batch: number }[]
  left?: string // what the default run leaves out, for the report
}

function planFor(backend: BackendName, subject: Subject, full: boolean, paperBatch: number): Plan | { skip: string } {
  const slow = backend === 'cpu' // plain single-threaded JavaScript
  const canTrain = subject.config.dChannels > 0
  const all = (trainBatch: number): Plan => ({
    jobs: [
      { measure: 'G forward', batch: 1 },
      { measure: 'G forward', batch: 16 },
      ...(canTrain ? [{ measure: 'train step' as const, batch: trainBatch }] : []),
    ],
  })
  const batchOneOnly: Plan = {
    jobs: [{ measure: 'G forward', batch: 1 }],
    left: `${subject.label}: G forward at batch 16 and the training step (add --full)`,
  }
  if (subject.size === 'paper') {
    if (slow) return { skip: `${subject.label}: paper-sized models never run on cpu (hours per measure)` }
    return full ? all(paperBatch) : batchOneOnly
  }
  return slow && !full ? batchOneOnly : all(16)
}

interface Row {
  backend: BackendName
  model: string
  params: { G: number; D: number }
  measure: Measure
  batch: number
  result: JobResult
}

interface BackendRecord {
  name: BackendName
  error?: string
  info?: Pick<BackendInfo, 'tfBackend' | 'threads' | 'simd' | 'version' | 'notes'>
  notRun: string[]
}

async function runParent(): Promise<void> {
  const backends = list(flags.backends, 'backends').map((name) => {
    if (!isBackendName(name)) fail(`--backends: unknown backend '${name}'; choose from ${BACKEND_NAMES.join(', ')}`)
    return name
  })
  const sizes = list(flags.configs, 'configs').map((size) => {
    if (size !== 'small' && size !== 'paper') fail(`--configs: unknown config set '${size}'; choose from small, paper`)
    return size
  })
  const paperBatch = Number(flags['paper-batch'])
  if (!Number.isInteger(paperBatch) || paperBatch < 1) {
    fail(`--paper-batch must be a whole number ≥ 1, not ${flags['paper-batch']}`)
  }

  const started = performance.now()
  // Other processes competing for the cores skew every number: the report gives the load seen while measuring.
  const loads: number[] = [loadavg()[0]]
  const rows: Row[] = []
  const records: BackendRecord[] = []

  for (const backend of backends) {
    const record: BackendRecord = { name: backend, notRun: [] }
    records.push(record)
    try {
      // Loaded here only to learn whether it loads and how (threads, SIMD); the children load their own.
      const info = await initBackend({ backend })
      record.info = { tfBackend: info.tfBackend, threads: info.threads, simd: info.simd, version: info.version, notes: info.notes }
      progress(`${backend}: loaded (threads ${info.threads}, SIMD ${info.simd ? 'on' : 'off'})`)
    } catch (err) {
      record.error = firstLine(err)
      progress(`${backend}: skipped, it did not load (${record.error})`)
      continue
    }
    for (const subject of subjects) {
      if (!sizes.includes(subject.size)) continue
      const plan = planFor(backend, subject, flags.full, paperBatch)
      if ('skip' in plan) {
        record.notRun.push(plan.skip)
        continue
      }
      if (plan.left) record.notRun.push(plan.left)
      const params = parameterCounts(subject.config)
      for (const { measure, batch } of plan.jobs) {
        progress(`${backend} · ${subject.label} · ${measure} at batch ${batch}`)
        loads.push(loadavg()[0])
        const result = await runJob({ backend, subject: subject.label, measure, batch, quick: flags.quick })
        loads.push(loadavg()[0])
        const t = result.timing
        progress(t ? `  ${t.medianMs.toFixed(1)} ms, ${((batch * 1000) / t.medianMs).toFixed(2)} images/s (${t.runs} runs)` : `  failed: ${result.error}`)
        rows.push({ backend, model: subject.label, params, measure, batch, result })
      }
    }
  }

  const totalS = (performance.now() - started) / 1000
  console.log(report(records, rows, loads, totalS))
  if (flags.json) {
    const json = { machine: machine(), flags, loadAverage: { min: Math.min(...loads), max: Math.max(...loads) }, backends: records, rows, totalS }
    writeFileSync(flags.json, JSON.stringify(json, null, 2) + '\n')
    progress(`results written to ${flags.json}`)
  }
}

/** Runs one job in a child process (this script with --child), passing its progress through. A child that dies
 *  (a wasm abort, the OOM killer) becomes a failed row naming the last error it printed. */
function runJob(job: Job): Promise<JobResult> {
  const script = fileURLToPath(import.meta.url)
  // process.execArgv carries tsx's loader, so the child runs this TypeScript file the same way.
  const child = spawn(process.execPath, [...process.execArgv, script, '--child', JSON.stringify(job)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  const errors: string[] = []
  let wasmCrashed = false
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  let partial = ''
  const onLine = (line: string): void => {
    // A crash inside the wasm glue prints its minified source line: pass through only the start of long lines.
    process.stderr.write(line.length > 300 ? `${line.slice(0, 300)}…\n` : `${line}\n`)
    if (/^\s*(\w*Error\b|Aborted\(|Killed)|out of memory/.test(line)) errors.push(line.trim())
    if (/^\s*(RuntimeError: |Aborted\()/.test(line)) wasmCrashed = true
  }
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n')
    partial = lines.pop() ?? ''
    lines.forEach(onLine)
  })
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      if (partial) onLine(partial)
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX))
      const result: JobResult = line
        ? (JSON.parse(line.slice(RESULT_PREFIX.length)) as JobResult)
        : {
            init: '',
            error: `the child process ${signal ? `was killed by ${signal}` : `exited with code ${code}`}` +
              (errors.length ? `: ${errors[errors.length - 1].slice(0, 160)}` : ''),
            peakRssBytes: NaN,
          }
      // A wasm crash surfaces as whatever call failed next: say what it most likely was (see the peak RSS).
      if (result.error && job.backend === 'wasm' && (wasmCrashed || /RuntimeError|Aborted/.test(result.error))) {
        result.error = `the wasm module crashed, most likely its heap (4 GiB at most) was full: ${result.error}`
      }
      resolve(result)
    })
  })
}

function parameterCounts(config: ModelConfig): { G: number; D: number } {
  const D = buildDiscriminator(config)
  return { G: countParameters(buildGenerator(config).specs()), D: D ? countParameters(D.specs()) : 0 }
}

function machine(): Record<string, string | number> {
  return {
    cpu: cpus()[0]?.model ?? 'unknown CPU', cores: cpus().length, availableParallelism: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30), platform: platform(), release: release(),
    node: process.versions.node, tfjs: tf.version.tfjs,
  }
}

function report(records: BackendRecord[], rows: Row[], loads: number[], totalS: number): string {
  const m = machine()
  const lines: string[] = []
  lines.push('## Engine benchmark', '')
  lines.push(
    `Machine: ${m.cpu}, ${m.cores} cores (availableParallelism ${m.availableParallelism}), ${m.memoryGiB} GiB RAM, ` +
      `${m.platform} ${m.release}, Node ${m.node}, TensorFlow.js ${m.tfjs}. 1-minute load average while measuring: ` +
      `${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)} (the benchmark alone makes about 1; ` +
      `more means other processes shared the ${m.cores} cores).`,
  )
  lines.push('', 'Backends:')
  for (const b of records) {
    if (!b.info) {
      lines.push(`- ${b.name}: skipped, did not load (${firstSentence(b.error ?? '')})`)
      continue
    }
    lines.push(`- ${b.name} (tf '${b.info.tfBackend}'): threads ${b.info.threads}, SIMD ${b.info.simd ? 'on' : 'off'}`)
    for (const note of b.info.notes) lines.push(`  - ${note}`)
    for (const left of b.notRun) lines.push(`  - not run: ${left}`)
  }
  lines.push('')
  lines.push('| backend | model | params G / D | weights | measure | batch | median ms | images/s | runs | peak RSS | peak tf memory |')
  lines.push('|---|---|---|---|---|---:|---:|---:|---:|---:|---:|')
  for (const r of rows) {
    const t = r.result.timing
    const head = `| ${r.backend} | ${r.model} | ${millions(r.params.G)} / ${millions(r.params.D)} | ${r.result.init || '–'} | ${r.measure} | ${r.batch} |`
    if (!t) {
      lines.push(`${head} failed: ${r.result.error} | – | – | ${mib(r.result.peakRssBytes)} | – |`)
      continue
    }
    const perS = (r.batch * 1000) / t.medianMs
    lines.push(
      `${head} ${t.medianMs.toFixed(1)} | ${perS.toFixed(perS < 10 ? 2 : 1)} | ${t.runs} | ` +
        `${mib(r.result.peakRssBytes)} | ${mib(t.peakTfBytes)} |`,
    )
  }
  lines.push('')
  lines.push(
    'Median of the timed runs after one untimed warm-up; each run awaits data() of its output. G forward: ' +
      'BigGANModel.generate (typed arrays in and out, eval mode, ψ = 1). Train step: trainingStep (D step on batch ' +
      'fakes + batch reals, G step on batch fakes) plus both Adam updates; images/s = batch / step time. ' +
      'Each row ran in its own process. Peak RSS: that process\'s maxRSS (the peak of process.memoryUsage().rss), ' +
      'initialisation included. Peak tf memory: the in-flight peak of tf.memory().numBytes during the warm-up ' +
      '(tf.profile), weights included; numBytes counts a reshaped view of a buffer again, so it overstates. ' +
      'Small models: orthogonal init (BigGANModel.initialise); paper-sized: cheap random weights of the same shapes ' +
      '(timing does not depend on values) through BigGANModel.fromTensors, G only unless the row trains.',
  )
  for (const r of rows) {
    const leaked = r.result.timing?.leakedTensors ?? 0
    if (leaked !== 0) lines.push(`Warning: ${r.backend} · ${r.model} · ${r.measure} left ${leaked} tensors per run behind.`)
  }
  lines.push('', `Total runtime: ${seconds(totalS * 1000)}.`)
  return lines.join('\n')
}

// ─── the child: one measure ─────────────────────────────────────────────────────────────────────────────────────

async function runChild(job: Job): Promise<void> {
  const subject = subjects.find((s) => s.label === job.subject)
  if (!subject) fail(`--child: no model called '${job.subject}'`)
  await initBackend({ backend: job.backend })
  const training = job.measure === 'train step'
  const rep = repetitions(subject.size, job.quick)
  const { model, init } = makeModel(subject, training)
  let result: JobResult
  try {
    const once = training ? trainer(model, job.batch, 11) : { step: forward(model, job.batch, 7), dispose: () => {} }
    try {
      result = { init, timing: await measure(once.step, rep), peakRssBytes: 0 }
    } finally {
      once.dispose()
    }
    model.dispose()
  } catch (err) {
    // After a wasm crash every later call throws too (disposing included): report the first error only.
    const name = err instanceof Error && err.name !== 'Error' ? `${err.name}: ` : ''
    result = { init, error: `${name}${firstLine(err)}`.slice(0, 200), peakRssBytes: 0 }
  }
  result.peakRssBytes = process.resourceUsage().maxRSS * 1024
  // Exit at once: a broken backend may still reject pending promises, which must not turn a result into a crash.
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`, () => process.exit(0))
}

/** Runs `once` as an untimed, profiled warm-up, then times it. `once` must finish its work (await data()). */
async function measure(once: () => Promise<void>, rep: Repetitions): Promise<Timing> {
  let sampledRss = 0
  const sample = (): void => {
    sampledRss = Math.max(sampledRss, process.memoryUsage().rss)
  }
  const profile = await tf.profile(async () => {
    await once()
  })
  sample()
  const tensorsBefore = tf.memory().numTensors
  const times: number[] = []
  const budgetEnd = performance.now() + rep.budgetS * 1000
  while (times.length < rep.runs && (times.length < rep.minRuns || performance.now() < budgetEnd)) {
    const t0 = performance.now()
    await once()
    times.push(performance.now() - t0)
    sample()
  }
  return {
    medianMs: median(times),
    runs: times.length,
    sampledRssBytes: sampledRss,
    peakTfBytes: profile.peakBytes,
    tfBytesAfter: tf.memory().numBytes,
    leakedTensors: (tf.memory().numTensors - tensorsBefore) / times.length,
  }
}

/** G forward through the public API: typed arrays in, typed array out, as the studio and the CLI call it. */
function forward(model: BigGANModel, batch: number, seed: number): () => Promise<void> {
  const { zDim, numClasses } = model.config
  const z = new Random(seed).normals(batch * zDim)
  const y = oneHot(batch, numClasses)
  return async () => {
    await model.generate(z, y, { truncation: 1 })
  }
}

// ─── models ─────────────────────────────────────────────────────────────────────────────────────────────────────

/** Small models get the real (orthogonal) initialisation; paper-sized ones the cheap one below, because the
 *  orthogonal init's float64 Householder QR takes minutes per model in JS and timing does not depend on values. */
function makeModel(subject: Subject, withD: boolean): { model: BigGANModel; init: string } {
  const t0 = performance.now()
  if (subject.size === 'small') {
    const model = BigGANModel.initialise(subject.config, 1)
    return { model, init: `orthogonal, ${seconds(performance.now() - t0)}` }
  }
  const model = BigGANModel.fromTensors(subject.config, cheapRandomTensors(subject.config, withD, 1))
  return { model, init: `cheap random${withD ? '' : ', G only'}, ${seconds(performance.now() - t0)}` }
}

/**
 * Benchmark-only weights: uniform values with variance 1/fanIn for weights and embeddings, each role's constant
 * elsewhere (as init.ts), and spectral-norm vectors u, v from two power steps on their weight so that σ = uᵀ W v
 * is close to the largest singular value and the eval forward stays in a sane range (random u, v could give σ ≈ 0).
 * Not a substitute for initialise(): no orthogonality, so never train a real model from it.
 */
function cheapRandomTensors(config: ModelConfig, withD: boolean, seed: number): { G: TensorMap; D?: TensorMap } {
  let state = new Random(seed).uint32() | 1
  const uniform = (): number => {
    // xorshift32: far cheaper than Random's normals for 10⁸ values, plenty for benchmark weights
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 4294967296
  }
  const fill = (specs: ParamSpec[]): TensorMap => {
    const values = new Map<string, Float32Array>()
    for (const spec of specs) {
      const n = spec.shape.reduce((a, b) => a * b, 1)
      const v = new Float32Array(n)
      switch (spec.role) {
        case 'weight':
        case 'embedding': {
          const out = spec.role === 'embedding' ? spec.shape[0] : spec.shape[spec.shape.length - 1]
          const a = Math.sqrt(3 / (n / out)) // uniform(−a, a) has variance 1/fanIn
          for (let i = 0; i < n; i++) v[i] = (2 * uniform() - 1) * a
          break
        }
        case 'gain':
        case 'bn-var':
        case 'sn-sigma':
          v.fill(1)
          break
        case 'sn-u':
          for (let i = 0; i < n; i++) v[i] = 2 * uniform() - 1
          break
        default: // bias, bn-mean, gamma: zeros; sn-v: set by the power steps
          break
      }
      values.set(spec.name, v)
    }
    for (const spec of specs) {
      if (spec.role !== 'sn-u') continue
      const layer = spec.name.slice(0, -'.u'.length)
      const weight = specs.find((s) => s.name === `${layer}.weight`)
      if (!weight) throw new Error(`no weight for the spectral-norm vector ${spec.name}`)
      powerSteps(values.get(weight.name)!, weight.role === 'embedding', values.get(spec.name)!, values.get(`${layer}.v`)!)
    }
    const out: TensorMap = new Map()
    for (const spec of specs) {
      const v = values.get(spec.name)!
      out.set(spec.name, { dtype: 'F32', shape: [...spec.shape], data: new Uint8Array(v.buffer) } satisfies RawTensor)
    }
    return out
  }
  const G = fill(buildGenerator(config).specs())
  const D = withD ? buildDiscriminator(config) : undefined
  return D ? { G, D: fill(D.specs()) } : { G }
}

/** u, v ← two power steps on W_mat [out, fanIn] (stored as [fanIn, out] unless outputsFirst), in place. */
function powerSteps(w: Float32Array, outputsFirst: boolean, u: Float32Array, v: Float32Array): void {
  const out = u.length
  const fanIn = v.length
  const at = outputsFirst ? (o: number, i: number) => o * fanIn + i : (o: number, i: number) => i * out + o
  for (let step = 0; step < 2; step++) {
    v.fill(0)
    for (let o = 0; o < out; o++) for (let i = 0; i < fanIn; i++) v[i] += w[at(o, i)] * u[o]
    normalise(v)
    u.fill(0)
    for (let o = 0; o < out; o++) for (let i = 0; i < fanIn; i++) u[o] += w[at(o, i)] * v[i]
    normalise(u)
  }
}

// ─── helpers ────────────────────────────────────────────────────────────────────────────────────────────────────

function normalise(x: Float32Array): void {
  let sum = 0
  for (let i = 0; i < x.length; i++) sum += x[i] * x[i]
  const length = Math.max(Math.sqrt(sum), 1e-12)
  for (let i = 0; i < x.length; i++) x[i] /= length
}

function list(value: string, flag: string): string[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean)
  if (items.length === 0) fail(`--${flag} needs at least one name`)
  return items
}

function millions(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : `${(n / 1e3).toFixed(0)}k`
}

function mib(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(0)} MiB` : '–'
}

function seconds(ms: number): string {
  return ms >= 60_000 ? `${Math.floor(ms / 60_000)} min ${((ms % 60_000) / 1000).toFixed(0)} s` : `${(ms / 1000).toFixed(1)} s`
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n', 1)[0].trim()
}

function firstSentence(text: string): string {
  const end = text.indexOf('. ')
  return (end > 0 ? text.slice(0, end) : text).slice(0, 240)
}

function progress(message: string): void {
  process.stderr.write(`${message}\n`)
}

function fail(message: string): never {
  process.stderr.write(`engine.bench: ${message}\n`)
  process.exit(2)
}

// ─── main ───────────────────────────────────────────────────────────────────────────────────────────────────────

const { values: flags } = parseArgs({
  options: {
    backends: { type: 'string', default: BACKEND_NAMES.join(',') },
    configs: { type: 'string', default: 'small,paper' },
    quick: { type: 'boolean', default: false },
    full: { type: 'boolean', default: false },
    'paper-batch': { type: 'string', default: '2' },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
    child: { type: 'string' }, // internal: the Job one child process runs
  },
  strict: true,
})

if (flags.help) {
  console.log(
    'npm run bench -- [--backends tfjs-node-gpu,tfjs-node,wasm,cpu] [--configs small,paper] [--quick]\n' +
      '                 [--full] [--paper-batch N] [--json FILE]',
  )
} else if (flags.child) {
  await runChild(JSON.parse(flags.child) as Job)
} else {
  await runParent()
}
