// Exact resume of a BSA run (as resume.test.ts for adversarial runs): a run cancelled at step 3, or
// one that failed after its step-2 checkpoint, resumed from its newest checkpoint ends with the same adapted G, the
// same latents, Adam moments and BSA state, and the same metrics log as a run that never stopped. cpu backend, a
// tiny generator-only model and ten tiny images written here.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadImageFolder } from '../../main/data/dataset.ts'
import type { ImageDataset } from '../../main/data/types.ts'
import { initBackend } from '../../main/backend/backend.ts'
import { bsaRunFolder, bsaRunSettings, openBsaRun, resumeBsaRun } from '../../main/runs/bsa.ts'
import { BigGANModel } from '../../main/engine/model.ts'
import { tf } from '../../main/engine/tf.ts'
import { put } from '../data/images.ts'
import { convergeSpectralNorm } from '../finetune/helpers.ts'
import { differing, speckledPng, tinyConfig } from '../train/helpers.ts'
import { loadCheckpoint, loadModel } from '../../main/disk/modelFolder.ts'

let work: string
let model: BigGANModel
let dataset: ImageDataset
const parent = { dir: 'memory', contentHash: 'test' }
const settings = () => bsaRunSettings({ steps: 5, batchSize: 3, lr: 1e-3, seed: 5, checkpointEvery: 2, keepCheckpoints: 5 }, dataset.train.count)

beforeAll(async () => {
  await initBackend({ backend: 'cpu' })
  work = mkdtempSync(join(tmpdir(), 'biggan-bsa-resume-'))
  const config = { ...tinyConfig(2), dChannels: 0 }
  const fresh = BigGANModel.initialise(config, 1)
  const t = fresh.tensors()
  fresh.dispose()
  convergeSpectralNorm(t.G)
  model = BigGANModel.fromTensors(config, { G: t.G })
  const images = join(work, 'images')
  for (let i = 0; i < 5; i++) {
    await put(join(images, 'c0', `${i}.png`), await speckledPng([200, 30, 30], i + 1, 32))
    await put(join(images, 'c1', `${i}.png`), await speckledPng([30, 30, 200], i + 11, 32))
  }
  dataset = await loadImageFolder(images, { resolution: 32, seed: 5 })
})
afterAll(() => {
  model?.dispose()
  rmSync(work, { recursive: true, force: true })
})

function metrics(dir: string): unknown[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
}

/** A checkpoint folder's model tensors, its optimiser group (latents, Adam moments) and its BSA state. */
async function checkpointOf(dir: string) {
  const { model: m, optimiser } = await loadCheckpoint(dir)
  const G = m.tensors().G
  const state = m.manifest!.state
  m.dispose()
  return { G, optimiser, state }
}

describe('resuming a BSA run', () => {
  it('resumes a cancelled run to the same adapted weights, latents and optimiser state as an uninterrupted run', async () => {
    const a = join(work, 'A')
    expect(await bsaRunFolder(a, model, dataset, [0, 1], settings(), parent)).toMatchObject({ status: 'completed', step: 5 })

    // B: cancelled while step 3 reports its progress: the step finishes and a checkpoint is written at 3
    const b = join(work, 'B')
    const stop = new AbortController()
    const before = tf.memory().numTensors
    const cancelled = await bsaRunFolder(b, model, dataset, [0, 1], settings(), parent, {
      signal: stop.signal, onProgress: (p) => p.step === 3 && stop.abort(),
    })
    expect(cancelled).toMatchObject({ status: 'cancelled', step: 3 })
    expect(tf.memory().numTensors).toBe(before)
    expect(JSON.parse(readFileSync(join(b, 'run.json'), 'utf8'))).toMatchObject({ method: 'bsa', status: 'cancelled', step: 3, bestStep: 3 })
    expect(readdirSync(join(b, 'checkpoints')).filter((n) => n.startsWith('step-')).sort()).toEqual(['step-000002', 'step-000003'])
    const latest = await loadModel(join(b, 'latest')) // the native model folder other commands open
    expect(latest.manifest!.state).toMatchObject({ kind: 'bsa', step: 3 })
    latest.dispose()

    const resumedAt: number[] = []
    const resumed = await resumeBsaRun(await openBsaRun(b), dataset, {}, { onResume: (step, steps) => resumedAt.push(step, steps) })
    expect(resumed).toMatchObject({ status: 'completed', step: 5 })
    expect(resumedAt).toEqual([3, 5])
    expect(tf.memory().numTensors).toBe(before)

    const ca = await checkpointOf(join(a, 'checkpoints', 'step-000005'))
    const cb = await checkpointOf(join(b, 'checkpoints', 'step-000005'))
    expect(differing(ca.G, cb.G)).toEqual([])
    expect(ca.optimiser.has('latents')).toBe(true)
    expect([...ca.optimiser.keys()].some((k) => k.startsWith('adam.projections.'))).toBe(true)
    expect(differing(ca.optimiser, cb.optimiser)).toEqual([])
    expect(cb.state).toEqual(ca.state)
    expect(metrics(b)).toEqual(metrics(a))
    expect(differing((await checkpointOf(join(a, 'latest'))).G, (await checkpointOf(join(b, 'best'))).G)).toEqual([])
    expect(JSON.parse(readFileSync(join(b, 'run.json'), 'utf8'))).toMatchObject({ status: 'completed', step: 5, bestStep: 5 })
  })

  it('resumes a run that failed after a checkpoint from that checkpoint, dropping the steps logged after it', async () => {
    const c = join(work, 'C')
    await expect(bsaRunFolder(c, model, dataset, [0, 1], settings(), parent, {
      onProgress: (p) => {
        if (p.step === 3) throw new Error('the machine went away')
      },
    })).rejects.toThrow(/went away/)
    expect(JSON.parse(readFileSync(join(c, 'run.json'), 'utf8'))).toMatchObject({ status: 'failed', step: 2 })
    expect(await resumeBsaRun(await openBsaRun(c), dataset)).toMatchObject({ status: 'completed', step: 5 })
    const a = await checkpointOf(join(work, 'A', 'latest'))
    const resumed = await checkpointOf(join(c, 'latest'))
    expect(differing(a.G, resumed.G)).toEqual([])
    expect(differing(a.optimiser, resumed.optimiser)).toEqual([])
    expect(metrics(c)).toEqual(metrics(join(work, 'A')))
  })

  it('trains further with a larger step total, and says when there is nothing left to adapt', async () => {
    const b = join(work, 'B')
    await expect(resumeBsaRun(await openBsaRun(b), dataset)).rejects.toThrow(/already adapted all 5 steps/)
    expect(await resumeBsaRun(await openBsaRun(b), dataset, { steps: 6 })).toMatchObject({ status: 'completed', step: 6 })
    expect(JSON.parse(readFileSync(join(b, 'run.json'), 'utf8'))).toMatchObject({ status: 'completed', step: 6, bsa: { steps: 6 } })
  })
})
