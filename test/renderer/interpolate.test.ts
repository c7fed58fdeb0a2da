// Interpolate's ends are named when they are chosen (classes and seed, or the favourite's name), keep that name when
// the current point moves on, survive a reload as JSON, and name the exported sequence.
import { describe, expect, it } from 'vitest'
import type { Point } from '../../preload/contract/index.ts'
import { endCaption, endFromJson, endToJson, favouriteEnd, pointEnd, sequenceName } from '../../renderer/lib/interpolate.ts'

const NAMES = ['T-shirt/top', 'Trouser', 'Pullover']

function point(cls: number, seed?: number): Point {
  const y = new Float32Array(3)
  y[cls] = 1
  return { z: Float32Array.from([0.25, -1.5, 3]), y, truncation: 0.7, ...(seed !== undefined ? { seed } : {}) }
}

describe("interpolate's ends", () => {
  it('names an end by its class and seed when it is chosen, and keeps the name when the point moves on', () => {
    const current = point(1, 42)
    const a = pointEnd(current, NAMES)
    current.seed = 7
    current.z[0] = 9
    expect(a.label).toBe('Trouser · seed 42')
    expect(a.point.z[0]).toBe(0.25)
    expect(endCaption(a)).toBe('Trouser · seed 42')
    expect(endCaption(a)).not.toContain('current point')
  })

  it("names a favourite's end by the favourite's name", () => {
    const f = favouriteEnd({ id: 3, name: 'my jumper', z: Float32Array.from([0, 1, 2]), y: Float32Array.from([0, 0, 1]), truncation: 1, seed: 5 })
    expect(f).toMatchObject({ label: 'my jumper', favouriteId: 3 })
    expect(endCaption(f)).toBe('favourite “my jumper”')
  })

  it('names the exported sequence after both ends', () => {
    const a = pointEnd(point(0, 42), NAMES)
    const b = favouriteEnd({ id: 3, name: 'my jumper', z: Float32Array.from([0, 1, 2]), y: Float32Array.from([0, 0, 1]), truncation: 1 })
    expect(sequenceName(a, b)).toBe('T-shirt/top seed 42 to my jumper')
    expect(sequenceName(a, pointEnd(point(1, 7), NAMES))).not.toContain('current point')
  })

  it('survives a reload as JSON, exactly, and reads anything else as no end', () => {
    const a = pointEnd(point(2, 9), NAMES)
    const back = endFromJson(JSON.parse(JSON.stringify(endToJson(a))))
    expect(back).toEqual(a)
    expect(back!.point.z).toBeInstanceOf(Float32Array)
    const f = favouriteEnd({ id: 3, name: 'x', z: Float32Array.from([0.1, 0.2, 0.3]), y: Float32Array.from([1, 0, 0]), truncation: 1 })
    expect(endFromJson(JSON.parse(JSON.stringify(endToJson(f))))).toEqual(f)
    const damaged: unknown[] = [null, 1, 'a', {}, { z: [], y: [1], truncation: 1, label: 'x' }, { z: [1], y: ['a'], truncation: 1, label: 'x' }]
    for (const bad of damaged) {
      expect(endFromJson(bad)).toBeNull()
    }
  })
})
