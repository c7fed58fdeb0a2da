// Soft class vectors: one-hots, normalised blends, and how a mix is described.
import { describe, expect, it } from 'vitest'
import { blendVector, describeClasses, oneHot, singleClass, topClasses } from '../../renderer/lib/classes.ts'

describe('class vectors', () => {
  it('a one-hot names one class and refuses classes the model lacks', () => {
    expect(Array.from(oneHot(4, 2))).toEqual([0, 0, 1, 0])
    expect(() => oneHot(4, 4)).toThrow(/classes 0 to 3/)
  })

  it('a blend is normalised to sum to 1, adding repeats and dropping non-positive weights', () => {
    const y = blendVector(5, [
      { index: 1, weight: 1 },
      { index: 3, weight: 0.5 },
      { index: 1, weight: 0.5 },
      { index: 4, weight: 0 },
      { index: 0, weight: -1 },
    ])!
    expect(Array.from(y)).toEqual([0, 0.75, 0, 0.25, 0])
  })

  it('a blend of nothing but zero weights is null (the caller keeps its vector)', () => {
    expect(blendVector(3, [{ index: 0, weight: 0 }])).toBeNull()
    expect(blendVector(3, [])).toBeNull()
  })

  it('lists the heaviest classes first and finds a plain class', () => {
    const y = Float32Array.from([0.1, 0.6, 0.3])
    expect(topClasses(y, 2)).toEqual([
      { index: 1, weight: expect.closeTo(0.6, 6) },
      { index: 2, weight: expect.closeTo(0.3, 6) },
    ])
    expect(singleClass(y)).toBeNull()
    expect(singleClass(oneHot(3, 2))).toBe(2)
  })

  it('describes a one-hot by name and a blend with percentages', () => {
    const names = ['T-shirt', 'Trouser', 'Sneaker', 'Bag']
    expect(describeClasses(oneHot(4, 2), names)).toBe('Sneaker')
    expect(describeClasses(Float32Array.from([0.6, 0, 0.4, 0]), names)).toBe('T-shirt 60% · Sneaker 40%')
    expect(describeClasses(Float32Array.from([0.4, 0.3, 0.2, 0.1]), names, 2)).toBe('T-shirt 40% · Trouser 30% · +2')
    expect(describeClasses(new Float32Array(4), names)).toBe('no class')
  })
})
