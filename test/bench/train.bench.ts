// Training throughput and peak memory beside BigGAN-PyTorch: one BigGAN training step (D step + D's Adam + G step +
// G's Adam, as trainer.ts takes it) on each engine backend, and the same step in BigGAN-PyTorch's own code
// (scripts/bench_torch_reference.py: its BigGAN.py / BigGANdeep.py, G_D and train_fns.GAN_training_function, run with
// Debian's /usr/bin/python3 and its python3-torch) on the same machine. Not a test: a script that prints a markdown
// table. Run: npm run bench:train [-- options]
//
//   (a) `biggan train`'s default model: defaultConfig('biggan', 32, 16, 10, 16), batch 16, no augmentation
//   (b) BigGAN-128:  defaultConfig('biggan', 128, 16, 10, 64), batch 4
//   (c) paper size:  defaultConfig('biggan-deep', 128, 128, 1000, 64) with its D, batch 4. wasm is not run there by
//       default (--deep-wasm tries it): TensorFlow.js keeps that step's weights, activations and gradients in one
//       32-bit wasm heap, which the step outgrows (wasm aborts allocating a tensor in its first step). A step there
//       takes tens of seconds and the onnx compile a minute, so (c) gets one warm-up and one timed step on each side,
//       and the whole run about 15 minutes on 2 loaded cores (--only a,b: 5).
//   --backends wasm,onnx (the default): TensorFlow.js on wasm, and the step compiled for onnxruntime
//   (main/onnx/training) with Adam on wasm; cpu (TensorFlow.js's plain JavaScript backend) can be added.
//
// Each engine measurement runs in a child process (trainStep.run.ts) so that its peak resident set (Linux VmHWM) is
// the step's alone; PyTorch's is its process's getrusage ru_maxrss. Engine numbers are the median of --runs timed
// steps after one untimed warm-up; PyTorch's the median of its timed steps after its warm-ups, with
// torch.set_num_threads(N) for each N of --torch-threads. Ratios are engine ÷ PyTorch (> 1: the engine is slower or
// larger); each subject's target is checked against PyTorch's fastest thread count (memory against that same run).
//
// Without --reference DIR or env BIGGAN_PYTORCH_DIR (a checkout of ajbrock/BigGAN-PyTorch), the PyTorch side falls
// back to scripts/bench_torch_step.py, a re-statement of our BigGAN in PyTorch (no BigGAN-deep, no memory figure).
//
// Options: --only a,b,c  --backends wasm,onnx[,cpu]  --runs N  --torch-steps N  --torch-threads 1,2|none
//          --reference DIR  --ch128 N  --deep-wasm  --onnx-threads N  --timeout-min N (per child, default 30)
//          --wasm-threads N|max (wasm's threaded build, main/backend/wasmThreads.ts)
//          --no-parity (skip the parity tests, which run after the timings and print their figures: about 2 minutes)
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { cpus, loadavg, release, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseWasmThreads } from '../../main/backend/threadCounts'
import type { Arch } from '../../main/engine/config'
import type { StepResult, StepSpec } from './trainStep.run'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const python = '/usr/bin/python3' // Debian's interpreter: the one python3-torch imports under
const referenceScript = join(root, 'scripts', 'bench_torch_reference.py')
const restatedScript = join(root, 'scripts', 'bench_torch_step.py')
const stepRunner = join(here, 'trainStep.run.ts')

interface Subject {
  key: 'a' | 'b' | 'c'
  label: string
  arch: Arch
  res: number
  ch: number
  classes: number
  attention: number
  batch: number
  /** engine: timed steps after one warm-up */
  runs: number
  /** PyTorch: timed steps after `torchWarmup` */
  torchSteps: number
  torchWarmup: number
  backends: string[]
  /** backends listed but not run here, with why */
  skipped: { backend: string; why: string }[]
  /** engine ÷ PyTorch's fastest, at most */
  target: { time: number; memory?: number }
}

interface Row {
  side: 'engine' | 'PyTorch'
  label: string
  subject: Subject
  threads: number | null
  ms: number | null
  runs: number
  setupMs?: number
  peakMiB: number | null
  baseMiB: number | null
  params?: { G: number; D: number }
  note?: string
}

interface TorchResult {
  step_ms_median: number
  params_G: number
  params_D: number
  threads: number
  torch_version: string
  reference?: string
  peak_rss_mib?: number
  rss_before_model_mib?: number
}

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(`--${flag}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

function progress(message: string): void {
  process.stderr.write(`${message}\n`)
}

interface ChildEnd {
  out: string
  /** the tail of its stderr */
  err: string
  code: number | null
  signal: NodeJS.Signals | null
}

/** Runs a child to its end (killed past `timeoutMs`) and keeps what it printed. */
function runToEnd(command: string, args: string[], timeoutMs: number, env?: NodeJS.ProcessEnv): Promise<ChildEnd> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env } : {}) })
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ out, err, code, signal })
    })
  })
}

/** Runs a child to its end; its last stdout line parsed as JSON, or an error with the tail of its stderr. */
async function runChild(command: string, args: string[], timeoutMs: number): Promise<unknown> {
  const { out, err, code, signal } = await runToEnd(command, args, timeoutMs)
  const last = out.trim().split('\n').pop() ?? ''
  if (code === 0 && last.startsWith('{')) return JSON.parse(last)
  const why = signal === 'SIGKILL' ? `killed (past --timeout-min, or out of memory)` : `exit ${code ?? signal}`
  const lastError = err.trim().split('\n').filter((l) => !l.startsWith('    at ')).slice(-2).join(' / ')
  throw new Error(`${why}${lastError ? `: ${lastError}` : ''}`)
}

function engineStep(s: Subject, backend: string, options: { wasmThreads?: number; onnxThreads?: number }, timeoutMs: number): Promise<StepResult> {
  const spec: StepSpec = {
    arch: s.arch, res: s.res, ch: s.ch, classes: s.classes, attention: s.attention, batch: s.batch, backend,
    runs: backend === 'cpu' ? 1 : s.runs, warmup: 1, ...options,
  }
  // process.execArgv carries tsx's loader, so the child runs TypeScript as this script does
  return runChild(process.execPath, [...process.execArgv, stepRunner, JSON.stringify(spec)], timeoutMs) as Promise<StepResult>
}

function torchStep(s: Subject, threads: number, reference: string | undefined, timeoutMs: number): Promise<TorchResult> {
  const shape = ['--res', `${s.res}`, '--ch', `${s.ch}`, '--classes', `${s.classes}`, '--attention', `${s.attention}`, '--batch', `${s.batch}`]
  const args = reference
    ? [referenceScript, '--reference', reference, '--arch', s.arch, ...shape, '--threads', `${threads}`, '--steps', `${s.torchSteps}`, '--warmup', `${s.torchWarmup}`]
    : [restatedScript, ...shape, '--threads', `${threads}`, '--steps', `${s.torchSteps}`]
  return runChild(python, args, timeoutMs) as Promise<TorchResult>
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n', 1)[0]
}

function fmt(x: number, digits = 1): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(digits) : x.toFixed(Math.max(digits, 2))
}

function machine(): string {
  const cores = cpus()
  return `${cores.length} CPU(s) ${cores[0]?.model.trim() ?? ''}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}`
}

function load(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' ')
}

async function main(): Promise<void> {
  const t0 = performance.now()
  const loadAtStart = load()
  const backends = (argValue('backends') ?? 'wasm,onnx').split(',').map((x) => x.trim()).filter(Boolean)
  const only = argValue('only')?.split(',').map((x) => x.trim())
  const runsFlag = argValue('runs')
  const torchStepsFlag = argValue('torch-steps')
  const torchThreads = (argValue('torch-threads') ?? '1,2').split(',').map(Number).filter((n) => n > 0) // 'none' skips PyTorch
  const ch128 = Number(argValue('ch128') ?? 16)
  const deepWasm = process.argv.includes('--deep-wasm')
  const wasmThreadsFlag = argValue('wasm-threads')
  const onnxThreadsFlag = argValue('onnx-threads')
  const timeoutMs = Number(argValue('timeout-min') ?? 30) * 60_000
  const referenceDir = argValue('reference') ?? process.env.BIGGAN_PYTORCH_DIR
  const reference = referenceDir && existsSync(join(referenceDir, 'BigGAN.py')) ? referenceDir : undefined
  const childOptions = {
    ...(wasmThreadsFlag ? { wasmThreads: parseWasmThreads(wasmThreadsFlag, '--wasm-threads') } : {}),
    ...(onnxThreadsFlag ? { onnxThreads: Number(onnxThreadsFlag) } : {}),
  }
  const runs = (n: number): number => (runsFlag ? Number(runsFlag) : n)
  const torchSteps = (n: number): number => (torchStepsFlag ? Number(torchStepsFlag) : n)
  const withoutCpu = (why: string): { backends: string[]; skipped: Subject['skipped'] } => ({
    backends: backends.filter((b) => b !== 'cpu'),
    skipped: backends.includes('cpu') ? [{ backend: 'cpu', why }] : [],
  })
  const deepBackends = deepWasm ? withoutCpu('not run: far too slow at this size') : (() => {
    const kept = withoutCpu('not run: far too slow at this size')
    return {
      backends: kept.backends.filter((b) => b !== 'wasm'),
      skipped: [
        ...(kept.backends.includes('wasm')
          ? [{ backend: 'wasm', why: 'not run (--deep-wasm tries it): wasm aborts allocating a tensor in the first step: the step outgrows its 32-bit heap' }]
          : []),
        ...kept.skipped,
      ],
    }
  })()
  const subjects: Subject[] = ([
    {
      key: 'a', label: 'BigGAN-32 ch 16, 10 classes, attn 16 (default model)', arch: 'biggan', res: 32, ch: 16, classes: 10,
      attention: 16, batch: 16, runs: runs(3), torchSteps: torchSteps(5), torchWarmup: 2, backends, skipped: [],
      target: { time: 1.2 },
    },
    {
      key: 'b', label: `BigGAN-128 ch ${ch128}, 10 classes, attn 64`, arch: 'biggan', res: 128, ch: ch128, classes: 10,
      attention: 64, batch: 4, runs: runs(2), torchSteps: torchSteps(3), torchWarmup: 2,
      ...withoutCpu('not run: far too slow at 128 px'), target: { time: 1.2 },
    },
    {
      key: 'c', label: 'BigGAN-deep-128 ch 128, 1000 classes, attn 64 (paper size, with its D)', arch: 'biggan-deep',
      res: 128, ch: 128, classes: 1000, attention: 64, batch: 4, runs: runs(1), torchSteps: torchSteps(1), torchWarmup: 1,
      ...deepBackends, target: { time: 1.5, memory: 1.5 },
    },
  ] as Subject[]).filter((s) => !only || only.includes(s.key))

  if (!reference) {
    progress(referenceDir
      ? `${referenceDir} holds no BigGAN.py: PyTorch falls back to scripts/bench_torch_step.py (a re-statement of our BigGAN)`
      : 'No --reference DIR or BIGGAN_PYTORCH_DIR: PyTorch falls back to scripts/bench_torch_step.py (a re-statement of our BigGAN)')
  }

  const rows: Row[] = []
  for (const s of subjects) {
    for (const backend of s.backends) {
      progress(`engine ${backend}: ${s.label}, batch ${s.batch} …`)
      try {
        const r = await engineStep(s, backend, childOptions, timeoutMs)
        rows.push({
          side: 'engine', label: r.label, subject: s, threads: r.threads, ms: r.ms, runs: r.timesMs.length, setupMs: r.setupMs,
          peakMiB: r.peakRssMiB, baseMiB: r.rssBeforeModelMiB, params: r.params,
        })
        progress(`  ${r.ms.toFixed(0)} ms/step, peak RSS ${r.peakRssMiB.toFixed(0)} MiB`)
      } catch (err) {
        rows.push({ side: 'engine', label: backend, subject: s, threads: null, ms: null, runs: 0, peakMiB: null, baseMiB: null, note: `failed: ${firstLine(err)}` })
        progress(`  failed: ${firstLine(err)}`)
      }
    }
    for (const { backend, why } of s.skipped) {
      rows.push({ side: 'engine', label: backend, subject: s, threads: null, ms: null, runs: 0, peakMiB: null, baseMiB: null, note: why })
    }
    for (const threads of torchThreads) {
      if (!reference && s.arch !== 'biggan') {
        rows.push({ side: 'PyTorch', label: `PyTorch, ${threads} thread(s)`, subject: s, threads, ms: null, runs: 0, peakMiB: null, baseMiB: null, note: 'not run: BigGAN-deep needs --reference (BigGAN-PyTorch)' })
        continue
      }
      progress(`PyTorch ${threads} thread(s): ${s.label}, batch ${s.batch} …`)
      try {
        const r = await torchStep(s, threads, reference, timeoutMs)
        const source = r.reference ? 'BigGAN-PyTorch' : 'bench_torch_step.py'
        rows.push({
          side: 'PyTorch', label: `${source}, torch ${r.torch_version}, ${r.threads} thread${r.threads > 1 ? 's' : ''}`, subject: s,
          threads: r.threads, ms: r.step_ms_median, runs: s.torchSteps, peakMiB: r.peak_rss_mib ?? null,
          baseMiB: r.rss_before_model_mib ?? null, params: { G: r.params_G, D: r.params_D },
        })
        progress(`  ${r.step_ms_median.toFixed(0)} ms/step${r.peak_rss_mib ? `, peak RSS ${r.peak_rss_mib.toFixed(0)} MiB` : ''}`)
      } catch (err) {
        rows.push({ side: 'PyTorch', label: `PyTorch, ${threads} thread(s)`, subject: s, threads, ms: null, runs: 0, peakMiB: null, baseMiB: null, note: `failed: ${firstLine(err)}` })
        progress(`  failed: ${firstLine(err)}`)
      }
    }
  }
  const parity = process.argv.includes('--no-parity') ? undefined : await parityFigures(timeoutMs)
  process.stdout.write(`${report(rows, subjects, torchThreads, { loadAtStart, seconds: (performance.now() - t0) / 1000, reference, parity })}\n`)
}

// The parity of the compiled step is measured by the tests that hold it to its tolerances, each of which prints its
// figures on a line starting 'parity: ': the step on onnxruntime and on TensorFlow.js against BigGAN-PyTorch's own
// training step (the fixture), the compiled D and G steps against TensorFlow.js's for BigGAN and BigGAN-deep at two
// resolutions with and without attention, a whole session step (Adam moments, the EMA) likewise, and BSA's step.
const parityTests = [
  'test/engine/bigganPytorch.test.ts',
  'test/onnx/trainingStep.test.ts',
  'test/onnx/trainingExecutor.test.ts',
  'test/onnx/bsaStep.test.ts',
]

interface Parity {
  lines: string[]
  /** vitest's summary ('Tests  31 passed (31)'), or why the tests did not finish */
  outcome: string
  passed: boolean
}

/** Runs the parity tests (after the timings, so they do not share the cores with a timed step); their figures. */
async function parityFigures(timeoutMs: number): Promise<Parity> {
  progress(`parity: ${parityTests.join(', ')} …`)
  const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs')
  let end: ChildEnd
  try {
    end = await runToEnd(process.execPath, [vitest, 'run', ...parityTests], timeoutMs, { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' })
  } catch (e) {
    const outcome = `did not start: ${firstLine(e)}`
    progress(`  ${outcome}`)
    return { lines: [], outcome, passed: false }
  }
  // vitest's reporter may still colour its lines: the escape codes are taken out before reading them
  const lines = end.out.replace(/\x1b\[[0-9;]*m/g, '').split('\n')
  const figures = lines.filter((l) => l.startsWith('parity: ')).map((l) => l.slice('parity: '.length).trim())
  const summary = lines.map((l) => l.trim()).filter((l) => /^Tests\s/.test(l)).pop()
  const outcome = end.signal
    ? `killed (${end.signal}) before the tests finished`
    : `${summary ?? 'no summary'}${end.code === 0 ? '' : ` (exit ${end.code}: a tolerance was missed, or a test broke)`}`
  progress(`  ${outcome}`)
  return { lines: figures, outcome, passed: end.code === 0 }
}

function report(
  rows: Row[], subjects: Subject[], torchThreads: number[], run: { loadAtStart: string; seconds: number; reference?: string; parity?: Parity },
): string {
  const torchRow = (s: Subject, threads: number): Row | undefined =>
    rows.find((r) => r.subject === s && r.side === 'PyTorch' && r.ms !== null && r.threads === threads)
  // the target is checked against PyTorch at its best thread count here: on a loaded machine more threads can be slower
  const fastestTorch = (s: Subject): Row | undefined =>
    rows.filter((r) => r.subject === s && r.side === 'PyTorch' && r.ms !== null).sort((x, y) => x.ms! - y.ms!)[0]
  const ratio = (a: number | null | undefined, b: number | null | undefined): string => (a != null && b != null ? `${(a / b).toFixed(2)}×` : '–')
  const mib = (x: number | null): string => (x === null ? '–' : x.toFixed(0))

  const lines: string[] = []
  lines.push(`Training step (D step + Adam, G step + Adam), no augmentation. ${machine()}.`)
  lines.push(`Load average ${run.loadAtStart} at the start, ${load()} at the end; total ${run.seconds.toFixed(0)} s. ` +
    `PyTorch side: ${run.reference ? `BigGAN-PyTorch's own modules from ${run.reference}` : 'scripts/bench_torch_step.py (fallback: no BigGAN-PyTorch checkout given)'}.`)
  lines.push('')
  const ratioHeads = torchThreads.map((t) => `÷ PyTorch ${t} thr`)
  lines.push(`| side | backend | config | batch | ms/step | images/s | runs | ${ratioHeads.join(' | ')} | peak RSS MiB (before model) | peak RSS ÷ PyTorch's | target, vs PyTorch's fastest |`)
  lines.push(`|---|---|---|---|---|---|---|${ratioHeads.map(() => '---|').join('')}---|---|---|`)
  for (const row of rows) {
    const s = row.subject
    const engine = row.side === 'engine' && row.ms !== null
    const best = engine ? fastestTorch(s) : undefined
    let verdict = '–'
    if (engine && best) {
      const time = row.ms! / best.ms!
      const memory = row.peakMiB !== null && best.peakMiB !== null ? row.peakMiB / best.peakMiB : null
      const parts = [`time ${time.toFixed(2)}× vs ≤ ${s.target.time}×: ${time <= s.target.time ? 'met' : 'missed'}`]
      if (s.target.memory) {
        parts.push(memory === null ? 'memory: no PyTorch figure' : `memory ${memory.toFixed(2)}× vs ≤ ${s.target.memory}×: ${memory <= s.target.memory ? 'met' : 'missed'}`)
      }
      verdict = `${parts.join('; ')} (PyTorch ${best.threads} thr)`
    }
    const ms = row.ms
    lines.push(
      `| ${row.side} | ${row.label} | ${s.label} | ${s.batch} | ${ms === null ? row.note : fmt(ms, 0)} | ` +
        `${ms === null ? '–' : fmt((s.batch * 1000) / ms)} | ${row.runs} | ` +
        `${torchThreads.map((t) => (engine ? ratio(row.ms, torchRow(s, t)?.ms) : '–')).join(' | ')} | ` +
        `${row.peakMiB === null ? '–' : `${mib(row.peakMiB)} (${mib(row.baseMiB)})`} | ${engine ? ratio(row.peakMiB, best?.peakMiB) : '–'} | ${verdict} |`,
    )
  }
  lines.push('')
  lines.push('Ratios: engine ÷ PyTorch (> 1: the engine is slower, or holds more memory). Times are medians of the timed steps after warm-up.')
  lines.push('Peak RSS is each process\'s whole peak (runtime, libraries and the step); "before model" is its resident set once the')
  lines.push('backend or torch and the reference modules were loaded, before any network existed.')
  lines.push('')
  lines.push('Parameter counts (trainable), engine vs PyTorch:')
  for (const s of subjects) {
    const e = rows.find((r) => r.subject === s && r.side === 'engine' && r.params)?.params
    const p = rows.find((r) => r.subject === s && r.side === 'PyTorch' && r.params)?.params
    const agree = e && p ? (e.G === p.G && e.D === p.D ? 'equal' : 'DIFFER') : 'not compared'
    lines.push(`- (${s.key}) ${s.label}: engine ${e ? `G ${e.G} / D ${e.D}` : 'not run'}; PyTorch ${p ? `G ${p.G} / D ${p.D}` : 'not run'}: ${agree}`)
  }
  const setups = rows.filter((r) => r.setupMs !== undefined).map((r) => `(${r.subject.key}) ${r.label} ${(r.setupMs! / 1000).toFixed(1)} s`)
  if (setups.length) lines.push(`Engine set-up (model init${rows.some((r) => r.label.startsWith('onnxruntime')) ? ', onnx compile' : ''}), untimed: ${setups.join('; ')}.`)
  lines.push('')
  if (run.parity) {
    lines.push(`Parity of the compiled step (${parityTests.join(', ')}: ${run.parity.outcome}). Each test fails beyond its tolerance:`)
    lines.push('losses 1e-5 absolute, gradients 1e-3 relative norm (G\'s against BigGAN-PyTorch: of its step in float64, or no further')
    lines.push('from it than its float32 step is), spectral-norm and BatchNorm state 1e-4, weights and the EMA 1e-5, Adam moments 1e-5')
    lines.push('over each network. Worst figures, as the tests measured them:')
    for (const line of run.parity.lines) lines.push(`- ${line}`)
    if (!run.parity.passed) lines.push('PARITY NOT MET: rerun the tests above to see which tolerance failed.')
    lines.push('')
  }
  const args = process.argv.slice(2).join(' ')
  const env = args.includes('--reference') ? '' : 'BIGGAN_PYTORCH_DIR=<checkout of ajbrock/BigGAN-PyTorch> '
  lines.push(`Rerun: ${env}npm run bench:train${args ? ` -- ${args}` : ''}`)
  return lines.join('\n')
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`train.bench: ${err instanceof Error ? err.stack : String(err)}\n`)
    process.exit(1)
  },
)
