// Training throughput beside PyTorch: one BigGAN training step (D step + D's Adam + G step + G's Adam, as
// engine.bench.ts's `trainer` takes it) on each backend, and the same step re-stated in PyTorch
// (scripts/bench_torch_step.py, run with Debian's /usr/bin/python3 and its python3-torch) on the same machine.
// Not a test: a script that prints a markdown table. Run: npm run bench:train [-- options]
//
//   (a) the default model's config: defaultConfig('biggan', 32, 16, 10, 16), batch 16 — wasm (add cpu with
//       --backends wasm,cpu: one cpu step took ~140 s here, so cpu gets 1 timed run after its warm-up)
//   (b) a 128-px config:            defaultConfig('biggan', 128, 16, 10, 64), batch 4 — wasm only (cpu: far too slow)
//   `--backends wasm,onnx` adds the step compiled for onnxruntime (main/onnx/training), Adam on wasm.
//
// Each engine number is the median of --runs timed steps (default 3 for (a), 2 for (b)) after one untimed warm-up;
// every step awaits both losses and a parameter the G Adam wrote. PyTorch: median of --torch-steps timed steps after
// two warm-ups, with torch.set_num_threads(1) and (2). The ratio is engine ms / PyTorch ms (> 1: the engine is slower).
//
// Options: --backends wasm[,cpu]  --only a|b  --runs N  --torch-steps N  --torch-threads 1,2  --ch128 N
//          --wasm-threads N|max (wasm's threaded build, main/backend/wasmThreads.ts; one count per run: a started wasm
//          backend keeps its pool, so run the script once per count to compare)
import { execFileSync } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { initBackend } from '../../main/backend/backend'
import { parseWasmThreads } from '../../main/backend/threadCounts'
import { defaultConfig, type ModelConfig } from '../../main/engine/config'
import { BigGANModel } from '../../main/engine/model'
import { tfjsStepExecutor, type StepExecutor } from '../../main/engine/train/step'
import { OnnxStepExecutor } from '../../main/onnx/training/executor'
import { median, trainer } from './trainer'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const python = '/usr/bin/python3' // Debian's interpreter: the one python3-torch imports under
const torchScript = join(root, 'scripts', 'bench_torch_step.py')

interface Subject {
  key: 'a' | 'b'
  label: string
  res: number
  ch: number
  classes: number
  attention: number
  batch: number
  runs: number
  backends: string[]
}

interface Row {
  backend: string
  subject: Subject
  ms: number | null
  runs: number
  note?: string
}

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(`--${flag}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

function progress(message: string): void {
  process.stderr.write(`${message}\n`)
}

function configOf(s: Subject): ModelConfig {
  return defaultConfig('biggan', s.res, s.ch, s.classes, s.attention)
}

/** Median ms of `runs` engine training steps (after one untimed warm-up) on the current backend. */
async function engineStep(s: Subject, runs: number, counts: Map<Subject, { G: number; D: number }>, onnx: boolean): Promise<{ ms: number; label?: string }> {
  const model = BigGANModel.initialise(configOf(s), 1)
  counts.set(s, model.parameterCounts())
  const executor: StepExecutor = onnx ? await OnnxStepExecutor.create(model.G, model.D!, model.config, { batchSize: s.batch }) : tfjsStepExecutor()
  const { step, dispose } = trainer(model, s.batch, 7, executor)
  try {
    await step()
    const times: number[] = []
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now()
      await step()
      times.push(performance.now() - t0)
    }
    return { ms: median(times), label: executor.label }
  } finally {
    dispose()
    await executor.dispose()
    model.dispose()
  }
}

interface TorchResult {
  step_ms_median: number
  images_per_s: number
  params_G: number
  params_D: number
  threads: number
  torch_version: string
}

function torchStep(s: Subject, threads: number, steps: number): TorchResult {
  const args = [
    torchScript, '--res', `${s.res}`, '--ch', `${s.ch}`, '--classes', `${s.classes}`, '--attention', `${s.attention}`,
    '--batch', `${s.batch}`, '--threads', `${threads}`, '--steps', `${steps}`,
  ]
  let out: string
  try {
    out = execFileSync(python, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  } catch (err) {
    const e = err as { status?: number | null; signal?: string | null }
    progress(`  PyTorch run failed (status ${e.status ?? '–'}, signal ${e.signal ?? '–'}); retrying once`)
    out = execFileSync(python, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
  }
  return JSON.parse(out.trim().split('\n').pop()!) as TorchResult
}

function fmt(x: number, digits = 1): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(digits) : x.toFixed(Math.max(digits, 2))
}

async function main(): Promise<void> {
  const t0 = performance.now()
  const backends = (argValue('backends') ?? 'wasm').split(',').map((x) => x.trim()).filter(Boolean)
  const only = argValue('only')
  const runsFlag = argValue('runs')
  const torchSteps = Number(argValue('torch-steps') ?? 5)
  const torchThreads = (argValue('torch-threads') ?? '1,2').split(',').map(Number).filter((n) => n > 0) // 'none' skips PyTorch
  const ch128 = Number(argValue('ch128') ?? 16)
  const wasmThreads = argValue('wasm-threads')
  const subjects: Subject[] = [
    {
      key: 'a', label: 'BigGAN 32×32 ch 16, 10 classes, attn 16 (default model)', res: 32, ch: 16, classes: 10,
      attention: 16, batch: 16, runs: runsFlag ? Number(runsFlag) : 3, backends,
    },
    {
      key: 'b', label: `BigGAN 128×128 ch ${ch128}, 10 classes, attn 64`, res: 128, ch: ch128, classes: 10,
      attention: 64, batch: 4, runs: runsFlag ? Number(runsFlag) : 2, backends: backends.filter((b) => b !== 'cpu'),
    },
  ].filter((s) => !only || s.key === only) as Subject[]

  const rows: Row[] = []
  const counts: string[] = []
  const engineCounts = new Map<Subject, { G: number; D: number }>()
  for (const s of subjects) {
    for (const backend of s.backends) {
      progress(`engine ${backend}: ${s.label}, batch ${s.batch} …`)
      try {
        // the compiled step's optimiser and EMA stay on TensorFlow.js: wasm, as a run without native TensorFlow has
        const onnx = backend === 'onnx'
        const info = await initBackend({ backend: onnx ? 'wasm' : backend, ...(wasmThreads ? { wasmThreads: parseWasmThreads(wasmThreads, '--wasm-threads') } : {}) })
        const runs = backend === 'cpu' ? 1 : s.runs
        const { ms, label: executorLabel } = await engineStep(s, runs, engineCounts, onnx)
        const label = onnx ? executorLabel! : backend === 'wasm' ? `wasm, ${info.threads} thread${info.threads > 1 ? 's' : ''}` : backend
        rows.push({ backend: label, subject: s, ms, runs })
        progress(`  ${ms.toFixed(0)} ms/step`)
      } catch (err) {
        const note = (err instanceof Error ? err.message : String(err)).split('\n', 1)[0]
        rows.push({ backend, subject: s, ms: null, runs: 0, note })
        progress(`  failed: ${note}`)
      }
    }
    const c = engineCounts.get(s)
    let torchCounts = ''
    for (const threads of torchThreads) {
      progress(`PyTorch ${threads} thread(s): ${s.label}, batch ${s.batch} …`)
      try {
        const r = torchStep(s, threads, s.key === 'b' ? Math.min(torchSteps, 3) : torchSteps)
        rows.push({ backend: `PyTorch ${r.torch_version}, ${r.threads} thread${r.threads > 1 ? 's' : ''}`, subject: s, ms: r.step_ms_median, runs: s.key === 'b' ? Math.min(torchSteps, 3) : torchSteps })
        torchCounts = `PyTorch G ${r.params_G} / D ${r.params_D}`
        progress(`  ${r.step_ms_median.toFixed(0)} ms/step`)
      } catch (err) {
        const note = (err instanceof Error ? err.message : String(err)).split('\n', 1)[0]
        rows.push({ backend: `PyTorch, ${threads} thread(s)`, subject: s, ms: null, runs: 0, note })
        progress(`  failed: ${note}`)
      }
    }
    counts.push(`- ${s.label}: engine ${c ? `G ${c.G} / D ${c.D}` : 'not run'}; ${torchCounts || 'PyTorch: not run'}`)
  }

  const lines: string[] = []
  lines.push(`Training step (D step + Adam, G step + Adam), ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}, ` +
    `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end; total ${((performance.now() - t0) / 1000).toFixed(0)} s.`)
  lines.push('')
  lines.push('| backend | config | batch | ms/step | images/s | steps/s | runs | engine / PyTorch 1 thr | engine / PyTorch 2 thr |')
  lines.push('|---|---|---|---|---|---|---|---|---|')
  for (const row of rows) {
    const torchMs = (threads: number): number | null =>
      rows.find((r) => r.subject === row.subject && r.backend.startsWith('PyTorch') && r.backend.includes(`, ${threads} thread`))?.ms ?? null
    const ratio = (threads: number): string => {
      const t = torchMs(threads)
      return !row.backend.startsWith('PyTorch') && row.ms !== null && t !== null ? `${(row.ms / t).toFixed(2)}×` : '–'
    }
    const ms = row.ms
    lines.push(
      `| ${row.backend} | ${row.subject.label} | ${row.subject.batch} | ${ms === null ? `failed: ${row.note}` : fmt(ms, 0)} | ` +
        `${ms === null ? '–' : fmt((row.subject.batch * 1000) / ms)} | ${ms === null ? '–' : fmt(1000 / ms, 2)} | ${row.runs} | ` +
        `${ratio(1)} | ${ratio(2)} |`,
    )
  }
  lines.push('')
  lines.push('Ratio = engine ms/step ÷ PyTorch ms/step (time ratio; > 1 means the engine is slower). Medians after warm-up.')
  lines.push('Parameter counts (trainable):')
  lines.push(...counts)
  process.stdout.write(`${lines.join('\n')}\n`)
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`train.bench: ${err instanceof Error ? err.stack : String(err)}\n`)
    process.exit(1)
  },
)
