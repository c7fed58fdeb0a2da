// How fast G inference runs on onnxruntime-node next to TensorFlow.js and PyTorch on this machine: images/s at
// batch 1 and 16, per runtime and thread count, as ratios to PyTorch, with peak memory and onnxruntime's per-layer
// profile of BigGAN-deep-128. A benchmark, not a test: it asserts nothing and vitest never collects it.
//
//   tsx test/bench/onnx.bench.ts [--quick] [--full] [--models small,deep128] [--runtimes onnx,tfjs,torch] [--work DIR] [--json FILE]
//
// Models: a BigGAN-32 ch16 shaped like the bundled default (Fashion-MNIST's 10 classes, attention at 16), and a
// randomly initialised BigGAN-deep-128 generator shaped like the released one (ch 128, 1000 classes, 51 rows of
// BatchNorm statistics, a 128-channel to-RGB conv: 50,388,609 parameters). Both are made once (orthogonal init,
// about a minute for the deep one on wasm) and kept with their ONNX export in --work (default: a folder in the
// system's temp dir), so a second run starts measuring at once; the export is redone when the exporter changed.
// Runtimes: onnxruntime CPU with 1 and 2 threads (the graph from main/onnx, weights in an external data file);
// TensorFlow.js wasm (single-threaded under Node) and cpu (the deep model only with --full: tens of seconds an
// image); PyTorch with 1 and 2 threads (Debian's python3-torch; scripts/bench_torch_generate.py restates each net:
// the HF BigGAN-deep code path for the deep model, scripts/bench_torch_step.py's BigGAN in eval mode for the small).
// Every measure runs in its own process, so its peak RSS is its own: a warm-up forward, then the median of timed
// forwards (up to 10, or until a time budget is spent). --quick times fewer runs; --full adds tfjs cpu on the deep model.
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { availableParallelism, cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { defaultConfig, type ModelConfig } from '../../main/engine/config'
import { OnnxGenerator, ortVersion } from '../../main/onnx/runtime'
import { loadModel, saveModel } from '../../main/disk/modelFolder'

// ─── what to run ────────────────────────────────────────────────────────────────────────────────────────────────

interface Subject {
  key: string
  label: string
  paperSized: boolean
  config: ModelConfig
  /** scripts/bench_torch_generate.py arguments for the same net */
  torch: string[]
}

const subjects: Subject[] = [
  {
    key: 'small',
    label: 'BigGAN-32 ch16 (default-like)',
    paperSized: false,
    config: defaultConfig('biggan', 32, 16, 10, 16),
    torch: ['--arch', 'biggan', '--res', '32', '--ch', '16', '--classes', '10', '--attention', '16'],
  },
  {
    key: 'deep128',
    label: 'BigGAN-deep-128 ch128 G (random)',
    paperSized: true,
    config: {
      ...defaultConfig('biggan-deep', 128, 128, 1000),
      dChannels: 0, nStats: 51, statsMode: 'hf', toRgbChannels: 128, bnEps: 1e-4, snEps: 1e-4,
    },
    torch: ['--arch', 'biggan-deep', '--res', '128', '--ch', '128', '--classes', '1000', '--to-rgb', '128'],
  },
]

type Runtime = 'onnx' | 'tfjs-wasm' | 'tfjs-cpu' | 'torch'

interface Job {
  runtime: Runtime
  subject: string
  threads: number
  batch: number
  quick: boolean
  work: string
  /** onnx only: write and summarise onnxruntime's profile */
  profile?: boolean
}

interface Timing {
  medianMs: number
  runs: number
}

interface JobResult {
  timing?: Timing
  error?: string
  peakRssBytes: number
  /** onnx: RSS once onnxruntime is loaded, before the model (the peak above it is the model's) */
  baselineRssBytes?: number
  provider?: string
  profile?: ProfileSummary
}

const RESULT_PREFIX = 'BENCH-RESULT '
/** TensorFlow.js's advice to install tfjs-node, printed by every child that loads it */
const TFJS_BANNER = /^=+$|running TensorFlow\.js in Node\.js|tfjs-node for more details/
const TORCH_SCRIPT = resolve(import.meta.dirname, '../../scripts/bench_torch_generate.py')
const PYTHON = '/usr/bin/python3'

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    full: { type: 'boolean', default: false },
    models: { type: 'string', default: 'small,deep128' },
    runtimes: { type: 'string', default: 'onnx,tfjs,torch' },
    work: { type: 'string', default: join(tmpdir(), 'biggan-onnx-bench') },
    json: { type: 'string' },
    child: { type: 'string' },
    prepare: { type: 'string' },
  },
})

function plan(subject: Subject, work: string): Job[] {
  const jobs: Job[] = []
  const families = flags.runtimes.split(',').map((r) => r.trim())
  const job = (runtime: Runtime, threads: number, batch: number, extra: Partial<Job> = {}): void => {
    if (!families.includes(runtime.replace(/-.*/, ''))) return
    jobs.push({ runtime, subject: subject.key, threads, batch, quick: flags.quick, work, ...extra })
  }
  for (const batch of [1, 16]) {
    for (const threads of [1, 2]) job('onnx', threads, batch)
    job('tfjs-wasm', 1, batch)
    if (!subject.paperSized || (flags.full && batch === 1)) job('tfjs-cpu', 1, batch)
    for (const threads of [1, 2]) job('torch', threads, batch)
  }
  if (subject.paperSized) job('onnx', 2, 1, { profile: true })
  return jobs
}

// ─── the parent ─────────────────────────────────────────────────────────────────────────────────────────────────

interface Row {
  subject: Subject
  job: Job
  result: JobResult
}

async function runParent(): Promise<void> {
  const keys = flags.models.split(',').map((k) => k.trim())
  const chosen = keys.map((k) => subjects.find((s) => s.key === k) ?? fail(`--models: no model '${k}'; choose from ${subjects.map((s) => s.key).join(', ')}`))
  const work = resolve(flags.work)
  await mkdir(work, { recursive: true })
  const started = performance.now()
  const loads = [loadavg()[0]]
  const rows: Row[] = []
  for (const subject of chosen) {
    progress(`${subject.label}: preparing the model and its ONNX export in ${join(work, subject.key)}`)
    const prepared = await runChild(['--prepare', JSON.stringify({ subject: subject.key, work })])
    if (prepared.error) fail(`preparing ${subject.label} failed: ${prepared.error}`)
    for (const job of plan(subject, work)) {
      progress(`${subject.label} · ${describe(job)} · batch ${job.batch}`)
      loads.push(loadavg()[0])
      const result = job.runtime === 'torch' ? await runTorch(subject, job) : await runChild(['--child', JSON.stringify(job)])
      loads.push(loadavg()[0])
      const t = result.timing
      progress(t ? `  ${(t.medianMs / job.batch).toFixed(1)} ms per image (${t.runs} runs)` : `  failed: ${result.error}`)
      rows.push({ subject, job, result })
    }
  }
  const totalS = (performance.now() - started) / 1000
  console.log(report(rows, loads, totalS, work))
  if (flags.json) {
    writeFileSync(flags.json, JSON.stringify({ machine: machine(), flags, loads, rows: rows.map((r) => ({ ...r, subject: r.subject.key })), totalS }, null, 2) + '\n')
    progress(`results written to ${flags.json}`)
  }
}

function describe(job: Job): string {
  if (job.runtime === 'onnx') return `onnxruntime CPU ${job.threads} thread${job.threads > 1 ? 's' : ''}${job.profile ? ' (profiled)' : ''}`
  if (job.runtime === 'torch') return `PyTorch ${job.threads} thread${job.threads > 1 ? 's' : ''}`
  return `TensorFlow.js ${job.runtime.slice(5)}`
}

/** This script again, with tsx's loader (process.execArgv), for one measure; its last result line is the answer. */
function runChild(args: string[]): Promise<JobResult> {
  return collect(spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 'pipe', 'pipe'] }), (stdout) => {
    const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX))
    return line ? (JSON.parse(line.slice(RESULT_PREFIX.length)) as JobResult) : undefined
  })
}

function runTorch(subject: Subject, job: Job): Promise<JobResult> {
  const budget = subject.paperSized ? (job.quick ? 20 : 60) : 10
  const runs = job.quick ? 3 : 10
  const args = [TORCH_SCRIPT, ...subject.torch, '--batch', String(job.batch), '--threads', String(job.threads), '--runs', String(runs), '--budget', String(budget)]
  return collect(spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: resolve(import.meta.dirname, '../../scripts') }), (stdout) => {
    const line = stdout.trim().split('\n').pop()
    if (!line?.startsWith('{')) return undefined
    const r = JSON.parse(line) as { forward_ms_median: number; runs: number }
    return { timing: { medianMs: r.forward_ms_median, runs: r.runs }, peakRssBytes: NaN }
  })
}

function collect(child: ReturnType<typeof spawn>, parse: (stdout: string) => JobResult | undefined): Promise<JobResult> {
  let stdout = ''
  let lastError = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    for (const line of chunk.split('\n').filter((l) => l.trim() && !TFJS_BANNER.test(l))) {
      process.stderr.write(line.length > 300 ? `${line.slice(0, 300)}…\n` : `${line}\n`)
      lastError = line.trim()
    }
  })
  return new Promise((done) => {
    child.on('error', (err) => done({ error: err.message, peakRssBytes: NaN }))
    child.on('close', (code, signal) => {
      const parsed = parse(stdout)
      done(parsed ?? { error: `exited ${signal ? `on ${signal}` : `with code ${code}`}${lastError ? `: ${lastError.slice(0, 200)}` : ''}`, peakRssBytes: NaN })
    })
  })
}

// ─── the children ───────────────────────────────────────────────────────────────────────────────────────────────

function paths(work: string, subject: Subject): { model: string; graph: string; meta: string } {
  const dir = join(work, subject.key)
  return { model: join(dir, 'model'), graph: join(dir, 'G.onnx'), meta: join(dir, 'meta.json') }
}

/** The model (initialised once, saved) and its ONNX export with external data; TensorFlow.js loads only here. */
async function prepare(subject: Subject, work: string): Promise<void> {
  const p = paths(work, subject)
  const { EXPORT_VERSION, exportNetwork } = await import('../../main/onnx/export')
  const exported = existsSync(p.meta) ? (JSON.parse(readFileSync(p.meta, 'utf8')) as { exporter?: number }).exporter : undefined
  if (exported === EXPORT_VERSION && existsSync(p.graph) && existsSync(`${p.graph}.data`)) return
  const { initBackend } = await import('../../main/backend/backend')
  const { BigGANModel } = await import('../../main/engine/model')
  const { countParameters } = await import('../../main/engine/module')
  const { concatChunks } = await import('../../main/onnx/proto')
  await initBackend({ backend: 'wasm' })
  if (!existsSync(join(p.model, 'config.json'))) {
    const t0 = performance.now()
    const model = BigGANModel.initialise(subject.config, 0)
    await saveModel(model, p.model, { source: 'init', notes: 'onnx.bench.ts: random weights, orthogonal init' })
    progress(`  initialised in ${seconds(performance.now() - t0)}`)
    model.dispose()
  }
  const model = await loadModel(p.model)
  const t0 = performance.now()
  const external = { location: 'G.onnx.data', threshold: 4096, chunks: [] as Uint8Array[], length: 0 }
  const graph = exportNetwork(model, 'G', {}, external)
  const exportMs = performance.now() - t0
  writeFileSync(`${p.graph}.data`, concatChunks(external.chunks))
  writeFileSync(p.graph, concatChunks(graph))
  const parameters = countParameters(model.G.specs())
  writeFileSync(p.meta, JSON.stringify({ parameters, exportMs, dataBytes: external.length, exporter: EXPORT_VERSION }))
  progress(`  exported in ${seconds(exportMs)}: ${parameters.toLocaleString('en')} parameters`)
  model.dispose()
}

function inputs(config: ModelConfig, batch: number): { z: Float32Array; y: Float32Array } {
  const z = new Float32Array(batch * config.zDim)
  for (let i = 0; i < z.length; i++) z[i] = Math.sin(i * 12.9898) * 0.8 // fixed, normal-ish values
  const y = new Float32Array(batch * config.numClasses)
  for (let b = 0; b < batch; b++) y[b * config.numClasses + (b % config.numClasses)] = 1
  return { z, y }
}

/** A warm-up, then timed runs: at most `runs`, stopping once `budgetS` is spent and `minRuns` are done. */
async function time(step: () => Promise<unknown>, paperSized: boolean, quick: boolean): Promise<Timing> {
  const runs = quick ? 3 : 10
  const budgetMs = (paperSized ? (quick ? 20 : 60) : 10) * 1000
  const minRuns = paperSized ? 1 : 3
  await step()
  const times: number[] = []
  const started = performance.now()
  while (times.length < runs && (times.length < minRuns || performance.now() - started < budgetMs)) {
    const t0 = performance.now()
    await step()
    times.push(performance.now() - t0)
  }
  times.sort((a, b) => a - b)
  return { medianMs: times[Math.floor(times.length / 2)], runs: times.length }
}

async function child(job: Job): Promise<JobResult> {
  const subject = subjects.find((s) => s.key === job.subject)!
  const p = paths(job.work, subject)
  const { z, y } = inputs(subject.config, job.batch)
  if (job.runtime === 'onnx') {
    // onnxruntime's own footprint first (library and thread pool), measured with a one-node graph
    const tiny = await tinySession(job.threads)
    await tiny.dispose()
    const baselineRssBytes = rssNow()
    const prefix = join(job.work, subject.key, `profile-${process.pid}`)
    const G = await OnnxGenerator.open(p.graph, subject.config, { threads: job.threads, ...(job.profile ? { profilePrefix: prefix } : {}) })
    const timing = await time(() => G.generate(z, y, { truncation: 1 }), subject.paperSized, job.quick || !!job.profile)
    let profile: ProfileSummary | undefined
    if (job.profile) {
      G.endProfiling()
      profile = summariseProfile(newestFile(join(job.work, subject.key), `profile-${process.pid}`))
    }
    await G.dispose()
    return { timing, peakRssBytes: peakRss(), baselineRssBytes, provider: `onnxruntime ${ortVersion()} ${G.info.provider}`, ...(profile ? { profile } : {}) }
  }
  const { initBackend } = await import('../../main/backend/backend')
  const { BigGANModel } = await import('../../main/engine/model')
  await initBackend({ backend: job.runtime === 'tfjs-wasm' ? 'wasm' : 'cpu' })
  const model = await loadModel(p.model)
  const timing = await time(() => model.generate(z, y, { truncation: 1 }), subject.paperSized, job.quick)
  model.dispose()
  return { timing, peakRssBytes: peakRss() }
}

async function tinySession(threads: number): Promise<{ dispose(): Promise<void> }> {
  const { GraphBuilder, OPSET } = await import('../../main/onnx/graph')
  const { concatChunks, encodeModel } = await import('../../main/onnx/proto')
  const g = new GraphBuilder('tiny')
  g.output(g.relu(g.input('x', 'float', [1]), 'relu'), 'y', 'float', [1])
  const bytes = concatChunks(encodeModel({ graph: g.graph(), opset: OPSET, producer: { name: 'bench', version: '0' }, docString: '', metadata: {} }))
  const { createSession } = await import('../../main/onnx/runtime')
  const { session } = await createSession(bytes, { threads })
  const ort = (await import('../../main/onnx/runtime')).loadOrt()
  await session.run({ x: new ort.Tensor('float32', new Float32Array([1]), [1]) })
  return { dispose: () => session.release() }
}

/** Resident memory now: /proc's VmRSS where there is one. */
function rssNow(): number {
  const status = procStatus()
  return status ? Number(status.match(/VmRSS:\s+(\d+)/)?.[1]) * 1024 : process.memoryUsage().rss
}

/** The process's peak resident memory. */
function peakRss(): number {
  const status = procStatus()
  return status ? Number(status.match(/VmHWM:\s+(\d+)/)?.[1]) * 1024 : process.resourceUsage().maxRSS * 1024
}

function procStatus(): string | undefined {
  try {
    return readFileSync('/proc/self/status', 'utf8')
  } catch {
    return undefined
  }
}

function newestFile(dir: string, prefix: string): string {
  const names = readdirSync(dir).filter((n) => n.startsWith(prefix) && n.endsWith('.json'))
  if (names.length === 0) throw new Error(`onnxruntime wrote no profile ${prefix}*.json in ${dir}`)
  return join(dir, names.sort((a, b) => statSync(join(dir, b)).mtimeMs - statSync(join(dir, a)).mtimeMs)[0])
}

// ─── onnxruntime's profile ──────────────────────────────────────────────────────────────────────────────────────

interface ProfileSummary {
  file: string
  runMs: number
  kernelMs: number
  byOp: { op: string; ms: number }[]
  byLayer: { layer: string; ms: number }[]
  topNodes: { node: string; op: string; ms: number; shape: string }[]
}

interface TraceEvent {
  cat: string
  name: string
  ts: number
  dur: number
  args?: { op_name?: string; output_type_shape?: unknown }
}

/** The last timed run of a profile: kernel time by op type, by engine layer (G.blocks.N, G.attention64, …) and by
 *  node. Node names are the exporter's (the engine's layer names), plus onnxruntime's suffixes (_nchwc, fusions). */
function summariseProfile(file: string): ProfileSummary {
  const events = JSON.parse(readFileSync(file, 'utf8')) as TraceEvent[]
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run')
  const last = runs[runs.length - 1]
  const kernels = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time') && e.ts >= last.ts && e.ts <= last.ts + last.dur)
  const add = (map: Map<string, number>, key: string, us: number): void => void map.set(key, (map.get(key) ?? 0) + us)
  const byOp = new Map<string, number>()
  const byLayer = new Map<string, number>()
  const nodes = kernels.map((e) => {
    const node = e.name.slice(0, -'_kernel_time'.length)
    const op = e.args?.op_name ?? '?'
    add(byOp, op, e.dur)
    add(byLayer, node.match(/^(G\.(blocks\.\d+|attention\d+|[A-Za-z]+))/)?.[1] ?? `(onnxruntime's own: ${op})`, e.dur)
    return { node, op, ms: e.dur / 1000, shape: JSON.stringify(e.args?.output_type_shape ?? '').replace(/[{}"]/g, '').slice(0, 40) }
  })
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([k, us]) => [k, us / 1000] as const)
  return {
    file,
    runMs: last.dur / 1000,
    kernelMs: kernels.reduce((s, e) => s + e.dur, 0) / 1000,
    byOp: sorted(byOp).map(([op, ms]) => ({ op, ms })),
    byLayer: sorted(byLayer).map(([layer, ms]) => ({ layer, ms })),
    topNodes: nodes.sort((a, b) => b.ms - a.ms).slice(0, 12),
  }
}

// ─── the report ─────────────────────────────────────────────────────────────────────────────────────────────────

function machine(): Record<string, string | number> {
  return {
    cpu: cpus()[0]?.model ?? 'unknown CPU', cores: cpus().length, availableParallelism: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30), platform: platform(), release: release(), node: process.versions.node,
    onnxruntime: ortVersion(),
  }
}

function report(rows: Row[], loads: number[], totalS: number, work: string): string {
  const m = machine()
  const lines = ['## ONNX inference benchmark', '']
  lines.push(
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.platform} ${m.release}, Node ${m.node}, onnxruntime-node ` +
      `${m.onnxruntime}, PyTorch from ${PYTHON}. 1-minute load average while measuring: ${Math.min(...loads).toFixed(1)} to ` +
      `${Math.max(...loads).toFixed(1)} (the benchmark alone makes about 1–2; more means other processes shared the cores, ` +
      'which slows every runtime: compare within a run).',
    '',
  )
  const torch = (subject: Subject, threads: number, batch: number): number | undefined =>
    rows.find((r) => r.subject === subject && r.job.runtime === 'torch' && r.job.threads === threads && r.job.batch === batch)?.result.timing?.medianMs
  lines.push('| model | runtime | threads | batch | ms per image | images/s | ÷ PyTorch, same threads and batch | ÷ PyTorch 2 threads, same batch | peak RSS |')
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|')
  for (const r of rows.filter((r) => !r.job.profile)) {
    const { job, result } = r
    const t = result.timing
    const head = `| ${r.subject.label} | ${describe(job).replace(/ \d threads?$/, '')} | ${job.threads} | ${job.batch} |`
    if (!t) {
      lines.push(`${head} failed: ${result.error} | – | – | – | – |`)
      continue
    }
    const perImage = t.medianMs / job.batch
    const ratio = (ms: number | undefined): string => (ms && job.runtime !== 'torch' ? (t.medianMs / ms).toFixed(2) : '–')
    lines.push(
      `${head} ${perImage.toFixed(perImage < 10 ? 2 : 0)} | ${(1000 / perImage).toFixed(1000 / perImage < 10 ? 2 : 1)} | ` +
        `${ratio(torch(r.subject, job.threads, job.batch))} | ${ratio(torch(r.subject, 2, job.batch))} | ${memory(r)} |`,
    )
  }
  lines.push(
    '',
    'ms per image: the median forward of the batch ÷ batch, after a warm-up forward (typed arrays in and out: ' +
      'OnnxGenerator.generate, BigGANModel.generate, torch.no_grad G(z, y)). Ratios < 1: faster than PyTorch. Peak RSS: ' +
      "the process's peak (VmHWM); for onnxruntime also the peak above its own footprint (Node, the library, the thread " +
      "pool: a one-node session first) as a multiple of G's parameter bytes (4 bytes × parameters).",
  )
  for (const r of rows.filter((r) => r.job.profile && r.result.profile)) {
    const p = r.result.profile!
    const pct = (ms: number): string => `${((100 * ms) / p.kernelMs).toFixed(1)}%`
    lines.push('', `### Where the time goes: ${r.subject.label}, onnxruntime CPU ${r.job.threads} threads, batch ${r.job.batch}`, '')
    lines.push(`One run: ${p.runMs.toFixed(0)} ms, of which kernels ${p.kernelMs.toFixed(0)} ms (profile: ${p.file}).`, '')
    lines.push('| op type | ms | share |', '|---|---:|---:|')
    for (const { op, ms } of p.byOp.filter((o) => o.ms >= 0.5)) lines.push(`| ${op} | ${ms.toFixed(1)} | ${pct(ms)} |`)
    lines.push('', '| layer | ms | share |', '|---|---:|---:|')
    for (const { layer, ms } of p.byLayer.filter((o) => o.ms >= 0.5)) lines.push(`| ${layer} | ${ms.toFixed(1)} | ${pct(ms)} |`)
    lines.push('', '| slowest nodes | op | output | ms |', '|---|---|---|---:|')
    for (const n of p.topNodes) lines.push(`| ${n.node} | ${n.op} | ${n.shape} | ${n.ms.toFixed(1)} |`)
  }
  lines.push('', `Models and exports: ${work}. Total runtime: ${seconds(totalS * 1000)}.`)
  return lines.join('\n')
}

function memory(r: Row): string {
  const { result } = r
  if (!Number.isFinite(result.peakRssBytes)) return '–'
  const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`
  if (result.baselineRssBytes === undefined) return mib(result.peakRssBytes)
  const meta = JSON.parse(readFileSync(paths(r.job.work, r.subject).meta, 'utf8')) as { parameters: number }
  const above = result.peakRssBytes - result.baselineRssBytes
  return `${mib(result.peakRssBytes)} (+${mib(above)} = ${(above / (4 * meta.parameters)).toFixed(2)}× weights)`
}

function seconds(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`
}

function progress(message: string): void {
  process.stderr.write(`${message}\n`)
}

function fail(message: string): never {
  process.stderr.write(`onnx.bench: ${message}\n`)
  process.exit(2)
}

// ─── entry ──────────────────────────────────────────────────────────────────────────────────────────────────────

async function entry(): Promise<void> {
  if (flags.prepare) {
    const { subject, work } = JSON.parse(flags.prepare) as { subject: string; work: string }
    let result: JobResult = { peakRssBytes: 0 }
    try {
      await prepare(subjects.find((s) => s.key === subject)!, work)
    } catch (err) {
      result = { error: (err as Error).message, peakRssBytes: NaN }
    }
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`)
    return
  }
  if (flags.child) {
    let result: JobResult
    try {
      result = await child(JSON.parse(flags.child) as Job)
    } catch (err) {
      result = { error: (err as Error).message, peakRssBytes: peakRss() }
    }
    process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`)
    return
  }
  await runParent()
}

await entry()
