// Where the optimiser update and the EMA of G should run, measured: a training step's gradients come out of
// onnxruntime, and Adam and the EMA then update the weights. Three ways to run that update are timed on the same
// weights and gradients:
//   - TensorFlow.js ops (main/engine/train/optimiser.ts, ema.ts: what runs), on wasm;
//   - one onnxruntime graph of the same ops over every parameter (Mul, Add, Sqrt, Div, Sub; m and v resident in
//     JavaScript, fed without a copy), as the compiled step would run it: parameters and gradients read out of
//     TensorFlow.js, the new parameters written back;
//   - a tight JavaScript loop over the weights, rounding every operation to float32 (Math.fround), as a loop over
//     Float32Arrays would run it.
// Both alternatives are checked bit for bit against the TensorFlow.js update from the same state before they are
// timed (float32 +, ×, ÷ and √ are correctly rounded everywhere, so they agree exactly: a run's executor could switch
// without changing a single weight). Also timed: what crossing costs, every trainable parameter read out of
// TensorFlow.js (the compiled step's feeds do this each step) and written back. Not a test: a script that prints a
// markdown table. Run: npm run bench:optimiser [-- --only a,c --runs N --onnx-threads N]
//   (a) the default model, defaultConfig('biggan', 32, 16, 10, 16): G 0.37 M, D 0.27 M parameters
//   (c) paper size, defaultConfig('biggan-deep', 128, 128, 1000, 64) with its D: G 50.2 M, D 34.6 M
import { availableParallelism, loadavg } from 'node:os'
import type { InferenceSession, Tensor } from 'onnxruntime-node'
import { initBackend } from '../../main/backend/backend'
import { defaultConfig } from '../../main/engine/config'
import { BigGANModel } from '../../main/engine/model'
import { trainableRoles } from '../../main/engine/module'
import { tf } from '../../main/engine/tf'
import { updateEmaGenerator } from '../../main/engine/train/ema'
import { Adam, bigganAdam, type AdamSettings } from '../../main/engine/train/optimiser'
import { GraphBuilder } from '../../main/onnx/graph'
import { loadOrt } from '../../main/onnx/runtime'
import { compileStep } from '../../main/onnx/training/compiled'
import { median } from './trainer'

const subjects = {
  a: { label: 'BigGAN-32 ch 16, attn 16 (default model)', config: () => defaultConfig('biggan', 32, 16, 10, 16) },
  c: { label: 'BigGAN-deep-128 ch 128, 1000 classes (paper size)', config: () => defaultConfig('biggan-deep', 128, 128, 1000, 64) },
} as const

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(`--${flag}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}

/** The scalars one Adam step uses, as TensorFlow.js's ops see them (each a float32). */
function adamScalars(s: AdamSettings, t: number): Record<'b1' | 'nb1' | 'b2' | 'nb2' | 'c2' | 'eps' | 'lr', number> {
  const f = Math.fround
  return {
    b1: f(s.beta1), nb1: f(1 - s.beta1), b2: f(s.beta2), nb2: f(1 - s.beta2),
    c2: f(Math.sqrt(1 - s.beta2 ** t)), eps: f(s.epsilon), lr: f(s.learningRate / (1 - s.beta1 ** t)),
  }
}

/** Adam as one onnxruntime graph: inputs p, g, m, v per parameter and the step's scalars; outputs p', m', v'. */
async function onnxAdam(shapes: number[][], threads: number): Promise<InferenceSession> {
  const gb = new GraphBuilder('adam')
  const s = Object.fromEntries(['b1', 'nb1', 'b2', 'nb2', 'c2', 'eps', 'lr'].map((n) => [n, gb.input(n, 'float', [])]))
  shapes.forEach((shape, i) => {
    const [p, g, m, v] = ['p', 'g', 'm', 'v'].map((n) => gb.input(`${n}${i}`, 'float', shape))
    const at = (op: string): string => `adam${i}.${op}`
    const m2 = gb.add(gb.mul(m, s.b1, at('m.decay')), gb.mul(g, s.nb1, at('m.new')), at('m'))
    const v2 = gb.add(gb.mul(v, s.b2, at('v.decay')), gb.mul(gb.mul(g, g, at('g2')), s.nb2, at('v.new')), at('v'))
    const denominator = gb.add(gb.op('Div', [gb.op('Sqrt', [v2], at('sqrt')), s.c2], at('corrected')), s.eps, at('denominator'))
    const p2 = gb.sub(p, gb.mul(gb.op('Div', [m2, denominator], at('ratio')), s.lr, at('update')), at('p'))
    gb.output(p2, `P${i}`, 'float', shape)
    gb.output(m2, `M${i}`, 'float', shape)
    gb.output(v2, `V${i}`, 'float', shape)
  })
  return (await compileStep(gb.graph(), { threads })).session
}

/** The same update in JavaScript, every operation rounded to float32 as the tensor ops round it. */
function loopAdam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, k: ReturnType<typeof adamScalars>): void {
  const f = Math.fround
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]
    const mi = f(f(m[i] * k.b1) + f(gi * k.nb1))
    const vi = f(f(v[i] * k.b2) + f(f(gi * gi) * k.nb2))
    m[i] = mi
    v[i] = vi
    p[i] = f(p[i] - f(f(mi / f(f(f(Math.sqrt(vi)) / k.c2) + k.eps)) * k.lr))
  }
}

/** Median and minimum of `runs` timings after one untimed call. */
async function time(runs: number, f: () => unknown): Promise<{ median: number; min: number }> {
  await f()
  const ts: number[] = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    await f()
    ts.push(performance.now() - t)
  }
  return { median: median(ts), min: Math.min(...ts) }
}

interface Row {
  subject: string
  what: string
  ms: { median: number; min: number }
  exact?: string
}

async function measure(key: keyof typeof subjects, runs: number, threads: number): Promise<Row[]> {
  const { label, config } = subjects[key]
  const model = BigGANModel.initialise(config(), 1)
  const settings = bigganAdam.D
  const names = [...model.G.specs(), ...model.D!.specs()].filter((s) => trainableRoles.has(s.role)).map((s) => s.name)
  const params = names.map((n) => model.params.get(n))
  const grads = new Map(names.map((n, i) => [n, tf.randomNormal(params[i].shape, 0, 1e-3, 'float32', i)]))
  const start = params.map((p) => p.dataSync().slice() as Float32Array)
  const reset = (): void => params.forEach((p, i) => tf.tidy(() => p.assign(tf.tensor(start[i], p.shape))))
  const rows: Row[] = []
  const row = (what: string, ms: Row['ms'], exact?: string): void => {
    rows.push({ subject: label, what, ms, exact })
    process.stderr.write(`  ${what}: ${ms.median.toFixed(1)} ms\n`)
  }
  const ort = loadOrt()
  const session = await onnxAdam(params.map((p) => p.shape), threads)
  try {
    // the reference: two steps of the engine's Adam from the start, then the weights it reached
    const reference = new Adam(model.params, settings)
    reference.apply(grads)
    reference.apply(grads)
    const expected = params.map((p) => p.dataSync().slice() as Float32Array)
    const differing = (): number => params.reduce((n, p, i) => {
      const got = p.dataSync()
      let d = 0
      for (let j = 0; j < got.length; j++) if (got[j] !== expected[i][j]) d++
      return n + d
    }, 0)
    const total = expected.reduce((n, e) => n + e.length, 0)
    const exact = (): string => {
      const d = differing()
      return d === 0 ? `bit-identical (${total} weights)` : `${d} of ${total} weights differ`
    }

    // onnxruntime's graph, its moments held in JavaScript between steps
    let m: Float32Array[] = params.map((p) => new Float32Array(p.size))
    let v: Float32Array[] = params.map((p) => new Float32Array(p.size))
    let t = 0
    // the graph's feeds at step t: the weights and gradients read out of TensorFlow.js, the moments as they are held
    const graphFeeds = (t: number): Record<string, Tensor> => {
      const feeds: Record<string, Tensor> = {}
      for (const [n, x] of Object.entries(adamScalars(settings, t))) feeds[n] = new ort.Tensor('float32', new Float32Array([x]), [])
      params.forEach((p, i) => {
        feeds[`p${i}`] = new ort.Tensor('float32', p.dataSync() as Float32Array, p.shape)
        feeds[`g${i}`] = new ort.Tensor('float32', grads.get(names[i])!.dataSync() as Float32Array, p.shape)
        feeds[`m${i}`] = new ort.Tensor('float32', m[i], p.shape)
        feeds[`v${i}`] = new ort.Tensor('float32', v[i], p.shape)
      })
      return feeds
    }
    const graphStep = async (): Promise<void> => {
      const out = await session.run(graphFeeds(++t))
      params.forEach((p, i) => {
        tf.tidy(() => p.assign(tf.tensor(out[`P${i}`].data as Float32Array, p.shape)))
        m[i] = out[`M${i}`].data as Float32Array
        v[i] = out[`V${i}`].data as Float32Array
      })
    }
    reset()
    await graphStep()
    await graphStep()
    const graphExact = exact()

    // the JavaScript loop, the same state kept the same way
    const loopStep = (): void => {
      const k = adamScalars(settings, ++t)
      params.forEach((p, i) => {
        const w = p.dataSync().slice() as Float32Array
        loopAdam(w, grads.get(names[i])!.dataSync() as Float32Array, m[i], v[i], k)
        tf.tidy(() => p.assign(tf.tensor(w, p.shape)))
      })
    }
    reset()
    m = params.map((p) => new Float32Array(p.size))
    v = params.map((p) => new Float32Array(p.size))
    t = 0
    loopStep()
    loopStep()
    const loopExact = exact()

    process.stderr.write(`${label}: G ${model.parameterCounts().G}, D ${model.parameterCounts().D} parameters\n`)
    row('Adam, TensorFlow.js ops (what runs)', await time(runs, () => reference.apply(grads)), 'the reference')
    row(`Adam, one onnxruntime graph (${threads} threads), weights and gradients read out of TensorFlow.js and written back`, await time(runs, graphStep), graphExact)
    const feeds = graphFeeds(3)
    row('  of which the graph alone (everything resident)', await time(runs, () => session.run(feeds)))
    row('Adam, JavaScript loop rounding to float32', await time(runs, loopStep), loopExact)
    reference.dispose()
    const ema = model.ensureEma()
    let step = 1000
    row('EMA of G, TensorFlow.js ops (what runs)', await time(runs, () => updateEmaGenerator(model.G, model.params, ema, step++, { decay: 0.999, startStep: 0 })))
    row('crossing: every trainable parameter read out of TensorFlow.js', await time(runs, () => params.forEach((p) => p.dataSync())))
    row('crossing: every trainable parameter written into TensorFlow.js', await time(runs, reset))
  } finally {
    await session.release()
    tf.dispose([...grads.values()])
    model.dispose()
  }
  return rows
}

async function main(): Promise<void> {
  const only = (argValue('only') ?? 'a,c').split(',').map((x) => x.trim()) as (keyof typeof subjects)[]
  const runs = Number(argValue('runs') ?? 5)
  const threads = Number(argValue('onnx-threads') ?? availableParallelism())
  const info = await initBackend({ backend: 'wasm' })
  const loadAtStart = loadavg().map((l) => l.toFixed(2)).join(' ')
  const rows: Row[] = []
  for (const key of only) {
    if (!(key in subjects)) throw new Error(`--only takes a, c or both, not '${key}'`)
    rows.push(...(await measure(key, runs, threads)))
  }
  const lines = [
    `One optimiser update and the EMA, TensorFlow.js on ${info.name} (${info.threads} thread${info.threads > 1 ? 's' : ''}); ` +
      `load average ${loadAtStart} at the start, ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the end; median (min) of ${runs} after one untimed.`,
    '',
    '| model | update | ms | against TensorFlow.js Adam after two steps |',
    '|---|---|---:|---|',
    ...rows.map((r) => `| ${r.subject} | ${r.what} | ${r.ms.median.toFixed(1)} (${r.ms.min.toFixed(1)}) | ${r.exact ?? ''} |`),
    '',
    `Rerun: npm run bench:optimiser${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`optimiser.bench: ${err instanceof Error ? err.stack : String(err)}\n`)
    process.exit(1)
  },
)
