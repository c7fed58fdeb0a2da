// How far a fine-tune's target-class samples stay from the folder: the ratio of the samples' to the held-out images'
// median distance to their nearest folder image. Samples drawn like new folder images measure about 1 and raise no
// warning; samples of another colour measure far above it and do.
import { describe, expect, it } from 'vitest'
import { distanceSummary, distanceWarning, farRatio, targetDistance } from '../../main/engine/finetune/targetDistance'
import type { ImageSplit } from '../../main/engine/images'
import type { BigGANModel } from '../../main/engine/model'
import { Random } from '../../main/engine/sampling/random'
import { memorisationAt } from '../../main/engine/train/memorisation'

const R = 32
const size = R * R * 3

/** `count` images of a square of `rgb` (0–255) at a random place on black, with noise. */
function squares(count: number, rgb: [number, number, number], seed: number): Uint8Array {
  const rng = new Random(seed)
  const out = new Uint8Array(count * size)
  for (let i = 0; i < count; i++) {
    const ox = 6 + rng.int(4)
    const oy = 6 + rng.int(4)
    for (let y = oy; y < oy + 16; y++) {
      for (let x = ox; x < ox + 16; x++) {
        for (let c = 0; c < 3; c++) out[i * size + (y * R + x) * 3 + c] = Math.max(0, Math.min(255, rgb[c] + 20 * rng.normal()))
      }
    }
  }
  return out
}

function split(pixels: Uint8Array, count: number): ImageSplit {
  return { pixels, labels: new Int32Array(count), relPaths: Array.from({ length: count }, (_, i) => `${i}.png`), count, resolution: R }
}

const floats = (pixels: Uint8Array): Float32Array => Float32Array.from(pixels, (v) => v / 127.5 - 1)
const noD = {} as BigGANModel // the check measures in pixels without a D
const folder = { train: split(squares(40, [255, 140, 25], 1), 40), heldOut: split(squares(10, [255, 140, 25], 2), 10) }
const settings = { every: 1, references: 100, k: 1 }

describe('the distance of target-class samples to the folder', () => {
  it('calls samples drawn like the folder close, and warns of none', async () => {
    const check = await memorisationAt(5, noD, folder, floats(squares(12, [255, 140, 25], 3)), new Array(12).fill(0), settings)
    const d = targetDistance(check!)
    expect(d.space).toBe('pixels')
    expect(d.ratio).toBeLessThan(farRatio)
    expect(d.far).toBe(false)
    expect(distanceSummary(d)).toMatch(/close to the folder/)
  })

  it('calls grey samples of an orange folder far, with a warning that says so and what to do', async () => {
    const check = await memorisationAt(5, noD, folder, floats(squares(12, [150, 150, 150], 3)), new Array(12).fill(0), settings)
    const d = targetDistance(check!)
    expect(d.ratio).toBeGreaterThan(farRatio)
    expect(d.far).toBe(true)
    expect(distanceWarning(d)).toMatch(/^at step 5 the target class's samples are still far from the folder's images: .*× as far as a held-out image's \(in pixels.*train more steps/)
    expect(distanceSummary(d)).toMatch(/still far from the folder/)
  })

  it("measures in D's features where the check has them", () => {
    const summary = { copyFraction: 0, threshold: 1, medianSample: 6, medianHeldOut: 2 }
    const d = targetDistance({ step: 1, pixels: { ...summary, medianSample: 1 }, features: summary })
    expect(d).toEqual({ step: 1, space: 'features', ratio: 3, medianSample: 6, medianHeldOut: 2, far: true })
  })
})
