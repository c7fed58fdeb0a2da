// A BSA run shows what its target class draws, as the adversarial runs do: the class's samples from fixed latents
// at the start and at every checkpoint in previews/, each with its copying check and its distance to the folder.
// A tiny model (wasm) adapted to a one-class folder of ten images written here, as the model's class 1.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend.ts'
import { loadImageFolder } from '../../main/data/dataset.ts'
import type { ImageDataset } from '../../main/data/types.ts'
import type { TargetDistance } from '../../main/engine/finetune/targetDistance.ts'
import { BigGANModel } from '../../main/engine/model.ts'
import { tf } from '../../main/engine/tf.ts'
import { readPngText } from '../../main/images/png.ts'
import { bsaRunFolder, bsaRunSettings } from '../../main/runs/bsa.ts'
import { memorisationFile, previewFile } from '../../main/runs/layout.ts'
import { put } from '../data/images.ts'
import { convergeSpectralNorm } from '../finetune/helpers.ts'
import { speckledPng, tinyConfig } from '../train/helpers.ts'

let work: string
let model: BigGANModel
let dataset: ImageDataset

beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
  work = mkdtempSync(join(tmpdir(), 'biggan-bsa-previews-'))
  const config = tinyConfig(2)
  const fresh = BigGANModel.initialise(config, 3)
  const t = fresh.tensors()
  fresh.dispose()
  convergeSpectralNorm(t.G)
  convergeSpectralNorm(t.D!)
  model = BigGANModel.fromTensors(config, { G: t.G, D: t.D! })
  for (let i = 0; i < 10; i++) await put(join(work, 'images', `${i}.png`), await speckledPng([220, 120, 20], i + 1, 32))
  dataset = await loadImageFolder(join(work, 'images'), { resolution: 32, seed: 2 })
})
afterAll(() => {
  model?.dispose()
  rmSync(work, { recursive: true, force: true })
})

describe('a BSA run', () => {
  it("writes the target class's preview at the start and at every checkpoint, each with its copying check and distance to the folder", async () => {
    const dir = join(work, 'run')
    const settings = bsaRunSettings({ steps: 4, batchSize: 4, lr: 1e-3, seed: 7, checkpointEvery: 3, previewCount: 6 }, dataset.train.count)
    const previews: number[] = []
    const distances: TargetDistance[] = []
    const before = tf.memory().numTensors
    const outcome = await bsaRunFolder(dir, model, dataset, [1], settings, { dir: 'memory', contentHash: 'test' }, {
      onPreview: (step) => previews.push(step),
      onDistance: (d) => distances.push(d),
    })
    expect(tf.memory().numTensors).toBe(before)
    // the start, the scheduled checkpoint at 3 and the last step
    expect(previews).toEqual([0, 3, 4])
    for (const step of previews) {
      const meta = JSON.parse(readPngText(readFileSync(previewFile(dir, step)))['biggan-preview'])
      expect(meta).toMatchObject({ step, seed: 7, classes: [1, 1, 1, 1, 1, 1] })
      expect(existsSync(memorisationFile(dir, step))).toBe(true)
    }
    expect(distances.map((d) => [d.step, d.space])).toEqual([[0, 'features'], [3, 'features'], [4, 'features']])
    expect(outcome).toEqual({ status: 'completed', step: 4, distance: distances[2] })
  })
})
