// The studio's own model folder format: `config.json` (the manifest: architecture, class names, provenance, content
// hash) beside `model.safetensors` (G, and optionally D, the EMA of G and optimiser state, by engine parameter
// names). Tensors are written in name order and hashed as they pass, so the hash names the weights, not the file
// layout; reading streams one tensor at a time. Raw tensors only, no TensorFlow.js: reading a manifest (to plan a
// fine-tune, to check a checkpoint is complete) loads nothing else; modelFolder.ts turns the tensors into a model.
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { CheckCancelled } from '../checkpoints/cancel.ts'
import { parseModelConfig } from '../engine/configParser.ts'
import { ContentHasher } from '../engine/contentHash.ts'
import { groups, type ModelManifest, type Provenance } from '../engine/manifest.ts'
import { checkWeightDType } from '../tensors/dtypeRule.ts'
import { CheckpointError } from '../tensors/errors.ts'
import { writeJsonAtomic } from './atomic.ts'
import { ioError, openSafetensorsFile, writeSafetensorsFile, type SafetensorsFile } from './safetensorsFile.ts'
import type { LazyTensor } from '../tensors/tensor.ts'

export const nativeFormat = 'biggan-studio-model'
export const nativeFormatVersion = 1
export const configFile = 'config.json'
export const weightsFile = 'model.safetensors'

function contentsOf(names: Iterable<string>): ModelManifest['contents'] {
  const list = [...names]
  const any = (p: string): boolean => list.some((n) => n.startsWith(p))
  return {
    generator: any(groups.generator),
    discriminator: any(groups.discriminator),
    ema: any(groups.ema),
    optimiser: any(groups.optimiser),
  }
}

/** Writes a native model folder. The weights land first (atomically), then config.json (atomically), so a
 *  crash leaves either the previous folder or a complete new one whose config names the new hash. */
export async function writeNativeModel(
  dir: string,
  manifest: Omit<ModelManifest, 'format' | 'formatVersion' | 'contentHash' | 'contents'>,
  tensors: readonly LazyTensor[],
): Promise<ModelManifest> {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  if (!sorted.some((t) => t.name.startsWith(groups.generator))) {
    throw new CheckpointError('missing-key', 'a model folder needs the generator (tensors named G.…)', dir)
  }
  const hasher = new ContentHasher()
  const hashed: LazyTensor[] = sorted.map((t) => ({
    ...t,
    data: async () => {
      const data = await t.data()
      hasher.add(t.name, t.dtype, t.shape, data)
      return data
    },
  }))
  try {
    await mkdir(dir, { recursive: true })
  } catch (err) {
    throw ioError(err, dir, 'create the model folder')
  }
  await writeSafetensorsFile(join(dir, weightsFile), { format: nativeFormat }, hashed)
  const full: ModelManifest = {
    format: nativeFormat,
    formatVersion: nativeFormatVersion,
    ...manifest,
    contentHash: hasher.digest(),
    contents: contentsOf(sorted.map((t) => t.name)),
  }
  await writeJsonAtomic(join(dir, configFile), full, 'write the model config')
  return full
}

export interface NativeModel {
  dir: string
  manifest: ModelManifest
  file: SafetensorsFile
  /** tensor names in the file, by group prefix */
  names(prefix?: string): string[]
}

/** Opens a native model folder: parses and checks config.json, opens the weights for streaming reads after checking
 *  every tensor's dtype against the rule all readers share (dtypeRule.ts). On any refusal the file is closed. */
export async function openNativeModel(dir: string): Promise<NativeModel> {
  const manifest = await readManifest(dir)
  const file = await openSafetensorsFile(join(dir, weightsFile))
  try {
    for (const e of file.entries) checkWeightDType(e.dtype, file.path, e.name)
  } catch (err) {
    await file.close()
    throw err
  }
  return {
    dir,
    manifest,
    file,
    names: (prefix = '') => file.entries.map((e) => e.name).filter((n) => n.startsWith(prefix)),
  }
}

export async function readManifest(dir: string): Promise<ModelManifest> {
  const path = join(dir, configFile)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    const e = ioError(err, path, 'read the model config')
    if (e.message.includes('ENOENT')) {
      throw new CheckpointError(
        'io',
        `no ${configFile} here: this is not a BigGAN Studio model folder. To use a PyTorch checkpoint, run 'biggan import ${dir} --out NEW_DIR' first`,
        dir,
      )
    }
    throw e
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (err) {
    throw new CheckpointError('bad-header', `config.json is not valid JSON (${(err as Error).message})`, path)
  }
  const o = json as Record<string, unknown>
  if (typeof o !== 'object' || o === null || o.format !== nativeFormat) {
    throw new CheckpointError(
      'bad-magic',
      `this is not a BigGAN Studio model folder (its config.json is not a '${nativeFormat}' manifest). To use a PyTorch checkpoint, run 'biggan import ${dir} --out NEW_DIR' first`,
      path,
    )
  }
  if (o.formatVersion !== nativeFormatVersion) {
    throw new CheckpointError(
      'unsupported',
      `model folder format version ${String(o.formatVersion)} is not supported (this engine reads version ${nativeFormatVersion}); update BigGAN Studio`,
      path,
    )
  }
  const config = parseModelConfig(o.config, path)
  const provenance = (o.provenance ?? {}) as Provenance
  if (typeof o.contentHash !== 'string' || !/^[0-9a-f]{64}$/.test(o.contentHash)) {
    throw new CheckpointError('bad-header', 'config.json has no valid contentHash (64 hex digits)', path)
  }
  return {
    format: nativeFormat,
    formatVersion: nativeFormatVersion,
    config,
    provenance,
    contentHash: o.contentHash,
    contents: o.contents as ModelManifest['contents'],
    state: (o.state ?? undefined) as ModelManifest['state'],
  }
}

/** Reads every tensor of a group in name order, one at a time, verifying the content hash when all are read;
 *  `checkCancelled` runs before each tensor, and what it throws ends the stream. */
export async function* streamTensors(
  model: NativeModel,
  prefix = '',
  checkCancelled?: CheckCancelled,
): AsyncGenerator<{ name: string; tensor: Awaited<ReturnType<SafetensorsFile['read']>> }> {
  const all = model.names().sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  const hasher = prefix === '' ? new ContentHasher() : undefined
  for (const name of all) {
    if (!name.startsWith(prefix)) continue
    checkCancelled?.()
    const tensor = await model.file.read(name)
    hasher?.add(name, tensor.dtype, tensor.shape, tensor.data)
    yield { name, tensor }
  }
  if (hasher && hasher.digest() !== model.manifest.contentHash) {
    throw new CheckpointError(
      'bad-header',
      'the weights do not match the content hash in config.json: the file was changed or damaged; re-import or restore it',
      join(model.dir, weightsFile),
    )
  }
}
