// TF-Hub module folders (saved_model.pb + variables/variables.index + variables/variables.data-NNNNN-of-NNNNN):
// reads the tensor bundle (and, for BigGAN-deep, the statistics in the graph) and maps it with the family's
// importer. Which family is told by the generator's first linear: `Generator/G_Z/G_linear` in BigGAN modules,
// `Generator/GenZ/G_linear` in BigGAN-deep ones.
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { ReadOptions } from '../checkpoints/cancel.ts'
import { hubNames, importTfHubBiggan } from '../checkpoints/importers/tfHubBiggan.ts'
import { importTfHubBigganDeep } from '../checkpoints/importers/tfHubBigganDeep.ts'
import { readGraphStacks } from '../checkpoints/tf/savedModel.ts'
import { parseBundleIndex, readTensorBundle, shardFileName } from '../checkpoints/tf/tensorBundle.ts'
import { CheckpointError } from '../tensors/errors.ts'
import type { ModelConfig } from '../engine/config.ts'
import type { TensorMap } from '../tensors/tensor.ts'
import { ioError, readFileChecked } from './safetensorsFile.ts'

export const savedModelFile = 'saved_model.pb'
const variablesPrefix = join('variables', 'variables')

export interface HubImport {
  family: 'tfhub-biggan' | 'tfhub-biggan-deep'
  config: ModelConfig
  G: TensorMap
  notes: string
  from: string
}

/** Whether a folder's listing looks like a TF-Hub module (a SavedModel with a variables folder). */
export function isHubModule(names: readonly string[]): boolean {
  return names.includes(savedModelFile) && names.includes('variables')
}

/** Reads the module at `dir` and imports its generator. */
export async function importHubModule(
  dir: string, progress: (message: string) => void, options: ReadOptions = {},
): Promise<HubImport> {
  const indexPath = join(dir, `${variablesPrefix}.index`)
  progress(`reading ${indexPath}`)
  const index = await readFileChecked(indexPath, options.checkCancelled).catch((err: unknown) => {
    if (err instanceof CheckpointError && err.code === 'io') {
      throw new CheckpointError('missing-key', 'a TF-Hub module keeps its weights in variables/variables.index and ' +
        'variables.data-*; this folder has saved_model.pb without them. Unpack the whole module archive', indexPath)
    }
    throw err
  })
  const { numShards } = parseBundleIndex(index, indexPath, options)
  const present = new Set(await readdir(join(dir, 'variables')).catch((err: unknown) => {
    throw ioError(err, join(dir, 'variables'), 'list the module\'s variables folder')
  }))
  const shardFiles: string[] = []
  const shards: (Uint8Array | undefined)[] = []
  for (let i = 0; i < numShards; i++) {
    const name = shardFileName('variables', i, numShards)
    const path = join(dir, 'variables', name)
    shardFiles.push(path)
    if (present.has(name)) {
      progress(`reading ${path}`)
      shards.push(await readFileChecked(path, options.checkCancelled))
    } else shards.push(undefined)
  }
  const { tensors } = readTensorBundle({ index, shards, indexFile: indexPath, shardFiles }, options)
  const names = hubNames(tensors)
  const has = (prefix: string): boolean => [...names.keys()].some((n) => n.startsWith(prefix))
  if (has('Generator/GenZ/')) {
    const graphPath = join(dir, savedModelFile)
    progress(`reading the BatchNorm statistics in ${graphPath}`)
    const { stacks } = readGraphStacks(await readFileChecked(graphPath, options.checkCancelled), graphPath, options)
    progress('mapping TF-Hub BigGAN-deep variables')
    const imported = importTfHubBigganDeep({ tensors, stacks, file: indexPath, graphFile: graphPath, ...options })
    return { family: 'tfhub-biggan-deep', config: imported.config, G: imported.G, notes: imported.notes, from: dir }
  }
  if (has('Generator/G_Z/')) {
    progress('mapping TF-Hub BigGAN variables')
    const imported = importTfHubBiggan({ tensors, file: indexPath, ...options })
    return { family: 'tfhub-biggan', config: imported.config, G: imported.G, notes: imported.notes, from: dir }
  }
  throw new CheckpointError('unsupported', 'this TensorFlow SavedModel is not a BigGAN generator: its variables have ' +
    'neither Generator/G_Z (deepmind/biggan-128/256/512) nor Generator/GenZ (deepmind/biggan-deep-128/256/512)', indexPath)
}
