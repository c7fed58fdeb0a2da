// onnxruntime-node sessions for exported G and D graphs: which execution provider runs them (CUDA, CoreML or
// DirectML where the machine has one, else the CPU, with the reason each faster one was passed over), and G and D
// with the engine's own calling conventions (typed arrays in, typed arrays out).
//
// onnxruntime-node ships its CPU binaries inside the npm package; its CUDA provider is a separate download (an
// install script that package.json's allowScripts turns off), so on most machines the CPU is what runs.
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import type { InferenceSession, Tensor } from 'onnxruntime-node'
import { bigganDeepGeneratorTable, bigganGeneratorTable } from '../engine/arch.ts'
import type { ModelConfig } from '../engine/config.ts'
import { truncationPolicy } from '../engine/sampling/truncation.ts'
import { discriminatorInputs, discriminatorOutputs, generatorInputs, generatorOutput } from './io.ts'

type Ort = typeof import('onnxruntime-node')

export interface ProviderAttempt {
  name: string
  ok: boolean
  /** why it was not used */
  reason?: string
}

/** Which provider runs a session, with how many threads, and what was tried before it. */
export interface ProviderInfo {
  provider: string
  threads: number
  tried: ProviderAttempt[]
}

export interface SessionOptions {
  /** CPU threads for one op (default: one per core) */
  threads?: number
  /** providers to try, in order, before the CPU (default: the platform's, see acceleratedProviders) */
  providers?: string[]
  /** write onnxruntime's per-node profile (a JSON trace) to files starting with this prefix */
  profilePrefix?: string
  /** plan each run's activations as one block (onnxruntime's memory pattern) instead of allocating op by op
   *  (default false; see usesMemoryPattern) */
  memoryPattern?: boolean
  /** keep freed activations in onnxruntime's CPU arena for the next op (default false: see createSession) */
  arena?: boolean
}

let ortModule: Ort | undefined

/** onnxruntime-node, or an error saying why it cannot load here (a platform without its binaries). */
export function loadOrt(): Ort {
  if (!ortModule) {
    try {
      ortModule = createRequire(import.meta.url)('onnxruntime-node') as Ort
    } catch (err) {
      throw new Error(`onnxruntime-node does not load on this machine (${process.platform}-${process.arch}): ${firstLine(err)}`)
    }
  }
  return ortModule
}

export function ortVersion(): string {
  return loadOrt().env.versions.node ?? 'unknown'
}

/** The GPU providers worth trying on a platform, fastest first; the CPU comes after them. */
export function acceleratedProviders(platform: NodeJS.Platform = process.platform): string[] {
  if (platform === 'darwin') return ['coreml']
  if (platform === 'win32') return ['cuda', 'dml']
  return ['cuda']
}

/** A session on the first provider that takes the model, the CPU last. */
export async function createSession(model: string | Uint8Array, options: SessionOptions = {}): Promise<{ session: InferenceSession; info: ProviderInfo }> {
  const ort = loadOrt()
  const threads = options.threads ?? availableParallelism()
  const base: InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // no arena, and by default no memory pattern: activations go back to the allocator after each op instead of
    // into a pool or a block planned for the whole run, which keeps the peak near weights + one layer's activations
    // (BigGAN-deep-128, batch 1: 1.56× → 1.4× the weights, test/bench/onnx.bench.ts)
    enableCpuMemArena: options.arena ?? false,
    enableMemPattern: options.memoryPattern ?? false,
    extra: {
      session: {
        // threads sleep rather than spin between ops: when another process holds a core (a training run, the
        // renderer), spinning workers wait on each other and 2 threads ran slower than 1 (test/bench/onnx.bench.ts)
        'intra_op.allow_spinning': '0',
        // no packed copies of constant weights: the session then keeps the external data file mapped instead of
        // copying every initializer while it loads (BigGAN-deep-128: 120 MiB less at load, 15 MiB less at run)
        disable_prepacking: '1',
      },
    },
    logSeverityLevel: 3,
    ...(options.profilePrefix ? { enableProfiling: true, profileFilePrefix: options.profilePrefix } : {}),
  }
  const tried: ProviderAttempt[] = []
  for (const provider of options.providers ?? acceleratedProviders()) {
    const missing = missingProvider(ort, provider)
    if (missing) {
      tried.push({ name: provider, ok: false, reason: missing })
      continue
    }
    try {
      const session = await open(ort, model, { ...base, executionProviders: [provider, 'cpu'] })
      tried.push({ name: provider, ok: true })
      return { session, info: { provider, threads, tried } }
    } catch (err) {
      tried.push({ name: provider, ok: false, reason: firstLine(err) })
    }
  }
  const session = await open(ort, model, { ...base, executionProviders: ['cpu'] })
  tried.push({ name: 'cpu', ok: true })
  return { session, info: { provider: 'cpu', threads, tried } }
}

function open(ort: Ort, model: string | Uint8Array, options: InferenceSession.SessionOptions): Promise<InferenceSession> {
  return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options)
}

/** Why a provider cannot run here before trying it (trying a missing CUDA library logs an error), or null. */
function missingProvider(ort: Ort, provider: string): string | null {
  const listed = ort.listSupportedBackends().find((b) => b.name === provider)
  if (!listed) return `onnxruntime-node ${ortVersion()} has no ${provider} provider for ${process.platform}-${process.arch}`
  if (provider === 'cuda' && !listed.bundled) {
    // where the binding loads its libraries from (dist/binding.js: ../bin/napi-v6/<platform>/<arch>)
    const dist = dirname(createRequire(import.meta.url).resolve('onnxruntime-node'))
    const binding = join(dist, '..', 'bin', 'napi-v6', process.platform, process.arch)
    const library = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so'
    if (!existsSync(join(binding, library))) {
      return `the CUDA provider library (${library}) is not installed: onnxruntime-node downloads it in an install script, which package.json's allowScripts turns off`
    }
  }
  return null
}

/** Each accelerated provider of this platform, and whether it could run here (without opening a session). */
export function providerAvailability(): ProviderAttempt[] {
  const ort = loadOrt()
  return acceleratedProviders().map((name) => {
    const missing = missingProvider(ort, name)
    return missing ? { name, ok: false, reason: missing } : { name, ok: true }
  })
}

/** A provider's name as a person reads it, e.g. 'CPU, 2 threads'. */
export function describeProvider(info: ProviderInfo): string {
  const names: Record<string, string> = { cpu: 'CPU', cuda: 'CUDA', coreml: 'CoreML', dml: 'DirectML' }
  const name = names[info.provider] ?? info.provider
  return info.provider === 'cpu' ? `${name}, ${info.threads} thread${info.threads === 1 ? '' : 's'}` : name
}

// ───────────────────────────────────────────── G and D ─────────────────────────────────────────────

/** How much each BatchNorm statistics row counts for ψ: the engine's statsRows rule as a [1, nStats] vector. */
export function statsWeights(config: ModelConfig, truncation: number): Float32Array {
  const w = new Float32Array(config.nStats)
  for (const { row, weight } of truncationPolicy(config).statsRows(truncation)) {
    if (!(row >= 0 && row < config.nStats)) throw new Error(`truncation ${truncation} picks statistics row ${row}, but the model has rows 0..${config.nStats - 1}`)
    w[row] += weight
  }
  return w
}

abstract class OnnxNetwork {
  protected constructor(
    readonly session: InferenceSession,
    readonly info: ProviderInfo,
    readonly config: ModelConfig,
  ) {}

  protected tensor(data: Float32Array, dims: number[]): Tensor {
    // a copy: the binding reads the whole buffer of a view, and callers pass subarrays
    return new (loadOrt().Tensor)('float32', data.slice(), dims)
  }

  protected batchOf(values: Float32Array, width: number, what: string): number {
    if (values.length === 0 || values.length % width !== 0) throw new Error(`${what} has ${values.length} values, not a whole number of rows of ${width}`)
    return values.length / width
  }

  /** Writes onnxruntime's profile (where the session has profiling on). */
  endProfiling(): void {
    this.session.endProfiling()
  }

  async dispose(): Promise<void> {
    await this.session.release()
  }
}

/** The most bytes G's widest activation may take in one session run. Keeps a run's peak near a one-image forward
 *  (BigGAN-deep-128 and larger run image by image; the 32 px models run whole batches), and every activation below
 *  glibc's largest mmap threshold (32 MiB), so a freed activation is reused instead of faulting in fresh pages. */
export const RUN_ACTIVATION_BYTES = 8 * 2 ** 20

/** One image's widest activation in G: a block's input or output at the block's resolution, float32 bytes. */
function widestActivationBytes(config: ModelConfig): number {
  const rows = config.arch === 'biggan-deep' ? bigganDeepGeneratorTable(config).rows : bigganGeneratorTable(config).rows
  return Math.max(...rows.map((r) => r.resolution ** 2 * Math.max(r.inChannels, r.outChannels) * 4))
}

/** Images per session run: as many as keep G's widest activation within RUN_ACTIVATION_BYTES, at least 1. A point's
 *  pixels do not depend on its batch (eval-mode G), so splitting a batch changes no image. */
export function imagesPerRun(config: ModelConfig): number {
  return Math.max(1, Math.floor(RUN_ACTIVATION_BYTES / widestActivationBytes(config)))
}

/** Whether a model's sessions use onnxruntime's memory pattern: where one image's activations fit the run budget
 *  (runs then hold batches of small activations, and one planned block per run saves an allocation per op: the
 *  32 px models ran 25–40 % faster at batch 16), not where a single image exceeds it (the paper-sized models, where
 *  the planned block held 60 MiB more than allocating op by op: BigGAN-deep-128 1.7× instead of 1.4× its weights). */
export function usesMemoryPattern(config: ModelConfig): boolean {
  return widestActivationBytes(config) <= RUN_ACTIVATION_BYTES
}

/** An exported generator. generate() takes what BigGANModel.generate takes and returns the same images. */
export class OnnxGenerator extends OnnxNetwork {
  static async open(model: string | Uint8Array, config: ModelConfig, options: SessionOptions = {}): Promise<OnnxGenerator> {
    const { session, info } = await createSession(model, { memoryPattern: usesMemoryPattern(config), ...options })
    return new OnnxGenerator(session, info, config)
  }

  /** Images [batch, R, R, 3] in [−1, 1], NHWC, for z [batch·zDim] and y [batch·numClasses]; truncation ψ (a double)
   *  picks the BatchNorm statistics where the model has per-truncation rows. */
  async generate(z: Float32Array, y: Float32Array, options: { truncation?: number } = {}): Promise<Float32Array> {
    const { zDim, numClasses, nStats, resolution } = this.config
    const batch = this.batchOf(z, zDim, 'z')
    if (y.length !== batch * numClasses) throw new Error(`y has ${y.length} values; ${batch} rows of ${numClasses} were expected`)
    const stats = nStats > 1 ? this.tensor(statsWeights(this.config, options.truncation ?? 1), [1, nStats]) : undefined
    const perRun = Math.min(batch, imagesPerRun(this.config))
    const imageSize = resolution * resolution * 3
    const images = perRun === batch ? undefined : new Float32Array(batch * imageSize) // [batch, R, R, 3]
    for (let start = 0; start < batch; start += perRun) {
      const n = Math.min(perRun, batch - start)
      const feeds: Record<string, Tensor> = {
        [generatorInputs.z]: this.tensor(z.subarray(start * zDim, (start + n) * zDim), [n, zDim]),
        [generatorInputs.y]: this.tensor(y.subarray(start * numClasses, (start + n) * numClasses), [n, numClasses]),
      }
      if (stats) feeds[generatorInputs.statsWeights] = stats
      const out = (await this.session.run(feeds))[generatorOutput].data as Float32Array
      if (!images) return out
      images.set(out, start * imageSize)
    }
    return images!
  }
}

/** An exported discriminator: logits and pooled features for images x [batch, R, R, 3] in [−1, 1]. */
export class OnnxDiscriminator extends OnnxNetwork {
  static async open(model: string | Uint8Array, config: ModelConfig, options: SessionOptions = {}): Promise<OnnxDiscriminator> {
    // D's activations mirror G's (the same resolutions and widths), so the same rule
    const { session, info } = await createSession(model, { memoryPattern: usesMemoryPattern(config), ...options })
    return new OnnxDiscriminator(session, info, config)
  }

  async run(x: Float32Array, y: Float32Array): Promise<{ logits: Float32Array; features: Float32Array }> {
    const r = this.config.resolution
    const batch = this.batchOf(x, r * r * 3, 'x')
    if (y.length !== batch * this.config.numClasses) {
      throw new Error(`y has ${y.length} values; ${batch} rows of ${this.config.numClasses} were expected`)
    }
    const out = await this.session.run({
      [discriminatorInputs.x]: this.tensor(x, [batch, r, r, 3]),
      [discriminatorInputs.y]: this.tensor(y, [batch, this.config.numClasses]),
    })
    return { logits: out[discriminatorOutputs.logits].data as Float32Array, features: out[discriminatorOutputs.features].data as Float32Array }
  }

  async discriminate(x: Float32Array, y: Float32Array): Promise<Float32Array> {
    return (await this.run(x, y)).logits
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0].trim()
}
