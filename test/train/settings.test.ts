// Training settings: BigGAN's values scaled for small runs, and errors that name the setting and what it must be.
import { describe, expect, it } from 'vitest'
import { frozenDiscriminatorParameters, resolveTrainSettings } from '../../main/engine/train/settings'

const context = { trainImages: 300, dBlocks: 5 }

describe('training settings', () => {
  it('train from scratch: batch 16, 2 D steps, Adam 1e-4/4e-4 (0, 0.999, 1e-6), ortho 1e-4, EMA 0.999 from 10 %, ADA', () => {
    const s = resolveTrainSettings('train', { steps: 1000 }, context)
    expect(s).toMatchObject({
      batchSize: 16, accumulation: 1, dStepsPerGStep: 2, orthogonalRegularisation: 1e-4, freezeD: 0, mirror: true,
      adam: { G: { learningRate: 1e-4, beta1: 0, beta2: 0.999, epsilon: 1e-6 }, D: { learningRate: 4e-4 } },
      ema: { decay: 0.999, startStep: 100 },
      augment: { policies: ['color', 'translation', 'cutout'], adaptive: true, p: 0, target: 0.6, interval: 4 },
    })
  })

  it('finetune: a quarter of the rates, no ortho, EMA half-life 10k images (at most a tenth of the run) from the start, FreezeD 3', () => {
    const s = resolveTrainSettings('finetune', { steps: 20_000 }, { trainImages: 2000, dBlocks: 5 })
    expect(s).toMatchObject({ batchSize: 8, orthogonalRegularisation: 0, freezeD: 3, adam: { G: { learningRate: 2e-5 }, D: { learningRate: 8e-5 } } })
    expect(s.ema.decay).toBeCloseTo(0.5 ** (8 / 10_000), 12)
    // 1 000 steps of 8 images: a half-life of 800 images, so the averaged G is mostly the fine-tuned one
    expect(resolveTrainSettings('finetune', { steps: 1000 }, { trainImages: 2000, dBlocks: 5 }).ema.decay).toBeCloseTo(0.5 ** (8 / 800), 12)
    expect(s.ema.startStep).toBe(0)
    expect(s.augment.policies).toEqual(['translation', 'cutout'])
    // FreezeD never freezes the whole of a shallow D
    expect(resolveTrainSettings('finetune', { steps: 10 }, { trainImages: 10, dBlocks: 3 }).freezeD).toBe(2)
  })

  it('names the setting, the value and what it must be', () => {
    const bad = (o: object, message: RegExp): void =>
      expect(() => resolveTrainSettings('train', { steps: 10, ...o }, context)).toThrow(message)
    bad({ steps: 0 }, /setting steps must be a whole number in \[1, /)
    bad({ batchSize: 2.5 }, /setting batchSize must be a whole number/)
    bad({ lrD: -1 }, /setting adam\.D\.learningRate must be in \(0, 1\), got -1/)
    bad({ emaDecay: 1 }, /setting ema\.decay must be in \[0, 1\)/)
    bad({ augmentPolicies: ['colour'] }, /augment\.policies must be a list drawn from color, translation, cutout, got \["colour"\]/)
    bad({ augmentP: 2 }, /augment\.p must be in \[0, 1\], got 2/)
    bad({ freezeD: 5 }, /freezeD must be below the discriminator's 5 blocks/)
    bad({ logEvery: 4, spectraEvery: 10 }, /spectraEvery must be a multiple of logEvery \(4\), got 10/)
  })

  it("FreezeD freezes every D parameter declared before D.blocks.k (a deep D's stem too)", () => {
    const names = ['D.stem.weight', 'D.blocks.0.conv.weight', 'D.blocks.1.conv.weight', 'D.attention8.theta.weight', 'D.blocks.2.conv.weight', 'D.linear.weight']
    expect(frozenDiscriminatorParameters(names, 0)).toEqual([])
    expect(frozenDiscriminatorParameters(names, 2)).toEqual(['D.stem.weight', 'D.blocks.0.conv.weight', 'D.blocks.1.conv.weight', 'D.attention8.theta.weight'])
    expect(() => frozenDiscriminatorParameters(names, 3)).toThrow(/no block D.blocks.3/)
  })
})
