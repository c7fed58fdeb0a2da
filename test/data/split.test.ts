import { describe, expect, it } from 'vitest'
import { chooseHeldOut, DEFAULT_HELD_OUT, heldOutCount, quotas } from '../../main/data/split'

function items(perClass: number[]): { relPath: string; classIndex: number }[] {
  return perClass.flatMap((n, c) => Array.from({ length: n }, (_, i) => ({ relPath: `c${c}/img${i}.png`, classIndex: c })))
}

describe('held-out split size', () => {
  it('holds out 10 %, at least 10 and at most 200, keeping two thirds for training', () => {
    const count = (n: number) => heldOutCount(n, DEFAULT_HELD_OUT).count
    expect([1, 2, 3, 5, 20, 29, 30, 100, 149, 150, 2000, 2004, 2005, 10_000].map(count)).toEqual([
      0, 0, 1, 1, 6, 9, 10, 10, 15, 15, 200, 200, 200, 200,
    ])
  })

  it('warns when the folder is too small for the minimum, and stays quiet otherwise', () => {
    expect(heldOutCount(30, DEFAULT_HELD_OUT).warning).toBeNull()
    expect(heldOutCount(1000, DEFAULT_HELD_OUT).warning).toBeNull()
    expect(heldOutCount(20, DEFAULT_HELD_OUT).warning).toMatch(/only 20 usable image\(s\): holding out 6 instead of 10.*noisy.*30 or more/)
    expect(heldOutCount(2, DEFAULT_HELD_OUT).warning).toMatch(/holding out 0 .*unavailable/)
  })

  it('can be switched off', () => {
    expect(heldOutCount(50, { fraction: 0, min: 0, max: 0 })).toEqual({ count: 0, warning: null })
  })
})

describe('held-out split choice', () => {
  it('is stratified per class by largest remainder', () => {
    expect(quotas([30, 10], 10)).toEqual([8, 2])
    expect(quotas([10, 10, 10], 10)).toEqual([4, 3, 3])
    expect(quotas([0, 40], 10)).toEqual([0, 10])
  })

  it('never takes the last training image of a class', () => {
    expect(quotas([1, 1, 1, 30], 11)).toEqual([0, 0, 0, 11])
    expect(quotas([2, 2], 1)).toEqual([1, 0])
  })

  it('is the same for the same seed and differs for another', () => {
    const all = items([30, 10])
    const a = chooseHeldOut(all, 2, 10, 7)
    expect(chooseHeldOut(all, 2, 10, 7)).toEqual(a)
    expect(chooseHeldOut(all, 2, 10, 8)).not.toEqual(a)
    const perClass = [0, 0]
    for (const i of a) perClass[all[i].classIndex]++
    expect(perClass).toEqual([8, 2])
  })

  it('keeps training images in training when files are added to the folder', () => {
    const before = items([40])
    const after = [...before, ...Array.from({ length: 20 }, (_, i) => ({ relPath: `c0/new${i}.png`, classIndex: 0 }))]
    const heldBefore = new Set([...chooseHeldOut(before, 1, 10, 3)].map((i) => before[i].relPath))
    const heldAfter = new Set([...chooseHeldOut(after, 1, 10, 3)].map((i) => after[i].relPath))
    // Every old image now held out was held out before: nothing a model trained on moved to the held-out side.
    for (const p of heldAfter) if (!p.includes('new')) expect(heldBefore.has(p)).toBe(true)
  })
})
