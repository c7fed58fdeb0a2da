// PyTorch-StudioGAN's checkpoint folder (checkpoints/<run name>/) on disk → importStudioGan. StudioGAN's worker
// writes model=G-<when>-weights-step=<n>.pth, model=D-…, and model=G_ema-… where the run keeps an EMA, <when> being
// 'best' (the best FID so far) or 'current'; the best ones are what StudioGAN evaluates by default, so they win.
import { basename, join } from 'node:path'
import type { ReadOptions } from '../checkpoints/cancel.ts'
import { importStudioGan, type StudioGanSource } from '../checkpoints/importers/studioGan.ts'
import { readTorchCheckpoint } from '../checkpoints/torch.ts'
import { CheckpointError } from '../tensors/errors.ts'
import type { ImportedCheckpoint, ImportProgress } from './importedCheckpoint.ts'
import { readFileChecked } from './safetensorsFile.ts'

const fileName = /^model=(G|G_ema|D)-(best|current)-weights-step=\d+\.pth$/

/** Whether a file name is one StudioGAN's worker writes. */
export function isStudioGanFile(name: string): boolean {
  return fileName.test(name)
}

interface Roles {
  G?: string
  ema?: string
  D?: string
}

/** Which files to import: the one given (a generator), or the folder's best set, else its current set. */
function roles(file: string | undefined, names: string[]): Roles {
  if (file !== undefined) {
    const [, model] = fileName.exec(file)!
    if (model === 'D') {
      throw new CheckpointError('unsupported', 'this is a discriminator; import the generator (model=G-… / model=G_ema-…) or the whole folder', file)
    }
    return model === 'G' ? { G: file } : { ema: file }
  }
  for (const when of ['best', 'current']) {
    const find = (model: string): string | undefined =>
      names.find((n) => fileName.exec(n)?.[1] === model && n.startsWith(`model=${model}-${when}-`))
    const found: Roles = { G: find('G'), ema: find('G_ema'), D: find('D') }
    if (found.G || found.ema) return found
  }
  return {}
}

/** Imports a StudioGAN checkpoint folder, or one generator file in it (`file`, a name in `dir`). */
export async function importStudioGanFiles(
  dir: string, file: string | undefined, names: string[], progress: ImportProgress, options: ReadOptions,
): Promise<ImportedCheckpoint> {
  const chosen = roles(file, names)
  const read = async (name: string | undefined): Promise<StudioGanSource | undefined> => {
    if (name === undefined) return undefined
    const path = join(dir, name)
    progress(`reading ${path}`)
    const bytes = await readFileChecked(path, options.checkCancelled)
    return { tensors: readTorchCheckpoint(bytes, path, options).tensors, file: path }
  }
  const [G, ema, D] = [await read(chosen.G), await read(chosen.ema), await read(chosen.D)]
  progress(`mapping StudioGAN tensors (${basename(dir)})`)
  const imported = importStudioGan({ ...(G ? { G } : {}), ...(ema ? { ema } : {}), ...(D ? { D } : {}), ...options })
  return {
    family: 'studiogan',
    config: imported.config,
    provenance: imported.provenance,
    G: imported.G,
    ...(imported.D ? { D: imported.D } : {}),
    ...(imported.ema ? { ema: imported.ema } : {}),
  }
}
