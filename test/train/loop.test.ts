// The training loop's behaviour on a tiny BigGAN: it learns (finite losses, both networks move), holds its tensor
// count per step, FreezeD keeps the frozen blocks, and gradient accumulation averages micro-batches correctly.
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import { exportParameters } from '../../main/engine/init'
import { forwardContext, trainableRoles } from '../../main/engine/module'
import { tf } from '../../main/engine/tf'
import { discriminatorHingeLoss, generatorHingeLoss } from '../../main/engine/train/hingeLoss'
import { train, type TrainProgress } from '../../main/engine/train/loop'
import { meanGradients, TrainingSession } from '../../main/engine/train/session'
import { discriminatorBlocks, resolveTrainSettings, type TrainOptions } from '../../main/engine/train/settings'
import { differing, memorySink, tinyData, tinyModel } from './helpers'

beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
})

function session(options: Partial<TrainOptions> = {}, mode: 'train' | 'finetune' = 'train'): TrainingSession {
  const model = tinyModel()
  const dBlocks = discriminatorBlocks(model.D!.specs().map((s) => s.name))
  const settings = resolveTrainSettings(mode, { steps: 4, batchSize: 4, logEvery: 2, spectraEvery: 2, previewCount: 4, ...options }, { trainImages: 12, dBlocks })
  return TrainingSession.create(model, tinyData(), settings)
}

describe('the training loop', () => {
  it('keeps losses finite, moves G, D and the EMA, and holds the tensor count from step to step', async () => {
    const s = session({ augmentP: 0.5, orthogonalRegularisation: 1e-4, emaStart: 2 })
    const before = s.model.tensors()
    const seen: (TrainProgress & { tensors: number })[] = []
    const sink = memorySink()
    const outcome = await train(s, sink, { onProgress: (p) => seen.push({ ...p, tensors: tf.memory().numTensors }) })
    expect(outcome).toMatchObject({ status: 'completed', step: 4 })
    expect(tf.memory().numTensors).toBe(seen[3].tensors) // the last step's record, spectra, gap and preview left nothing
    for (const p of seen) {
      for (const v of [p.dLoss, p.dLossReal, p.dLossFake, p.gLoss]) expect(Number.isFinite(v)).toBe(true)
    }
    // Adam's moments appear at step 1; after that a step leaves nothing behind
    expect(seen.map((p) => p.tensors).slice(1)).toEqual([seen[1].tensors, seen[1].tensors, seen[1].tensors])
    const after = s.model.tensors()
    const moved = (net: 'G' | 'D'): number => {
      const names = (net === 'G' ? s.model.G : s.model.D!).specs().filter((p) => trainableRoles.has(p.role)).map((p) => p.name)
      return differing(new Map(names.map((n) => [n, before[net]!.get(n)!])), new Map(names.map((n) => [n, after[net]!.get(n)!]))).length
    }
    expect(moved('G')).toBeGreaterThan(0)
    expect(moved('D')).toBeGreaterThan(0)
    expect(differing(after.ema!, after.G).length).toBeGreaterThan(0) // averaging from step 2 on
    expect(sink.lines.map((l) => l.step)).toEqual([2, 4])
    expect(sink.lines[1].spectra).toBeDefined()
    expect(typeof sink.lines[1].dGap).toBe('number')
    expect(sink.previews).toEqual([0, 4])
    expect(sink.checkpoints).toEqual([4])
    await s.dispose()
    s.model.dispose()
  })

  it('checks the preview samples for copying at each evaluation: nearest training images by path, copy shares in the log', async () => {
    const s = session({ previewEvery: 2 })
    const sink = memorySink()
    await train(s, sink)
    expect(sink.memorisations.map((m) => m.step)).toEqual([2, 4])
    const m = sink.memorisations[1]
    expect(m).toMatchObject({ references: 12, heldOut: 4 })
    expect(m.samples).toHaveLength(4)
    for (const sample of m.samples) {
      expect(sample.pixels).toHaveLength(3)
      expect(sample.features).toHaveLength(3)
      for (const n of sample.pixels) expect(n.relPath).toMatch(/^c[01]\/\d+\.png$/)
      const d = sample.pixels.map((n) => n.distance)
      expect(d).toEqual([...d].sort((a, b) => a - b))
    }
    const logged = sink.lines.find((l) => l.step === 4)!.copyFraction as { pixels: number; features: number }
    expect(logged.pixels).toBe(m.pixels.copyFraction)
    expect(logged.features).toBe(m.features!.copyFraction)
    await s.dispose()
    s.model.dispose()
  })

  it("steps a new class's embedding rows 10× as far as the optimiser says, and every other row exactly as far", async () => {
    const rows = (m: TrainingSession, name: string): Float32Array => m.model.params.get(name).dataSync() as Float32Array
    const names = ['G.sharedEmbedding.weight', 'D.embedding.weight']
    const plain = session({ steps: 1 })
    const scaled = session({ steps: 1, classStepScale: { classes: [1], factor: 10 } })
    const before = names.map((n) => rows(plain, n).slice())
    for (const s of [plain, scaled]) {
      await s.discriminatorStep()
      await s.generatorStep()
    }
    names.forEach((name, i) => {
      const width = plain.model.params.get(name).shape[1] as number
      const a = rows(plain, name)
      const b = rows(scaled, name)
      const delta = (x: Float32Array, j: number): number => x[j] - before[i][j]
      for (let j = 0; j < width; j++) expect(delta(b, j)).toBe(delta(a, j)) // class 0: untouched by the scale
      let moved = 0
      for (let j = width; j < 2 * width; j++) {
        expect(delta(b, j)).toBeCloseTo(10 * delta(a, j), 5)
        if (delta(a, j) !== 0) moved++
      }
      expect(moved).toBeGreaterThan(0)
    })
    for (const s of [plain, scaled]) {
      await s.dispose()
      s.model.dispose()
    }
  })

  it('previews the target classes at every checkpoint, whatever the preview interval', async () => {
    const s = session({ checkpointEvery: 3, previewEvery: 100 })
    const sink = memorySink()
    await train(s, sink)
    expect(sink.checkpoints).toEqual([3, 4])
    expect(sink.previews).toEqual([0, 3, 4])
    s.dispose()
    s.model.dispose()
  })

  it('stops early when the monitor sees collapse, keeping the best checkpoint from before it', async () => {
    const model = tinyModel()
    const dBlocks = discriminatorBlocks(model.D!.specs().map((p) => p.name))
    const settings = resolveTrainSettings('train', { steps: 4, batchSize: 4, logEvery: 1, checkpointEvery: 1, spectraEvery: 100, previewCount: 4, augmentP: 0.5 }, { trainImages: 12, dBlocks })
    // a hair trigger: r_t saturation at any level, over one record (r_t exists once ADA's first 4 D steps are in)
    const s = TrainingSession.create(model, tinyData(), settings, { rtSaturation: { window: 1, level: -1, minAugmentP: 0 } })
    const sink = memorySink()
    const outcome = await train(s, sink)
    expect(outcome).toMatchObject({ status: 'stopped', step: 2, bestStep: 1 })
    expect(outcome.reasons.join()).toMatch(/r_t saturated/)
    expect(sink.checkpoints).toEqual([1, 2])
    expect(sink.best).toEqual([1])
    expect(sink.lines.map((l) => l.action)).toEqual(['continue', 'stop'])
    await s.dispose()
    model.dispose()
  })

  it('FreezeD keeps every trainable parameter of the lowest k D blocks unchanged, and trains the rest', async () => {
    const s = session({ steps: 2, freezeD: 2, augmentP: 1 })
    const names = s.model.D!.specs().filter((p) => trainableRoles.has(p.role)).map((p) => p.name)
    const before = exportParameters(s.model.D!, s.model.params)
    await train(s, memorySink())
    const after = exportParameters(s.model.D!, s.model.params)
    const changed = new Set(differing(before, after))
    const frozen = names.filter((n) => /^D\.blocks\.[01]\./.test(n))
    expect(frozen.length).toBeGreaterThan(0)
    expect(frozen.filter((n) => changed.has(n))).toEqual([])
    expect(names.filter((n) => !/^D\.blocks\.[01]\./.test(n)).every((n) => changed.has(n))).toBe(true)
    await s.dispose()
    s.model.dispose()
  })

  it('FreezeD refuses to freeze every block', () => {
    expect(() => session({ freezeD: 4 })).toThrow(/freezeD must be below the discriminator's 4 blocks/)
  })

  it('accumulating 2 micro-batches of 2 gives the gradient of one batch of 4 (per-image losses)', async () => {
    // In training mode each forward also advances the spectral-norm vectors and G's BatchNorm uses its micro-batch's
    // statistics, so accumulation is not bitwise a bigger batch there. What is the same is what this checks: for
    // networks whose outputs are per image (eval mode), the averaged micro-batch gradients equal the batch gradient.
    const model = tinyModel()
    const { G, D, params } = model
    const ctx = forwardContext(params, 'eval')
    const z = tf.randomNormal([4, model.config.zDim], 0, 1, 'float32', 3) as tf.Tensor2D
    const y = tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2).toFloat() as tf.Tensor2D
    const x = tf.randomUniform([4, 32, 32, 3], -1, 1, 'float32', 4) as tf.Tensor4D
    const fake = G.apply(ctx, z, y)
    const dNames = D!.specs().filter((p) => trainableRoles.has(p.role)).map((p) => p.name)
    const gNames = G.specs().filter((p) => trainableRoles.has(p.role)).map((p) => p.name)
    const grads = (names: string[], loss: () => tf.Scalar): Map<string, tf.Tensor> => {
      const vars = names.map((n) => params.get(n))
      const { value, grads } = tf.variableGrads(loss, vars)
      value.dispose()
      return new Map(names.map((n, i) => [n, grads[vars[i].name]]))
    }
    const rows = (t: tf.Tensor, i: number, n: number): tf.Tensor => tf.slice(t, [i], [n])
    const dLoss = (i: number, n: number) => (): tf.Scalar =>
      discriminatorHingeLoss(D!.apply(ctx, rows(x, i, n) as tf.Tensor4D, rows(y, i, n) as tf.Tensor2D), D!.apply(ctx, rows(fake, i, n) as tf.Tensor4D, rows(y, i, n) as tf.Tensor2D))
    const gLoss = (i: number, n: number) => (): tf.Scalar =>
      generatorHingeLoss(D!.apply(ctx, G.apply(ctx, rows(z, i, n) as tf.Tensor2D, rows(y, i, n) as tf.Tensor2D), rows(y, i, n) as tf.Tensor2D))
    for (const [names, loss] of [[dNames, dLoss], [gNames, gLoss]] as const) {
      const whole = grads(names, loss(0, 4))
      const accumulated = await meanGradients(2, async (i) => grads(names, loss(2 * i, 2)))
      let worst = 0
      for (const n of names) {
        const scale = Math.max(1e-3, tf.tidy(() => tf.max(tf.abs(whole.get(n)!)).dataSync()[0]))
        worst = Math.max(worst, tf.tidy(() => tf.max(tf.abs(tf.sub(whole.get(n)!, accumulated.get(n)!))).dataSync()[0]) / scale)
      }
      expect(worst).toBeLessThan(1e-4)
      tf.dispose([...whole.values(), ...accumulated.values()])
    }
    tf.dispose([z, y, x, fake])
    model.dispose()
  })

  it('with accumulation, one optimiser step per accumulated group and k micro-batches of reals per D step', async () => {
    const s = session({ steps: 1, batchSize: 2, accumulation: 2 })
    await train(s, memorySink())
    const state = s.snapshot()
    expect(state.optimiserSteps).toEqual({ G: 1, D: 2 })
    expect(state.batches.position).toBe(2 * 2 * 2) // 2 D steps × 2 micro-batches × 2 images
    await s.dispose()
    s.model.dispose()
  })
})
