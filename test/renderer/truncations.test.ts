// The truncation list a view's form takes (leakage, generator metrics): values in the model's range, once each, and
// 'none' for no truncation.
import { describe, expect, it } from 'vitest'
import { parseTruncationList, truncationLabel } from '../../renderer/lib/truncations.ts'

describe('a typed truncation list', () => {
  it('reads the values, dropping repeats and refusing values outside the model range', () => {
    expect(parseTruncationList('1, 0.7 0.4;0.7', 'paper', { min: 0.04, max: 2 })).toEqual([1, 0.7, 0.4])
    expect(parseTruncationList('1.5', 'paper', { min: 0.02, max: 2 })).toEqual([1.5])
    expect(parseTruncationList('1.5', 'released', { min: 0.02, max: 1 })).toMatch(/'1.5' is not a truncation of this model: use 'none' or numbers from 0.02 to 1/)
    expect(parseTruncationList('x', 'paper', { min: 0.04, max: 2 })).toMatch(/'x'/)
    expect(parseTruncationList(' ', 'paper', { min: 0.04, max: 2 })).toMatch(/at least one/)
    expect(parseTruncationList(Array.from({ length: 13 }, (_, i) => 0.1 * (i + 1)).join(','), 'paper', { min: 0.02, max: 2 })).toMatch(/at most 12/)
  })

  it("offers 'none', no truncation, beside the values, once", () => {
    expect(parseTruncationList('2, none, 0.5, NONE', 'paper', { min: 0.04, max: 2 })).toEqual([2, null, 0.5])
    expect(parseTruncationList('none, 1 0.5;NONE', 'paper', { min: 0.02, max: 2 })).toEqual([null, 1, 0.5])
    expect(parseTruncationList('none', 'released', { min: 0.02, max: 1 })).toEqual([null])
    expect(parseTruncationList('nope', 'paper', { min: 0.04, max: 2 })).toMatch(/use 'none' or numbers/)
    expect(truncationLabel(null)).toBe('none')
    expect(truncationLabel(0.5)).toBe('0.5')
  })
})
