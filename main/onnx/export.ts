// A model's G or D as an ONNX file: the networks' own forward, traced (inference.ts), spectral norm folded in,
// and cached per model content hash, `<cacheDir>/<hash>-<G|G-ema|D>.v<N>.onnx`, written atomically.
// A changed model (a fine-tuning checkpoint, say) has another hash and gets its own file; N changes with the
// exporter, so a file an older exporter wrote is never reused.
import { randomBytes } from 'node:crypto'
import { mkdir, open, readdir, rm, stat, rename, utimes } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { BigGANModel } from '../engine/model.ts'
import { engineVersion } from '../engine/version.ts'
import { GraphBuilder, OPSET } from './graph.ts'
import { buildDiscriminator, buildGenerator } from './inference.ts'
import { concatChunks, encodeModel, type ExternalData } from './proto.ts'
import { pruned } from './trace/prune.ts'

/** Bumped whenever the graphs the exporter writes change. */
export const EXPORT_VERSION = 3

/** Cached graphs kept per cache folder (the least recently used go first). */
const KEEP_GRAPHS = 12

/** Initializers of at least this many bytes go to the external data file. */
const EXTERNAL_BYTES = 4096

export type Network = 'G' | 'D'

export interface ExportOptions {
  /** G from its EMA weights where the model has them (default true, as model.generate) */
  useEma?: boolean
}

/** Which weights a G or D graph holds: 'G', 'G-ema' or 'D'. */
export function graphKind(model: BigGANModel, network: Network, options: ExportOptions = {}): string {
  if (network === 'D') return 'D'
  return options.useEma !== false && model.ema ? 'G-ema' : 'G'
}

/** The ONNX model of G or D as byte chunks in order (joined, they are the .onnx file). */
export function exportNetwork(model: BigGANModel, network: Network, options: ExportOptions = {}, external?: ExternalData): Uint8Array[] {
  const kind = graphKind(model, network, options)
  const g = new GraphBuilder(`BigGAN Studio ${model.config.arch}-${model.config.resolution} ${kind}`)
  if (network === 'G') {
    buildGenerator(g, model.G, model.config, kind === 'G-ema' ? model.ema! : model.params)
  } else {
    if (!model.D) throw new Error('this model has no discriminator (the released BigGAN-deep weights have none), so there is no D to export')
    buildDiscriminator(g, model.D, model.config, model.params)
  }
  return encodeModel({
    graph: pruned(g.graph()),
    opset: OPSET,
    producer: { name: 'BigGAN Studio', version: engineVersion },
    docString: `${kind} of a ${model.config.arch}-${model.config.resolution} model, spectral norm folded into the weights`,
    metadata: {
      network: kind,
      exporter: String(EXPORT_VERSION),
      model: model.manifest?.contentHash ?? '',
      config: JSON.stringify(model.config),
    },
  }, external)
}

/** The ONNX model as one byte array (small models, tests). */
export function exportNetworkBytes(model: BigGANModel, network: Network, options: ExportOptions = {}): Uint8Array {
  return concatChunks(exportNetwork(model, network, options))
}

/** The cached .onnx file of a saved model's G or D, exported first where it is missing. Its weights sit in
 *  `<file>.data` beside it (ONNX external data), which onnxruntime reads without holding a second copy of the
 *  model in memory while it loads. */
export async function cachedNetworkFile(model: BigGANModel, network: Network, cacheDir: string, options: ExportOptions = {}): Promise<string> {
  const hash = model.manifest?.contentHash
  if (!hash) throw new Error('only a saved model (one with a content hash) has a cached ONNX graph: save it first, or export it with exportNetwork')
  const file = join(cacheDir, `${hash}-${graphKind(model, network, options)}.v${EXPORT_VERSION}.onnx`)
  const data = `${file}.data`
  if ((await exists(file)) && (await exists(data))) {
    const now = new Date()
    await utimes(file, now, now).catch(() => undefined) // recently used: kept by the pruning below
    return file
  }
  await mkdir(cacheDir, { recursive: true })
  const external: ExternalData = { location: basename(data), threshold: EXTERNAL_BYTES, chunks: [], length: 0 }
  const graph = exportNetwork(model, network, options, external)
  // the data first: a graph file is only ever seen complete, and with its data beside it
  await writeAtomically(data, external.chunks)
  await writeAtomically(file, graph)
  await prune(cacheDir, KEEP_GRAPHS)
  return file
}

/** Chunks to a temporary file beside `file`, flushed, then renamed over it: readers see all of it or nothing. */
async function writeAtomically(file: string, chunks: Uint8Array[]): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  const handle = await open(tmp, 'w')
  try {
    for (const chunk of chunks) await handle.write(chunk)
    await handle.sync()
  } catch (err) {
    await handle.close()
    await rm(tmp, { force: true })
    throw err
  }
  await handle.close()
  await rename(tmp, file)
}

/** Removes all but the `keep` most recently used graphs. */
async function prune(cacheDir: string, keep: number): Promise<void> {
  const names = (await readdir(cacheDir)).filter((n) => n.endsWith('.onnx'))
  if (names.length <= keep) return
  const dated = await Promise.all(names.map(async (n) => ({ n, t: (await stat(join(cacheDir, n)).catch(() => null))?.mtimeMs ?? 0 })))
  dated.sort((a, b) => b.t - a.t)
  await Promise.all(dated.slice(keep).flatMap(({ n }) => [rm(join(cacheDir, n), { force: true }), rm(join(cacheDir, `${n}.data`), { force: true })]))
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile()
  } catch {
    return false
  }
}
