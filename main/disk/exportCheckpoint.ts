// Back to PyTorch: a model's tensors under the original key names and layouts of the family it fits, as
// safetensors (loadable with safetensors.torch.load_file and then load_state_dict), so weights fine-tuned here go
// back to the reference code.
//   hf-biggan-deep  OUT/config.json (the HF config) + OUT/model.safetensors (the HF state dict of G)
//   biggan-pytorch  OUT/G.safetensors, OUT/D.safetensors (if any), OUT/G_ema.safetensors (if any)
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ModelConfig } from '../engine/config.ts'
import { CheckpointError } from '../tensors/errors.ts'
import { ioError, writeSafetensorsFile } from './safetensorsFile.ts'
import type { CheckpointFamily } from './importedCheckpoint.ts'
import { exportBigganPytorch } from '../checkpoints/importers/bigganPytorch.ts'
import { exportHfBigganDeep } from '../checkpoints/importers/hfBigganDeep.ts'
import type { TensorMap } from '../tensors/tensor.ts'

/** The family a config exports to: BigGAN → BigGAN-PyTorch, BigGAN-deep → pytorch-pretrained-BigGAN. */
export function exportFamily(config: ModelConfig): CheckpointFamily {
  return config.arch === 'biggan' ? 'biggan-pytorch' : 'hf-biggan-deep'
}

export async function exportCheckpoint(
  dir: string,
  config: ModelConfig,
  tensors: { G: TensorMap; D?: TensorMap; ema?: TensorMap },
  family: CheckpointFamily = exportFamily(config),
): Promise<string[]> {
  try {
    await mkdir(dir, { recursive: true })
  } catch (err) {
    throw ioError(err, dir, 'create the export folder')
  }
  const metadata = { format: 'pt', exported_by: 'BigGAN Studio' }
  const written: string[] = []
  const write = async (name: string, map: TensorMap): Promise<void> => {
    const path = join(dir, name)
    await writeSafetensorsFile(path, metadata, map)
    written.push(path)
  }
  if (family === 'hf-biggan-deep') {
    if (config.arch !== 'biggan-deep') throw new CheckpointError('unsupported', `a ${config.arch} model cannot be exported as pytorch-pretrained-BigGAN (BigGAN-deep only)`)
    const G = tensors.ema ?? tensors.G // HF ships one generator: the one to sample from
    const hf = exportHfBigganDeep(config, G)
    await write('model.safetensors', hf.tensors)
    const configPath = join(dir, 'config.json')
    try {
      await writeFile(configPath, hf.configJson)
    } catch (err) {
      throw ioError(err, configPath, 'write the HF config')
    }
    written.push(configPath)
    return written
  }
  const bp = exportBigganPytorch(config, tensors.G, tensors.D)
  await write('G.safetensors', bp.G)
  if (bp.D) await write('D.safetensors', bp.D)
  if (tensors.ema) await write('G_ema.safetensors', exportBigganPytorch(config, tensors.ema).G)
  return written
}
