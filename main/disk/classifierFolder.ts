// A studio classifier folder: config.json (the manifest: format, the architecture, the content hash of the weights,
// and what they were trained on and how well they did) beside model.safetensors (the weights by name, float32, in
// name order). scripts/train-classifier.ts writes one; resources/fashion-mnist-classifier is the bundled one. The
// network, its checks and its hash are the engine's (engine/inspect/classifier.ts); this file reads and writes the
// folder.
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { contentHashOf } from '../engine/contentHash.ts'
import { checkClassifierConfig, ImageClassifier, type ClassifierConfig } from '../engine/inspect/classifier.ts'
import { engineVersion } from '../engine/version.ts'
import { CheckpointError } from '../tensors/errors.ts'
import type { TensorMap } from '../tensors/tensor.ts'
import { writeJsonAtomic } from './atomic.ts'
import { ioError, openSafetensorsFile, writeSafetensorsFile } from './safetensorsFile.ts'

export const classifierFormat = 'biggan-studio-classifier'
export const classifierFormatVersion = 1
const configFile = 'config.json'
const weightsFile = 'model.safetensors'

/** What config.json says besides the architecture: where the weights came from and how well they did. */
export interface ClassifierManifest {
  format: typeof classifierFormat
  formatVersion: number
  config: ClassifierConfig
  /** sha256 over the tensors in name order (name, dtype, shape, bytes): the feature extractor's identity */
  contentHash: string
  createdAt: string
  engineVersion: string
  /** free-form: dataset, accuracy, training settings */
  training?: Record<string, unknown>
}

/** Opens a classifier folder (config.json + model.safetensors), checking every tensor and the content hash. */
export async function loadClassifier(dir: string): Promise<ImageClassifier> {
  const manifest = await readClassifierManifest(dir)
  const path = join(dir, weightsFile)
  const file = await openSafetensorsFile(path)
  try {
    const tensors: TensorMap = new Map()
    for (const e of file.entries) tensors.set(e.name, await file.read(e.name))
    return ImageClassifier.fromTensors(manifest.config, tensors, { source: path, contentHash: manifest.contentHash })
  } finally {
    await file.close()
  }
}

/** Writes config.json + model.safetensors (float32); returns the manifest, whose contentHash identifies the weights
 *  (and is now the classifier's). The weights land first and config.json last, each atomically, so a folder whose
 *  config names a hash holds those weights. */
export async function saveClassifier(classifier: ImageClassifier, dir: string, training?: Record<string, unknown>): Promise<ClassifierManifest> {
  const tensors = await classifier.tensors()
  const contentHash = contentHashOf(tensors)
  try {
    await mkdir(dir, { recursive: true })
  } catch (err) {
    throw ioError(err, dir, 'create the classifier folder')
  }
  const sorted = [...tensors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  await writeSafetensorsFile(join(dir, weightsFile), { format: classifierFormat }, sorted)
  const manifest: ClassifierManifest = {
    format: classifierFormat,
    formatVersion: classifierFormatVersion,
    config: classifier.config,
    contentHash,
    createdAt: new Date().toISOString(),
    engineVersion,
    ...(training ? { training } : {}),
  }
  await writeJsonAtomic(join(dir, configFile), manifest, 'write the classifier config')
  classifier.contentHash = contentHash
  return manifest
}

/** Reads and checks a classifier folder's config.json without touching the weights. */
export async function readClassifierManifest(dir: string): Promise<ClassifierManifest> {
  const path = join(dir, configFile)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw ioError(err, path, 'read the classifier config')
  }
  let o: Record<string, unknown>
  try {
    o = JSON.parse(text) as Record<string, unknown>
  } catch (err) {
    throw new CheckpointError('bad-header', `config.json is not valid JSON (${(err as Error).message})`, path)
  }
  if (typeof o !== 'object' || o === null || o.format !== classifierFormat) {
    throw new CheckpointError('bad-magic', `this is not a classifier folder (its config.json is not a '${classifierFormat}' manifest)`, path)
  }
  if (o.formatVersion !== classifierFormatVersion) {
    throw new CheckpointError('unsupported', `classifier format version ${String(o.formatVersion)} is not supported (this engine reads ${classifierFormatVersion})`, path)
  }
  if (typeof o.contentHash !== 'string' || !/^[0-9a-f]{64}$/.test(o.contentHash)) {
    throw new CheckpointError('bad-header', 'config.json has no valid contentHash (64 hex digits)', path)
  }
  const config = o.config as ClassifierConfig
  if (typeof config !== 'object' || config === null) throw new CheckpointError('bad-header', 'config.json has no config object', path)
  try {
    checkClassifierConfig(config, path)
  } catch (err) {
    throw new CheckpointError('bad-header', (err as Error).message, path)
  }
  return o as unknown as ClassifierManifest
}
