// A model as a folder on disk: the engine's BigGANModel read from and written to the native model folder format
// (nativeFormat.ts), tensor by tensor, with the content hash checked on the way in.
import type { ReadOptions } from '../checkpoints/cancel.ts'
import type { ModelManifest, Provenance } from '../engine/manifest.ts'
import { BigGANModel } from '../engine/model.ts'
import { engineVersion } from '../engine/version.ts'
import type { TensorMap } from '../tensors/tensor.ts'
import { openNativeModel, streamTensors, writeNativeModel } from './nativeFormat.ts'

/** Opens a native model folder, streaming its tensors one at a time and checking the content hash;
 *  `checkCancelled` runs between tensors, and what it throws ends the load with nothing left allocated or open. */
export async function loadModel(dir: string, options: ReadOptions = {}): Promise<BigGANModel> {
  return (await readModel(dir, false, options)).model
}

/** Opens a training checkpoint: the model, and its optimiser tensors by name without the `opt.` prefix, e.g.
 *  `G.linear.weight.m`; empty where the folder has none. */
export function loadCheckpoint(dir: string): Promise<{ model: BigGANModel; optimiser: TensorMap }> {
  return readModel(dir, true)
}

async function readModel(
  dir: string, withOptimiser: boolean, options: ReadOptions = {},
): Promise<{ model: BigGANModel; optimiser: TensorMap }> {
  const native = await openNativeModel(dir)
  try {
    return await BigGANModel.fromSavedTensors(native.manifest.config, streamTensors(native, '', options.checkCancelled), {
      source: native.file.path, withOptimiser, manifest: native.manifest,
    })
  } finally {
    await native.file.close()
  }
}

/** Writes `model` as a native folder (config.json + model.safetensors). A training checkpoint adds its free-form
 *  `state` and its optimiser tensors, named as loadCheckpoint returns them (stored under `opt.`). */
export function saveModel(
  model: BigGANModel, dir: string, provenance: Omit<Provenance, 'createdAt' | 'engineVersion'>,
  state?: Record<string, unknown>, optimiser?: TensorMap,
): Promise<ModelManifest> {
  return writeNativeModel(
    dir,
    {
      config: model.config,
      provenance: { ...provenance, createdAt: new Date().toISOString(), engineVersion },
      ...(state ? { state } : {}),
    },
    model.savedTensors(optimiser),
  )
}
