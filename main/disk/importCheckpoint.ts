// From whatever a person has on disk to engine tensors: finds which checkpoint family a path holds (a folder or a
// single file), reads it with the format readers and maps it with that family's importer. The families:
//   hf-biggan-deep   pytorch-pretrained-BigGAN: config.json + pytorch_model.bin (generator only)
//   biggan-pytorch   BigGAN-PyTorch: G.pth and/or G_ema.pth, optional D.pth, optional state_dict.pth (its config),
//                    optional config.json of constructor arguments
//   tfhub-biggan, tfhub-biggan-deep   TF-Hub modules (deepmind/biggan-*, biggan-deep-*): a folder with
//                    saved_model.pb + variables/, or the module's .tar.gz archive, unpacked by hubArchive.ts
//   studiogan        PyTorch-StudioGAN: model=G-best-weights-step=N.pth [+ model=G_ema-…, model=D-…] (importStudioGan.ts)
// Nothing here executes anything from a checkpoint: pickles go through the restricted reader.
import { readdir, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { ReadOptions } from '../checkpoints/cancel.ts'
import type { ModelConfig } from '../engine/config.ts'
import { parseModelConfig } from '../engine/configParser.ts'
import { CheckpointError } from '../tensors/errors.ts'
import { ioError, readFileChecked } from './safetensorsFile.ts'
import { importBigganPytorch, type BigganPytorchSource } from '../checkpoints/importers/bigganPytorch.ts'
import { importHfBigganDeep } from '../checkpoints/importers/hfBigganDeep.ts'
import { parseJson } from '../checkpoints/json.ts'
import type { Provenance } from '../engine/manifest.ts'
import type { TensorMap } from '../tensors/tensor.ts'
import { pickledToPlain, readTorchCheckpoint } from '../checkpoints/torch.ts'
import { hubArchivePattern, withUnpackedArchive } from './hubArchive.ts'
import { importStudioGanFiles, isStudioGanFile } from './importStudioGan.ts'
import type { ImportedCheckpoint, ImportProgress } from './importedCheckpoint.ts'
import { importHubModule, isHubModule, savedModelFile } from './tfHubModule.ts'

export type { CheckpointFamily, ImportedCheckpoint, ImportFamily, ImportProgress } from './importedCheckpoint.ts'

const torchExtensions = /\.(pth|pt|bin|ckpt)$/i

/** Imports a checkpoint folder or file. Errors name the file and say what to point at instead. `checkCancelled` is
 *  called between chunks of each file and between the records the readers and importers go through; what it throws
 *  ends the import. */
export async function importCheckpoint(
  src: string, progress: ImportProgress = () => {}, options: ReadOptions = {},
): Promise<ImportedCheckpoint> {
  let isDir: boolean
  try {
    isDir = (await stat(src)).isDirectory()
  } catch (err) {
    throw ioError(err, src, 'open the checkpoint')
  }
  const dir = isDir ? src : dirname(src)
  const names = await listFolder(dir)
  if (!isDir) {
    const file = basename(src)
    if (hubArchivePattern.test(file)) return buildable(await importHubArchive(src, progress, options))
    if (file === savedModelFile || (dir.endsWith('variables') && file.startsWith('variables.'))) {
      const moduleDir = file === savedModelFile ? dir : dirname(dir)
      return buildable(fromHub(await importHubModule(moduleDir, progress, options)))
    }
    if (!torchExtensions.test(file)) {
      throw new CheckpointError(
        'unsupported', 'only PyTorch checkpoints (.bin, .pth, .pt), TF-Hub module folders and their .tar.gz archives ' +
          'can be imported', src,
      )
    }
    if (file === 'pytorch_model.bin') return buildable(await importHf(dir, progress, options))
    if (isStudioGanFile(file)) return buildable(await importStudioGanFiles(dir, file, names, progress, options))
    return buildable(await importBigganPytorchFiles(dir, guessRoles(file, names), progress, options))
  }
  if (names.includes('pytorch_model.bin')) return buildable(await importHf(dir, progress, options))
  if (isHubModule(names)) return buildable(fromHub(await importHubModule(dir, progress, options)))
  if (names.some((n) => /^model=G(_ema)?-/.test(n) && isStudioGanFile(n))) {
    return buildable(await importStudioGanFiles(dir, undefined, names, progress, options))
  }
  if (names.some((n) => /^G(_ema)?\.pth$/.test(n))) {
    return buildable(await importBigganPytorchFiles(dir, guessRoles(undefined, names), progress, options))
  }
  throw new CheckpointError(
    'unsupported',
    `no checkpoint found here (looked for pytorch_model.bin + config.json, G.pth / G_ema.pth [+ D.pth], a TF-Hub module's saved_model.pb + variables/, or StudioGAN's model=G-…-weights-step=N.pth); found: ${names.slice(0, 12).join(', ') || 'nothing'}`,
    src,
  )
}

/** The engine is built from the imported config: the config parser refuses, naming the files, what it cannot build. */
function buildable(imported: ImportedCheckpoint): ImportedCheckpoint {
  parseModelConfig(imported.config, imported.provenance.from)
  return imported
}

/** An imported TF-Hub module as the rest of the app takes it: its generator is the EMA the module samples with. */
function fromHub(hub: Awaited<ReturnType<typeof importHubModule>>): ImportedCheckpoint {
  return {
    family: hub.family,
    config: hub.config,
    provenance: { source: `import:${hub.family}`, from: hub.from, notes: hub.notes },
    G: hub.G,
  }
}

/** A module's archive: unpacked to a temporary folder (the module itself, or its one top-level folder), imported, and
 *  the folder removed. */
async function importHubArchive(archive: string, progress: ImportProgress, options: ReadOptions): Promise<ImportedCheckpoint> {
  progress(`unpacking ${archive}`)
  return withUnpackedArchive(archive, async (dir) => {
    let root = dir
    let names = await listFolder(dir)
    if (!isHubModule(names) && names.length === 1) {
      root = join(dir, names[0])
      names = await listFolder(root).catch(() => [])
    }
    if (!isHubModule(names)) {
      throw new CheckpointError('unsupported', `the archive holds no TF-Hub module (saved_model.pb + variables/); found: ${names.slice(0, 12).join(', ') || 'nothing'}`, archive)
    }
    const hub = await importHubModule(root, progress, options)
    return fromHub({ ...hub, from: archive })
  })
}

async function listFolder(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort()
  } catch (err) {
    throw ioError(err, dir, 'list the checkpoint folder')
  }
}

async function readTorchFile(
  path: string, progress: ImportProgress, options: ReadOptions,
): Promise<{ tensors: TensorMap; root: unknown }> {
  progress(`reading ${path}`)
  const bytes = await readFileChecked(path, options.checkCancelled)
  return readTorchCheckpoint(bytes, path, options)
}

/** A small JSON file's text, refused as a CheckpointError where it is not UTF-8. */
async function readText(path: string, options: ReadOptions): Promise<string> {
  const bytes = await readFileChecked(path, options.checkCancelled)
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new CheckpointError('bad-header', `${basename(path)} is not UTF-8 text`, path)
  }
}

async function importHf(dir: string, progress: ImportProgress, options: ReadOptions): Promise<ImportedCheckpoint> {
  const configPath = join(dir, 'config.json')
  const weightsPath = join(dir, 'pytorch_model.bin')
  const configJson = await readText(configPath, options).catch((err: unknown) => {
    if (err instanceof CheckpointError && err.code === 'io') {
      throw new CheckpointError(
        'missing-key',
        'pytorch_model.bin needs the config.json that came with it (biggan-deep-128/256/512-config.json, renamed to config.json) in the same folder',
        configPath,
      )
    }
    throw err
  })
  const { tensors } = await readTorchFile(weightsPath, progress, options)
  progress('mapping pytorch-pretrained-BigGAN tensors')
  const { config, G } = importHfBigganDeep({
    configJson, tensors, configFile: configPath, weightsFile: weightsPath, ...options,
  })
  return {
    family: 'hf-biggan-deep',
    config,
    provenance: {
      source: 'import:hf-biggan-deep',
      from: weightsPath,
      notes: 'pytorch-pretrained-BigGAN (TF-Hub BigGAN-deep port): per-truncation BatchNorm statistics, HF stats rule',
    },
    G,
  }
}

interface BigganPytorchRoles {
  G?: string
  ema?: string
  D?: string
  stateDict?: string
  configJson?: string
}

/** Which file plays which part. A single file stands for itself: G_ema*.pth is the EMA, D*.pth a discriminator. */
function guessRoles(file: string | undefined, names: string[]): BigganPytorchRoles {
  const has = (n: string): string | undefined => (names.includes(n) ? n : undefined)
  const roles: BigganPytorchRoles = {
    stateDict: has('state_dict.pth'),
    configJson: has('config.json'),
  }
  if (file === undefined) {
    roles.G = has('G.pth')
    roles.ema = has('G_ema.pth')
    roles.D = has('D.pth')
  } else if (/^D[^/]*\.pth$/.test(file)) {
    throw new CheckpointError('unsupported', 'this is a discriminator; import the generator (G.pth / G_ema.pth) or the whole folder', file)
  } else if (/^G_ema/.test(file)) {
    roles.ema = file
  } else {
    roles.G = file
  }
  return roles
}

async function importBigganPytorchFiles(
  dir: string,
  roles: BigganPytorchRoles,
  progress: ImportProgress,
  options: ReadOptions,
): Promise<ImportedCheckpoint> {
  const source = async (name: string): Promise<BigganPytorchSource> => {
    const path = join(dir, name)
    return { tensors: (await readTorchFile(path, progress, options)).tensors, file: path }
  }
  // The generator to sample from is G_ema where it exists (BigGAN-PyTorch samples with --use_ema).
  const sampled = await source((roles.ema ?? roles.G)!)
  const trained = roles.ema && roles.G ? await source(roles.G) : undefined
  const D = roles.D ? await source(roles.D) : undefined
  let config: { value: unknown; file: string } | undefined
  if (roles.stateDict) {
    const path = join(dir, roles.stateDict)
    const { root } = await readTorchFile(path, progress, options)
    const plain = pickledToPlain(root as Parameters<typeof pickledToPlain>[0], path) as Record<string, unknown> | undefined
    if (plain && typeof plain === 'object' && plain.config !== undefined) config = { value: plain.config, file: path }
  } else if (roles.configJson) {
    const path = join(dir, roles.configJson)
    config = { value: parseJson(await readText(path, options), 'config.json', path), file: path }
  }
  progress('mapping BigGAN-PyTorch tensors')
  const imported = importBigganPytorch({ G: trained ?? sampled, ...(D ? { D } : {}), ...(config ? { config } : {}), ...options })
  const out: ImportedCheckpoint = {
    family: 'biggan-pytorch',
    config: imported.config,
    provenance: imported.provenance,
    G: imported.G,
    ...(imported.D ? { D: imported.D } : {}),
  }
  if (trained) {
    // G.pth is the trained generator; G_ema.pth its EMA, same architecture
    out.ema = importBigganPytorch({ G: sampled, ...(config ? { config } : {}), ...options }).G
  }
  return out
}
