import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { defaultConfig, type ModelConfig } from '../../main/engine/config'
import { parseModelConfig } from '../../main/engine/configParser'
import { buildDiscriminator, buildGenerator } from '../../main/engine/networks'
import { CheckpointError } from '../../main/tensors/errors'

/** Whether the networks can be built from `config` (building declares parameters only: nothing is allocated). */
function builds(config: ModelConfig): boolean {
  try {
    buildGenerator(config)
    buildDiscriminator(config)
    return true
  } catch {
    return false
  }
}

function parses(config: unknown): { ok: true } | { ok: false; error: unknown } {
  try {
    parseModelConfig(config, 'model/config.json')
    return { ok: true }
  } catch (error) {
    return { ok: false, error }
  }
}

const resolutions = [8, 16, 32, 48, 64, 128, 256, 512, 1024, 2048]
const configs: fc.Arbitrary<ModelConfig> = fc.record({
  arch: fc.constantFrom('biggan' as const, 'biggan-deep' as const),
  resolution: fc.constantFrom(...resolutions),
  gChannels: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.constantFrom(16, 64, 96, 128)),
  dChannels: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 12 }), fc.constantFrom(16, 96)),
  zDim: fc.constantFrom(1, 20, 60, 80, 100, 120, 128, 140),
  sharedDim: fc.constantFrom(1, 128),
  numClasses: fc.constantFrom(1, 10, 1000),
  hierarchical: fc.boolean(),
  gAttention: fc.subarray([4, 8, 16, 32, 64, 128, 256, 1024], { maxLength: 2 }),
  dAttention: fc.subarray([4, 8, 16, 32, 64, 128, 256, 1024], { maxLength: 2 }),
  bnEps: fc.constant(1e-5),
  snEps: fc.constant(1e-6),
  nStats: fc.constantFrom(1, 51),
  toRgbChannels: fc.constantFrom(3, 4, 128),
  spectralNormInference: fc.constantFrom('stored' as const, 'power-step' as const),
  statsMode: fc.constantFrom('hf' as const, 'lerp' as const),
})

describe('the model config parser', () => {
  it('accepts exactly the configs the networks can be built from', () => {
    let accepted = 0
    fc.assert(
      fc.property(configs, (config) => {
        const parsed = parses(config)
        expect(parsed.ok, `${JSON.stringify(config)}: ${parsed.ok ? 'accepted' : String(parsed.error)}`).toBe(builds(config))
        if (parsed.ok) accepted++
      }),
      { seed: 1024, numRuns: 3000 },
    )
    expect(accepted).toBeGreaterThan(100) // the property saw both answers
  })

  it('names the file and the field, and says what to do, where the networks cannot be built', () => {
    const refusals: Array<[Partial<ModelConfig>, RegExp]> = [
      [{ resolution: 1024 }, /config field 'resolution': .*1024×1024.*known resolutions: 32, 64, 128, 256, 512/],
      [{ gAttention: [48] }, /config field 'gAttention': .*48×48/],
      [{ dAttention: [4], dChannels: 16 }, /config field 'dAttention'/],
      [{ arch: 'biggan-deep', resolution: 512, hierarchical: false, zDim: 128 }, /config field 'dChannels': .*generator-only model has dChannels 0/],
      [{ gChannels: 3, gAttention: [16] }, /config field 'gAttention': .*divisible by 8.*change gChannels/],
      [{ zDim: 81 }, /config field 'zDim': .*multiple of 4/],
      [{ toRgbChannels: 4 }, /config field 'toRgbChannels'/],
      [{ arch: 'biggan-deep', hierarchical: true, zDim: 128 }, /config field 'hierarchical'/],
      [{ arch: 'biggan-deep', resolution: 512, hierarchical: false, zDim: 128, gChannels: 6, dChannels: 0, gAttention: [] }, /config field 'gChannels': .*6 wide.*divisible by 4/],
    ]
    for (const [change, message] of refusals) {
      const parsed = parses({ ...defaultConfig('biggan', 32, 16, 3, 16), ...change })
      expect(parsed.ok, JSON.stringify(change)).toBe(false)
      const err = (parsed as { error: unknown }).error
      expect(err).toBeInstanceOf(CheckpointError)
      expect((err as Error).message).toMatch(/^model\/config\.json: /)
      expect((err as Error).message).toMatch(message)
      expect((err as Error).message).toMatch(/Fix config\.json or re-import/)
    }
  })
})

describe("the configs 'biggan init' makes", () => {
  it('build for every resolution and both architectures with the default attention, D placing it only where it can', () => {
    for (const arch of ['biggan', 'biggan-deep'] as const) {
      for (const resolution of [32, 64, 128, 256, 512]) {
        const config = defaultConfig(arch, resolution, 8, 3)
        expect(() => buildGenerator(config), `${arch}-${resolution} G`).not.toThrow()
        expect(() => buildDiscriminator(config), `${arch}-${resolution} D`).not.toThrow()
        expect(config.dAttention.every((r) => r < resolution)).toBe(true)
      }
    }
  })
})
