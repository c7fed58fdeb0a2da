// A discriminator for a generator-only model: the right parameters for the config, G and its EMA untouched,
// deterministic in the seed, a clear refusal where BigGAN-deep has no D, and the warm-up the loop runs first.
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import { defaultConfig } from '../../main/engine/config'
import {
  discriminatorWarmup, freshDiscriminatorProblem, withFreshDiscriminator,
} from '../../main/engine/finetune/freshDiscriminator'
import { BigGANModel } from '../../main/engine/model'
import { countParameters } from '../../main/engine/module'
import { buildDiscriminator } from '../../main/engine/networks'
import { Random } from '../../main/engine/sampling/random'
import { tf } from '../../main/engine/tf'
import { differingTensors, testModel } from './helpers'

beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
})

describe.each(['biggan', 'biggan-deep'] as const)('a fresh D for a generator-only %s model', (arch) => {
  it('has the parameters of the config’s D at G’s width, leaves G and the EMA as they were, and judges images', async () => {
    const model = testModel(arch, 3, 1, { ema: true, config: { dChannels: 0 } })
    expect(model.hasDiscriminator).toBe(false)
    const before = tf.memory().numTensors
    const withD = withFreshDiscriminator(model, { seed: 5 })
    expect(withD.config.dChannels).toBe(model.config.gChannels)
    const expected = buildDiscriminator({ ...model.config, dChannels: model.config.gChannels })!
    const t = withD.tensors()
    expect([...t.D!.keys()]).toEqual(expected.specs().map((s) => s.name))
    for (const spec of expected.specs()) expect(t.D!.get(spec.name)!.shape).toEqual(spec.shape)
    expect(withD.parameterCounts().D).toBe(countParameters(expected.specs()))
    const original = model.tensors()
    expect(differingTensors(t.G, original.G)).toEqual([])
    expect(differingTensors(t.ema!, original.ema!)).toEqual([])
    const r = model.config.resolution
    const logits = await withD.discriminate(new Random(2).normals(2 * r * r * 3).map(Math.tanh), new Float32Array([1, 0, 0, 0, 1, 0]))
    expect(logits.every(Number.isFinite)).toBe(true)
    // the seed decides the D; a width can be asked for
    const again = withFreshDiscriminator(model, { seed: 5 })
    expect(differingTensors(again.tensors().D!, t.D!)).toEqual([])
    const narrow = withFreshDiscriminator(model, { seed: 5, dChannels: 4 })
    expect(narrow.config.dChannels).toBe(4)
    expect(narrow.parameterCounts().D).toBeLessThan(withD.parameterCounts().D)
    for (const m of [withD, again, narrow]) m.dispose()
    expect(tf.memory().numTensors).toBe(before)
    model.dispose()
  })
})

describe('where no fresh D is possible', () => {
  it('refuses BigGAN-deep above 256 px, naming what to do instead', () => {
    const config = defaultConfig('biggan-deep', 512, 4, 2)
    expect(config.dChannels).toBe(0)
    expect(freshDiscriminatorProblem(config)).toMatch(/no discriminator above 256×256.*batch statistics adaptation/)
    expect(freshDiscriminatorProblem(defaultConfig('biggan-deep', 256, 4, 2))).toBeUndefined()
    expect(freshDiscriminatorProblem(defaultConfig('biggan', 512, 4, 2))).toBeUndefined()
    const model = BigGANModel.initialise(config, 1)
    expect(() => withFreshDiscriminator(model, { seed: 1 })).toThrow(/no discriminator above 256×256/)
    model.dispose()
  })

  it('refuses to replace a D the model already has', () => {
    const model = BigGANModel.initialise(defaultConfig('biggan', 32, 8, 2), 1)
    expect(() => withFreshDiscriminator(model, { seed: 1 })).toThrow(/already has a discriminator/)
    model.dispose()
  })
})

describe('the D warm-up against the frozen G', () => {
  it('is 10% of the run, between 100 and 2 000 steps, never longer than the run, and never trains G', () => {
    expect(discriminatorWarmup(10_000)).toEqual({ steps: 1000, trainG: false })
    expect(discriminatorWarmup(500).steps).toBe(100)
    expect(discriminatorWarmup(50_000).steps).toBe(2000)
    expect(discriminatorWarmup(30).steps).toBe(30)
    expect(discriminatorWarmup(10_000, 0)).toEqual({ steps: 0, trainG: false })
    expect(() => discriminatorWarmup(-1)).toThrow(/whole number/)
  })
})
