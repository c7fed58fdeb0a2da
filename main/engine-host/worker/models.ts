// Which model the worker holds and where it came from: opening a native folder, importing a checkpoint into the
// app's models folder (once per source: an index remembers what was imported from where), the bundled default or
// its random stand-in, and the worker's record of each (protocol/engine.ts's ModelRecord). Runs in the worker only
// (it loads tfjs).
import { existsSync } from 'node:fs'
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { CheckpointError } from '../../tensors/errors.ts'
import { importCheckpoint } from '../../disk/importCheckpoint.ts'
import { configFile, weightsFile } from '../../disk/nativeFormat.ts'
import type { ModelManifest } from '../../engine/manifest.ts'
import { FASHION_MNIST_CLASSES } from '../../data/fashionMnist.ts'
import { classIds, classNames } from '../../engine/classes.ts'
import { defaultConfig } from '../../engine/config.ts'
import { BigGANModel } from '../../engine/model.ts'
import { BigGANGenerator } from '../../engine/networks/biggan.ts'
import type { Inference } from '../../onnx/select.ts'
import type { ModelRecord } from '../protocol/engine.ts'
import { HostError } from '../protocol/errors.ts'
import type { Job } from './job.ts'
import { runInfoFile, runOfModelFolder } from '../../runs/layout.ts'
import { loadModel, saveModel } from '../../disk/modelFolder.ts'
import { bundledModelDir, randomStandInDir } from '../../disk/resources.ts'

/** The model the worker holds, with the facts its record is built from. */
export interface OpenModel {
  model: BigGANModel
  manifest: ModelManifest
  dir: string
  info: ModelRecord
  /** what renders previews (previews.ts), once the worker has chosen; absent: the engine itself */
  previews?: Inference
}

const IMPORT_INDEX = 'imports.json'

/** Opens `path`: a native model folder (or a file in one), else any checkpoint importCheckpoint reads. */
export async function openPath(path: string, modelsDir: string, job: Job): Promise<OpenModel> {
  const target = resolve(path)
  let isDir: boolean
  try {
    isDir = (await stat(target)).isDirectory()
  } catch {
    throw new HostError('failed', `${target}: no such file or folder. Choose a model folder or a checkpoint file that exists`)
  }
  const folder = isDir ? target : dirname(target)
  const named = basename(target)
  if (isNativeFolder(folder) && (isDir || named === configFile || named === weightsFile)) {
    return openNative(folder, job, { isDefault: false, isRandom: false })
  }
  return importAndOpen(target, modelsDir, job)
}

/** The bundled default model, else the random stand-in (created and saved once). */
export async function openDefault(resourcesDir: string, modelsDir: string, job: Job): Promise<OpenModel> {
  const bundled = bundledModelDir(resourcesDir)
  if (isNativeFolder(bundled)) return openNative(bundled, job, { isDefault: true, isRandom: false, name: 'Default model' })
  const dir = randomStandInDir(modelsDir)
  const flags = { isDefault: true, isRandom: true, name: 'Random stand-in (untrained)' }
  if (isNativeFolder(dir)) {
    try {
      return await openNative(dir, job, flags)
    } catch (err) {
      if (err instanceof HostError && err.code === 'cancelled') throw err
      // a damaged stand-in is made again below
    }
  }
  job.progress('initialising a random BigGAN', 0, 1)
  // the bundled default's architecture (scripts/train-default.ts): BigGAN 32×32, ch 16, attention at 16
  const config = { ...defaultConfig('biggan', 32, 16, FASHION_MNIST_CLASSES.length, 16), classNames: [...FASHION_MNIST_CLASSES] }
  const model = BigGANModel.initialise(config, 0)
  try {
    job.check()
    const manifest = await saveModel(model, dir, {
      source: 'init',
      notes: 'random stand-in for the bundled default model (none is bundled yet): BigGAN 32×32, ch 16, Fashion-MNIST classes, seed 0',
    })
    job.progress('initialising a random BigGAN', 1, 1)
    return { model, manifest, dir, info: modelRecord(model, manifest, dir, flags) }
  } catch (err) {
    model.dispose()
    throw err
  }
}

function isNativeFolder(dir: string): boolean {
  return existsSync(join(dir, configFile)) && existsSync(join(dir, weightsFile))
}

async function openNative(
  dir: string,
  job: Job,
  flags: { isDefault: boolean; isRandom: boolean; name?: string },
): Promise<OpenModel> {
  // BigGANModel.load streams tensor by tensor but reports nothing until it is done: progress is whole-model
  const total = await tensorCount(dir)
  job.progress(`loading ${total} tensors`, 0, total)
  const model = await loadModel(dir, { checkCancelled: () => job.check() })
  job.progress(`loaded ${total} tensors`, total, total)
  if (!model.manifest) {
    model.dispose()
    throw new HostError('failed', `${dir}: the model loaded without its manifest`)
  }
  try {
    job.check()
  } catch (err) {
    model.dispose()
    throw err
  }
  return { model, manifest: model.manifest, dir, info: modelRecord(model, model.manifest, dir, flags) }
}

/** The number of tensors in a folder's safetensors header (0 where it cannot be read: the load says why). */
async function tensorCount(dir: string): Promise<number> {
  let file: FileHandle | undefined
  try {
    file = await open(join(dir, weightsFile), 'r')
    const prefix = Buffer.alloc(8)
    await file.read(prefix, 0, 8, 0)
    const headerLength = Number(prefix.readBigUInt64LE(0))
    if (headerLength > 100_000_000) return 0
    const header = Buffer.alloc(headerLength)
    await file.read(header, 0, headerLength, 8)
    return Object.keys(JSON.parse(header.toString('utf8')) as object).filter((k) => k !== '__metadata__').length
  } catch {
    return 0
  } finally {
    await file?.close()
  }
}

/** Imports a checkpoint into `<modelsDir>/<name>-<hash8>/` and opens it; a source imported before (same files,
 *  sizes and times) opens its earlier import. */
async function importAndOpen(source: string, modelsDir: string, job: Job): Promise<OpenModel> {
  const signature = await sourceSignature(source)
  const index = await readIndex(modelsDir)
  const known = index[source]
  if (known && known.signature === signature && isNativeFolder(known.dir)) {
    return openNative(known.dir, job, { isDefault: false, isRandom: false })
  }
  let steps = 0
  const progress = (message: string): void => job.progress(message, ++steps, 0)
  const imported = await importCheckpoint(source, progress, { checkCancelled: () => job.check() }).catch((err: unknown) => {
    if (err instanceof CheckpointError && err.code === 'unsupported') {
      throw new HostError(
        'failed',
        `${source} is neither a BigGAN Studio model folder (config.json + model.safetensors) nor a checkpoint the studio can import. ` +
          `${err.message}. Choose a model folder, or a pytorch-pretrained-BigGAN folder (config.json + pytorch_model.bin), ` +
          'or a BigGAN-PyTorch folder or file (G.pth / G_ema.pth [+ D.pth]), or a TF-Hub module folder ' +
          '(saved_model.pb + variables/) or its .tar.gz, ' +
          'or a PyTorch-StudioGAN run folder or generator file (model=G-best-weights-step=N.pth [+ model=G_ema-…, model=D-…])',
      )
    }
    throw err
  })
  job.check()
  const tensors = imported.G.size + (imported.D?.size ?? 0) + (imported.ema?.size ?? 0)
  job.progress(`checking ${tensors} tensors`, 0, tensors)
  const model = BigGANModel.fromTensors(imported.config, imported, source)
  try {
    job.check()
    await mkdir(modelsDir, { recursive: true })
    const staging = join(modelsDir, `.importing-${process.pid}-${Date.now()}`)
    job.progress(`writing ${tensors} tensors`, 0, tensors)
    let manifest: ModelManifest
    try {
      manifest = await saveModel(model, staging, imported.provenance)
    } catch (err) {
      await rm(staging, { recursive: true, force: true })
      throw err
    }
    const dir = join(modelsDir, `${folderName(source)}-${manifest.contentHash.slice(0, 8)}`)
    if (isNativeFolder(dir)) {
      await rm(staging, { recursive: true, force: true }) // the same weights were imported before
    } else {
      await rm(dir, { recursive: true, force: true })
      await rename(staging, dir)
    }
    job.progress(`wrote ${tensors} tensors`, tensors, tensors)
    index[source] = { signature, dir }
    await writeIndex(modelsDir, index)
    return { model, manifest, dir, info: modelRecord(model, manifest, dir, { isDefault: false, isRandom: false }) }
  } catch (err) {
    model.dispose()
    throw err
  }
}

/** A name for an import's folder from its source: the folder's name, or a file's name without its extension
 *  (its folder's name too where the file has a generic name such as G_ema.pth). */
function folderName(source: string): string {
  const base = basename(source).replace(/\.(pth|pt|bin|ckpt|tar\.gz|tgz|tar)$/i, '')
  const generic = /^(G|G_ema|D|pytorch_model|model|state_dict)$/i.test(base)
  const name = generic ? basename(dirname(source)) : base
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '').slice(0, 60) || 'model'
}

/** What identifies a source's state: each file's name, size and modification time. */
async function sourceSignature(source: string): Promise<string> {
  try {
    const s = await stat(source)
    if (!s.isDirectory()) return JSON.stringify([[basename(source), s.size, s.mtimeMs]])
    const names = (await readdir(source)).sort()
    const parts = await Promise.all(
      names.map(async (n) => {
        const f = await stat(join(source, n))
        return [n, f.size, f.mtimeMs]
      }),
    )
    return JSON.stringify(parts)
  } catch {
    return ''
  }
}

type ImportIndex = Record<string, { signature: string; dir: string }>

async function readIndex(modelsDir: string): Promise<ImportIndex> {
  try {
    const value = JSON.parse(await readFile(join(modelsDir, IMPORT_INDEX), 'utf8')) as unknown
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as ImportIndex) : {}
  } catch {
    return {}
  }
}

async function writeIndex(modelsDir: string, index: ImportIndex): Promise<void> {
  const file = join(modelsDir, IMPORT_INDEX)
  const tmp = `${file}.tmp-${process.pid}`
  await writeFile(tmp, JSON.stringify(index, null, 1))
  await rename(tmp, file)
}

/** The worker's record of a model: what the studio shows of it. */
export function modelRecord(
  model: BigGANModel,
  manifest: ModelManifest,
  dir: string,
  flags: { isDefault: boolean; isRandom: boolean; name?: string },
): ModelRecord {
  const { config } = model
  const G = model.G
  const chunked = G instanceof BigGANGenerator && G.chunks > 1
  const zChunks = chunked ? Array.from({ length: G.chunks }, () => config.zDim / G.chunks) : [config.zDim]
  const zChunkLabels = chunked
    ? ['linear', ...G.rows.map((row, i) => `block ${i + 1} (${row.resolution / 2}→${row.resolution})`)]
    : ['all layers']
  const ids = classIds(config)
  return {
    hash: manifest.contentHash,
    name: flags.name ?? displayName(dir, manifest.contentHash),
    path: dir,
    arch: config.arch,
    resolution: config.resolution,
    ch: config.gChannels,
    numClasses: config.numClasses,
    zDim: config.zDim,
    zChunks,
    zChunkLabels,
    ...truncationOffer(model),
    classNames: classNames(config),
    ...(ids ? { classIds: ids } : {}),
    parameters: model.parameterCounts(),
    hasDiscriminator: model.hasDiscriminator,
    hasEma: model.hasEma,
    provenance: describeProvenance(manifest),
    isDefault: flags.isDefault,
    isRandom: flags.isRandom,
  }
}

/** How the model reads a point's truncation, where the studio starts and what it offers and accepts: the model's
 *  truncation policy, as the record carries it across. */
function truncationOffer(model: BigGANModel): Pick<ModelRecord, 'semantics' | 'truncation'> {
  const { semantics, range, accepts } = model.truncation
  return { semantics, truncation: { ...range, above: accepts.above, atMost: accepts.atMost } }
}

/** A folder's name, without the `-<hash8>` an import adds; a training run's latest/, best/ or checkpoint folder is
 *  named after its run ('12-flowers best'). */
function displayName(dir: string, hash: string): string {
  const run = runOfModelFolder(dir)
  if (run && existsSync(runInfoFile(run.runDir))) return `${basename(run.runDir)} ${run.label}`
  const name = basename(dir)
  const suffix = `-${hash.slice(0, 8)}`
  return name.endsWith(suffix) && name.length > suffix.length ? name.slice(0, -suffix.length) : name
}

function describeProvenance(manifest: ModelManifest): string {
  const p = manifest.provenance
  const what =
    p.source === 'init'
      ? 'randomly initialised'
      : p.source.startsWith('import:')
        ? `imported (${p.source.slice('import:'.length)})${p.from ? ` from ${p.from}` : ''}`
        : p.source === 'train' || p.source === 'finetune'
          ? `${p.source === 'train' ? 'trained' : 'fine-tuned'} with BigGAN Studio${p.from ? ` from ${p.from}` : ''}`
          : `${p.source}${p.from ? ` from ${p.from}` : ''}`
  const when = p.createdAt ? ` on ${p.createdAt.slice(0, 10)}` : ''
  // a training run's lineage (what newer runs record in each checkpoint's provenance): the parent's weights, the images, the method
  const lineage = [
    ...(p.parent ? [`parent model ${p.parent.contentHash.slice(0, 8)}`] : []),
    ...(p.data ? [`images ${p.data.dir} (content ${p.data.contentHash.slice(0, 12)})`] : []),
    ...(p.run?.method ? [`method ${p.run.method}`] : []),
    ...(p.run ? [`run ${p.run.dir}`] : []),
  ]
  return `${what}${when}, engine ${p.engineVersion ?? '?'}${lineage.length ? `; ${lineage.join(', ')}` : ''}${p.notes ? `. ${p.notes}` : ''}`
}
