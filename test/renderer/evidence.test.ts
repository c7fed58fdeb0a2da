// Explore's evidence panel in words: what judge and what its bars mean, and the rank of the intended class even when
// it is not among the bars.
import { describe, expect, it } from 'vitest'
import { evidenceCaption, rankLine } from '../../renderer/lib/evidence.ts'

const judge = (name: string, scoreKind: 'probability' | 'evidence') => ({ name, hash: 'h', scoreKind, classes: [] })

describe("Explore's evidence panel", () => {
  it('names the judge and says what its bars measure', () => {
    expect(evidenceCaption(judge('discriminator', 'evidence')).title).toBe("Judged by the model's D")
    expect(evidenceCaption(judge('discriminator', 'evidence')).meaning).toMatch(/class evidence.*not an independent judge/)
    expect(evidenceCaption(judge('fashion-mnist-classifier', 'probability')).title).toBe('Judged by the bundled Fashion-MNIST classifier')
    expect(evidenceCaption(judge('tfjs:/models/mine', 'probability')).title).toBe('Judged by the classifier /models/mine')
    expect(evidenceCaption(judge('fashion-mnist-classifier', 'probability')).meaning).toMatch(/probability/)
  })

  it("says the intended class's rank among all the judge's classes, and nothing for a blend", () => {
    expect(rankLine({ class: 7, name: 'Sneaker', column: 7, rank: 7 }, 10)).toBe('Sneaker: rank 7 of 10')
    expect(rankLine({ class: 7, name: 'Sneaker', column: null, rank: null }, 5)).toBe("Sneaker: not among this judge's 5 classes")
    expect(rankLine(null, 10)).toBeNull()
  })
})
