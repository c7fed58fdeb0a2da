// Previews and copying checks render in batches that shrink as the images grow, so a paper-size model's step-0
// preview fits the wasm heap (16 images of a BigGAN-deep-128 ch 128 in one forward did not).
import { describe, expect, it } from 'vitest'
import { boundedBatch } from '../../main/engine/model'

describe('bounded render batches', () => {
  it('take 16 images a forward at 32 px, 4 at 64, one at 128 and above; D features 64, 16 and 4', () => {
    expect([32, 64, 128, 256, 512].map((r) => boundedBatch(r, 16))).toEqual([16, 4, 1, 1, 1])
    expect([32, 64, 128, 256].map((r) => boundedBatch(r, 64))).toEqual([64, 16, 4, 1])
  })
})
