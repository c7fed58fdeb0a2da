// What the model commands share: start the backend the user chose, open a model folder.
import { initBackend, type BackendInfo } from '../backend/backend.ts'
import { BigGANModel } from '../engine/model.ts'

export async function startBackend(backend: string | undefined): Promise<BackendInfo> {
  return initBackend(backend !== undefined ? { backend } : {})
}

export async function openModel(dir: string, backend: string | undefined): Promise<BigGANModel> {
  await startBackend(backend)
  const { loadModel } = await import('../disk/modelFolder.ts')
  return loadModel(dir)
}

/** One-hot rows [batch, numClasses] for class indices. */
export function oneHot(classes: ArrayLike<number>, numClasses: number): Float32Array {
  const y = new Float32Array(classes.length * numClasses)
  for (let i = 0; i < classes.length; i++) y[i * numClasses + classes[i]] = 1
  return y
}
