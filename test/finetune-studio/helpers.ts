// What the fine-tune studio tests share: a tiny model folder (BigGAN 32×32, ch 4, classes red/blue/green), a tiny
// image folder (six speckled PNGs per class, one corrupt file, one text file), and a studio over a library in a
// temporary folder, driven as a renderer drives it (router + buildStudioApi), with its events kept.
import { join } from 'node:path'
import type { StudioEvent } from '../../preload/contract/index.ts'
import { initBackend } from '../../main/backend/backend'
import { defaultConfig } from '../../main/engine/config'
import { BigGANModel } from '../../main/engine/model'
import { put } from '../data/images'
import { speckledPng } from '../train/helpers'
import { saveModel } from '../../main/disk/modelFolder'

export const CLASS_NAMES = ['red', 'blue', 'green']

/** The tiny model, saved as a native folder: z of 80, three classes, a D with FreezeD room. */
export async function tinyModelFolder(dir: string): Promise<{ dir: string; hash: string }> {
  await initBackend()
  const model = BigGANModel.initialise({ ...defaultConfig('biggan', 32, 4, 3, 0), classNames: CLASS_NAMES }, 0)
  try {
    const manifest = await saveModel(model, dir, { source: 'init', notes: 'fine-tune studio test model' })
    return { dir, hash: manifest.contentHash }
  } finally {
    model.dispose()
  }
}

/** red/ and blue/ with six images each, red/broken.png that is no image, and notes.txt. */
export async function tinyImageFolder(dir: string): Promise<string> {
  for (let i = 0; i < 6; i++) {
    await put(join(dir, 'red', `${i}.png`), await speckledPng([200, 30, 30], i + 1, 40))
    await put(join(dir, 'blue', `${i}.png`), await speckledPng([30, 30, 200], i + 11, 40))
  }
  await put(join(dir, 'red', 'broken.png'), 'this is not a PNG')
  await put(join(dir, 'notes.txt'), 'not an image')
  return dir
}

/** A training event of run `id` of this kind (and status). */
export const training =
  (id: number, kind: string, status?: string) =>
  (e: StudioEvent): boolean =>
    e.type === 'training' && e.training?.runId === id && e.training.kind === kind && (status === undefined || e.training.status === status)
