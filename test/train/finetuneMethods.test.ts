// `biggan finetune` picks its method from the model and the folder (or --method): a new class row for a class the
// model lacks, a fresh D warmed up against a frozen G for a generator-only model, and BSA without any D. Tiny models
// and folders of flat-colour PNGs made with sharp; one or two steps each.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { biggan } from '../cli/inProcess'
import { initBackend } from '../../main/backend/backend'
import { BigGANModel } from '../../main/engine/model'
import { trainableRoles } from '../../main/engine/module'
import { bsaTrainableNames } from '../../main/engine/finetune/batchStatisticsAdaptation'
import { put } from '../data/images'
import { convergeSpectralNorm } from '../finetune/helpers'
import { differing, speckledPng, tinyConfig } from './helpers'
import { loadCheckpoint, loadModel, saveModel } from '../../main/disk/modelFolder'

let work: string
let withD: string
let gOnly: string
let small: string

/** G's trainable parameters (not spectral-norm vectors or BatchNorm statistics, which every forward moves). */
function gWeights(model: BigGANModel): Map<string, ReturnType<BigGANModel['tensors']>['G'] extends Map<string, infer T> ? T : never> {
  const names = new Set(model.G.specs().filter((s) => trainableRoles.has(s.role)).map((s) => s.name))
  return new Map([...model.tensors().G].filter(([name]) => names.has(name)))
}

/** A fresh model with converged spectral norms (a fresh one's random u, v make its images blow up). */
function converged(config: ReturnType<typeof tinyConfig>): BigGANModel {
  const fresh = BigGANModel.initialise(config, 1)
  const t = fresh.tensors()
  fresh.dispose()
  convergeSpectralNorm(t.G)
  if (t.D) convergeSpectralNorm(t.D)
  return BigGANModel.fromTensors(config, { G: t.G, ...(t.D ? { D: t.D } : {}) })
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
  work = mkdtempSync(join(tmpdir(), 'biggan-finetune-methods-'))
  withD = join(work, 'with-d')
  gOnly = join(work, 'g-only')
  await saveModel(converged(tinyConfig(2)), withD, { source: 'test' }) // classes c0, c1
  await saveModel(converged({ ...tinyConfig(2), dChannels: 0 }), gOnly, { source: 'test' })
  small = join(work, 'small')
  for (let i = 0; i < 5; i++) {
    await put(join(small, 'c0', `${i}.png`), await speckledPng([200, 30, 30], i + 1, 32))
    await put(join(small, 'c1', `${i}.png`), await speckledPng([30, 30, 200], i + 11, 32))
  }
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('biggan finetune methods', () => {
  it('adds a class row for a folder class the model lacks and fine-tunes the enlarged model', async () => {
    const data = join(work, 'tulips')
    for (let i = 0; i < 60; i++) {
      await put(join(data, 'c1', `${i}.png`), await speckledPng([30, 30, 200], i + 100, 32))
      await put(join(data, 'tulip', `${i}.png`), await speckledPng([230, 200, 40], i + 200, 32))
    }
    const run = join(work, 'ft-new')
    const r = await biggan('finetune', '--model', withD, '--data', data, '--steps', '1', '--out', run, '--batch', '4', '--preview-n', '2')
    expect(r.code, r.err).toBe(0)
    expect(r.err).toMatch(/'tulip' is not a class of this model/)
    expect(r.err).toMatch(/new class 2 'tulip', started from class \d/)
    const info = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'))
    expect(info).toMatchObject({ kind: 'finetune', method: 'new-class', status: 'completed', data: { classes: ['c1', 'tulip'], classMap: [1, 2] } })
    expect(info.settings.classStepScale).toEqual({ classes: [2], factor: 10 }) // kept for a resume
    expect(r.err).toMatch(/new class row 2 steps? 10× faster/)
    const latest = await loadModel(join(run, 'latest'))
    try {
      expect(latest.config.numClasses).toBe(3)
      expect(latest.config.classNames).toEqual(['c0', 'c1', 'tulip'])
    } finally {
      latest.dispose()
    }
  })

  it('--method fresh-d gives a generator-only model a D, warms it up against the frozen G, then trains both', async () => {
    const run = join(work, 'ft-fresh')
    const r = await biggan(
      'finetune', '--model', gOnly, '--data', small, '--steps', '1', '--warmup', '2', '--method', 'fresh-d', '--out', run,
      '--batch', '4', '--preview-n', '2', '--checkpoint-every', '1', '--keep', '5',
    )
    expect(r.code, r.err).toBe(0)
    expect(r.err).toMatch(/D warms up for 2 steps against the frozen G/)
    const info = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'))
    expect(info).toMatchObject({ method: 'fresh-d', status: 'completed', step: 3, settings: { steps: 3, warmupSteps: 2, freezeD: 0 } })
    const original = await loadModel(gOnly)
    const warmed = await loadCheckpoint(join(run, 'checkpoints', 'step-000002'))
    const joint = await loadCheckpoint(join(run, 'checkpoints', 'step-000003'))
    try {
      expect(warmed.model.D).toBeDefined()
      expect(differing(gWeights(original), gWeights(warmed.model))).toEqual([])
      expect(differing(gWeights(warmed.model), gWeights(joint.model)).length).toBeGreaterThan(0)
    } finally {
      original.dispose()
      warmed.model.dispose()
      joint.model.dispose()
    }
  })

  it('--method bsa adapts only G\'s BatchNorm projections and writes latest/ and best/, and its losses per step', async () => {
    const run = join(work, 'ft-bsa')
    const r = await biggan('finetune', '--model', withD, '--data', small, '--steps', '2', '--method', 'bsa', '--out', run, '--batch', '4')
    expect(r.code, r.err).toBe(0)
    expect(r.err).toMatch(/2\/2\s+loss \d/)
    const info = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'))
    expect(info).toMatchObject({ kind: 'finetune', method: 'bsa', status: 'completed', step: 2 })
    const lines = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    expect(lines.map((l) => l.step)).toEqual([1, 2])
    for (const l of lines) {
      expect(Object.keys(l.reconstruction).sort()).toEqual(['l1', 'latentPrior', 'multiScaleL1', 'total'])
      expect(Number.isFinite(l.reconstruction.total)).toBe(true)
    }
    const original = await loadModel(withD)
    const adapted = await loadModel(join(run, 'latest'))
    try {
      const changed = differing(original.tensors().G, adapted.tensors().G)
      expect(changed.length).toBeGreaterThan(0)
      const allowed = new Set(bsaTrainableNames(original.G))
      expect(changed.filter((n) => !allowed.has(n))).toEqual([])
    } finally {
      original.dispose()
      adapted.dispose()
    }
  })

  it('--resume continues a bsa run from its newest checkpoint, and trains further with more --steps', async () => {
    const run = join(work, 'ft-bsa')
    const kept = await biggan('finetune', '--resume', '--out', run, '--batch', '2')
    expect(kept.code).toBe(2)
    expect(kept.err).toMatch(/keeps the settings it started with; drop --batch/)
    const r = await biggan('finetune', '--resume', '--out', run, '--steps', '3')
    expect(r.code, r.err).toBe(0)
    expect(r.err).toMatch(/resuming .* at step 2 of 3/)
    expect(r.out).toMatch(/adapted 3\/3 steps \(bsa, completed\)/)
    const info = JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'))
    expect(info).toMatchObject({ method: 'bsa', status: 'completed', step: 3, bsa: { steps: 3 } })
    const steps = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step)
    expect(steps).toEqual([1, 2, 3])
    const latest = await loadModel(join(run, 'latest'))
    expect(latest.manifest!.state).toMatchObject({ kind: 'bsa', step: 3 })
    latest.dispose()
  })

  it('chooses BSA for a folder of under 100 images, and says why', async () => {
    const r = await biggan('finetune', '--model', gOnly, '--data', small, '--steps', '1', '--out', join(work, 'ft-auto'), '--batch', '2')
    expect(r.code, r.err).toBe(0)
    expect(r.err).toMatch(/too few for adversarial fine-tuning .* \(BSA\)/)
  })
})
