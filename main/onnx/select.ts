// Which runtime serves a model's G and D inference: onnxruntime-node or TensorFlow.js. 'auto' (the default) times
// one image through each, once per machine and model size, keeps the answer in <cacheDir>/runtime-choice.json, and
// takes the faster; 'onnx' and 'tfjs' force one. The choice comes from a flag (--runtime), else the setting
// BIGGAN_RUNTIME, else 'auto' (runtime-names.ts). Training always stays in TensorFlow.js: this is inference only.
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus, homedir } from 'node:os'
import { join } from 'node:path'
import type { ModelConfig } from '../engine/config.ts'
import type { BigGANModel } from '../engine/model.ts'
import { countParameters } from '../engine/module.ts'
import { Random } from '../engine/sampling/random.ts'
import { cachedNetworkFile, exportNetworkBytes, type Network } from './export.ts'
import { requestedRuntime, RUNTIME_ENV_VAR, type RuntimeName } from './runtime-names.ts'
import {
  describeProvider, loadOrt, OnnxDiscriminator, OnnxGenerator, ortVersion, providerAvailability, type ProviderInfo, type SessionOptions,
} from './runtime.ts'

/** Where exported graphs and the measured choices live (default: the platform's cache folder). */
export const CACHE_ENV_VAR = 'BIGGAN_CACHE_DIR'

/** The platform's cache folder for BigGAN Studio, or BIGGAN_CACHE_DIR. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env[CACHE_ENV_VAR]) return env[CACHE_ENV_VAR]!
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'BigGAN Studio', 'Cache')
  if (platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'BigGAN Studio')
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'biggan-studio')
}

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
  /** exported graphs go to <cacheDir>/onnx, measured choices to <cacheDir>/runtime-choice.json */
  cacheDir: string
  /** the TensorFlow.js backend in use (the other side of the comparison) */
  tfjsBackend: string
  /** G from its EMA where the model has one (default true, as model.generate) */
  useEma?: boolean
  session?: SessionOptions
  /** long steps (exporting the graph, timing both runtimes) */
  onProgress?: (message: string) => void
}

/** The runtime `options.runtime` asks for; 'auto' measures (once) and takes the faster. */
export async function openInference(model: BigGANModel, options: InferenceOptions): Promise<Inference> {
  const requested = options.runtime ?? 'auto'
  const source = options.source ?? 'the default'
  if (requested === 'tfjs') return tfjsInference(model, options, `TensorFlow.js was asked for (${source})`)
  if (requested === 'onnx') return onnxInference(model, options, `onnxruntime was asked for (${source})`)
  let onnx: Inference
  try {
    loadOrt()
    onnx = await onnxInference(model, options, '')
  } catch (err) {
    return tfjsInference(model, options, `onnxruntime cannot serve this model here: ${(err as Error).message.split('\n')[0]}`)
  }
  try {
    const key = choiceKey(model, options.tfjsBackend, onnx.provider!)
    const known = await readChoices(options.cacheDir).then((c) => c[key])
    const measured = known ?? (await measure(model, onnx, options))
    if (!known) await writeChoice(options.cacheDir, key, measured)
    const times = `onnx ${measured.onnxMs.toFixed(0)} ms vs tfjs ${measured.tfjsMs.toFixed(0)} ms per image (${options.tfjsBackend}), measured ${known ? measured.measuredAt.slice(0, 10) : 'now'}`
    if (measured.onnxMs <= measured.tfjsMs) return { ...onnx, reason: `faster here: ${times}` }
    await onnx.dispose()
    return tfjsInference(model, options, `faster here: ${times}`)
  } catch (err) {
    await onnx.dispose()
    throw err
  }
}

/** What `biggan info` says about the runtimes: the setting, onnxruntime's providers, and for a model size the
 *  choice 'auto' measured here (if it has). */
export async function describeRuntimes(options: {
  cacheDir: string
  tfjsBackend: string
  model?: { config: ModelConfig; parametersG: number }
}): Promise<string[]> {
  const { name, source } = requestedRuntime()
  const lines = [`runtime   ${name} (${source === 'the default' ? `the default; ${RUNTIME_ENV_VAR} or --runtime change it` : `from ${source}`})`]
  let onnx: string
  try {
    const providers = providerAvailability()
      .map((p) => `${p.name} ${p.ok ? 'available' : `not used: ${p.reason}`}`)
      .join('; ')
    onnx = `onnxruntime-node ${ortVersion()}: CPU, ${availableParallelism()} threads${providers ? `; ${providers}` : ''}`
  } catch (err) {
    onnx = `unavailable: ${(err as Error).message}`
  }
  lines.push(`onnx      ${onnx}`)
  if (options.model) {
    const size = sizeKey(options.model.config, options.model.parametersG)
    const prefix = `${machineKey()} | tfjs ${options.tfjsBackend} |`
    const known = Object.entries(await readChoices(options.cacheDir)).find(([key]) => key.startsWith(prefix) && key.endsWith(`| ${size}`))
    const previews =
      name !== 'auto'
        ? name
        : known
          ? `${known[1].onnxMs <= known[1].tfjsMs ? 'onnx' : 'tfjs'} (auto: onnx ${known[1].onnxMs.toFixed(0)} ms vs tfjs ${known[1].tfjsMs.toFixed(0)} ms per image, measured ${known[1].measuredAt.slice(0, 10)})`
          : `auto, not measured yet for this model size on ${options.tfjsBackend} (the first sample, eval or studio preview measures it)`
    lines.push(`previews  ${previews}`)
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

async function onnxInference(model: BigGANModel, options: InferenceOptions, reason: string): Promise<Inference> {
  const graph = async (network: Network): Promise<string | Uint8Array> => {
    const opts = { useEma: options.useEma !== false }
    if (!model.manifest) return exportNetworkBytes(model, network, opts)
    options.onProgress?.(`preparing the ONNX graph of ${network}`)
    return cachedNetworkFile(model, network, join(options.cacheDir, 'onnx'), opts)
  }
  const G = await OnnxGenerator.open(await graph('G'), model.config, options.session)
  let D: Promise<OnnxDiscriminator> | undefined
  return {
    runtime: 'onnx',
    label: `onnx (${describeProvider(G.info)})`,
    reason,
    provider: G.info,
    generate: (z, y, o = {}) => G.generate(z, y, o),
    discriminate: async (x, y) => {
      if (!model.D) throw new Error('this model has no discriminator (the released BigGAN-deep weights have none)')
      D ??= graph('D').then((file) => OnnxDiscriminator.open(file, model.config, options.session))
      return (await D).discriminate(x, y)
    },
    dispose: async () => {
      await G.dispose()
      if (D) await (await D).dispose()
    },
  }
}

// ───────────────────────────────────────────── measuring ─────────────────────────────────────────────

interface Measured {
  onnxMs: number
  tfjsMs: number
  measuredAt: string
}

/** One image per forward, both runtimes: a warm-up, then the median of up to 3 timed runs (at most ~10 s each). */
async function measure(model: BigGANModel, onnx: Inference, options: InferenceOptions): Promise<Measured> {
  options.onProgress?.('timing onnxruntime and TensorFlow.js on one image (once per machine and model size)')
  const { zDim, numClasses } = model.config
  const z = new Random(0).normals(zDim)
  const y = new Float32Array(numClasses)
  y[0] = 1
  const time = async (generate: () => Promise<unknown>): Promise<number> => {
    await generate()
    const times: number[] = []
    const started = performance.now()
    while (times.length < 3 && (times.length === 0 || performance.now() - started < 10_000)) {
      const t0 = performance.now()
      await generate()
      times.push(performance.now() - t0)
    }
    return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]
  }
  const onnxMs = await time(() => onnx.generate(z, y))
  const tfjsMs = await time(() => model.generate(z, y, { useEma: options.useEma !== false }))
  return { onnxMs, tfjsMs, measuredAt: new Date().toISOString() }
}

/** This machine, both runtimes as configured, and the model's size (not its weights: timing does not depend on them). */
function choiceKey(model: BigGANModel, tfjsBackend: string, provider: ProviderInfo): string {
  const size = sizeKey(model.config, countParameters(model.G.specs()))
  return `${machineKey()} | tfjs ${tfjsBackend} | onnxruntime ${ortVersion()} ${describeProvider(provider)} | ${size}`
}

function machineKey(): string {
  return `${process.platform}-${process.arch} ${cpus()[0]?.model ?? 'unknown CPU'} ×${availableParallelism()}`
}

function sizeKey(c: ModelConfig, parametersG: number): string {
  return `${c.arch}-${c.resolution} ch${c.gChannels} G ${parametersG}`
}

const CHOICES_FILE = 'runtime-choice.json'

async function readChoices(cacheDir: string): Promise<Record<string, Measured>> {
  try {
    const value = JSON.parse(await readFile(join(cacheDir, CHOICES_FILE), 'utf8')) as unknown
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return {}
    const valid = Object.entries(value as Record<string, Measured>).filter(
      ([, m]) => Number.isFinite(m?.onnxMs) && Number.isFinite(m?.tfjsMs) && typeof m?.measuredAt === 'string',
    )
    return Object.fromEntries(valid)
  } catch {
    return {} // none yet, or unreadable: measured again
  }
}

async function writeChoice(cacheDir: string, key: string, measured: Measured): Promise<void> {
  await mkdir(cacheDir, { recursive: true })
  const choices = { ...(await readChoices(cacheDir)), [key]: measured }
  const file = join(cacheDir, CHOICES_FILE)
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  await writeFile(tmp, JSON.stringify(choices, null, 1) + '\n')
  await rename(tmp, file)
}
