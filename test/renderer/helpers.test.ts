// Small renderer helpers: seeds, images out of a rendered batch, shortcuts, dropped files, tags, errors, points.
import { describe, expect, it } from 'vitest'
import { errorMessage, isQuiet } from '../../renderer/lib/errors.ts'
import { carriesFiles, firstPng, isPng, mimeOf } from '../../renderer/lib/files.ts'
import { formatCount, truncationLabel } from '../../renderer/lib/format.ts'
import { displaySize, imageAt, imagesOf } from '../../renderer/lib/images.ts'
import { Latest } from '../../renderer/lib/latest.ts'
import { clampTruncation, clonePoint, exportName, pointMismatch, pointName, samePoint } from '../../renderer/lib/points.ts'
import { mixSeed, parseSeed, Rng } from '../../renderer/lib/random.ts'
import { isTypingTarget, SHORTCUT_HELP, shortcutFor, type KeyLike } from '../../renderer/lib/shortcuts.ts'
import { parseTags, tagsNote, TAGS_TEXT_MAX } from '../../renderer/lib/tags.ts'
import { viewAt, viewKey, VIEWS } from '../../renderer/lib/views.ts'
import { clampInt, clampNumber, fitInt, fitNumber, textLimitNote } from '../../renderer/lib/numbers.ts'
import { StudioError } from '../../preload/contract/index.ts'

describe('seeds', () => {
  it('parses whole numbers in [0, 2³²−1] only', () => {
    expect(parseSeed(' 42 ')).toBe(42)
    expect(parseSeed('4294967295')).toBe(4294967295)
    expect(parseSeed('4294967296')).toBeNull()
    expect(parseSeed('-1')).toBeNull()
    expect(parseSeed('1.5')).toBeNull()
    expect(parseSeed('')).toBeNull()
  })

  it('the seeded generator repeats itself and looks standard normal', () => {
    const a = new Rng(7).normals(4000)
    expect(Array.from(new Rng(7).normals(4000))).toEqual(Array.from(a))
    const mean = a.reduce((s, v) => s + v, 0) / a.length
    const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length
    expect(Math.abs(mean)).toBeLessThan(0.06)
    expect(variance).toBeGreaterThan(0.9)
    expect(variance).toBeLessThan(1.1)
  })

  it('mixes seeds into distinct 32-bit seeds', () => {
    const seen = new Set(Array.from({ length: 100 }, (_, i) => mixSeed(5, i)))
    expect(seen.size).toBe(100)
    for (const s of seen) expect(s >>> 0).toBe(s)
  })
})

describe('images out of a rendered batch', () => {
  const pixels = new Uint8Array(2 * 2 * 2 * 4).map((_, i) => i)
  const rendered = { width: 2, height: 2, count: 2, pixels }

  it('views image i without copying', () => {
    const second = imageAt(rendered, 1)
    expect(second.data.length).toBe(16)
    expect(second.data[0]).toBe(16)
    expect(second.data.buffer).toBe(pixels.buffer)
    expect(imagesOf(rendered)).toHaveLength(2)
  })

  it('respects a batch that starts inside a larger buffer', () => {
    const big = new Uint8Array(8 + 16).map((_, i) => i)
    const img = imageAt({ width: 2, height: 2, count: 1, pixels: big.subarray(8) }, 0)
    expect(img.data[0]).toBe(8)
  })

  it('refuses an index outside the batch or too few pixels', () => {
    expect(() => imageAt(rendered, 2)).toThrow(/not in a batch of 2/)
    expect(() => imageAt({ ...rendered, pixels: pixels.subarray(4) }, 0)).toThrow(/need 32/)
  })

  it('upscales small images by whole pixels only', () => {
    expect(displaySize(32, 448)).toEqual({ size: 448, pixelated: true })
    expect(displaySize(32, 100)).toEqual({ size: 96, pixelated: true })
    expect(displaySize(512, 448)).toEqual({ size: 448, pixelated: false })
  })
})

describe('keyboard shortcuts', () => {
  const key = (k: string, mods: Partial<KeyLike> = {}): KeyLike => ({
    key: k,
    ctrlKey: false,
    metaKey: false,
    shiftKey: false,
    altKey: false,
    ...mods,
  })

  it('maps the documented keys', () => {
    expect(shortcutFor(key('3'), false)).toEqual({ kind: 'view', index: 2 })
    expect(shortcutFor(key('z'), false)).toEqual({ kind: 'undo' })
    expect(shortcutFor(key('Z', { shiftKey: true }), false)).toEqual({ kind: 'redo' })
    expect(shortcutFor(key('z', { ctrlKey: true }), false)).toEqual({ kind: 'undo' })
    expect(shortcutFor(key('Z', { ctrlKey: true, shiftKey: true }), false)).toEqual({ kind: 'redo' })
    expect(shortcutFor(key('y', { metaKey: true }), false)).toEqual({ kind: 'redo' })
    expect(shortcutFor(key('r'), false)).toEqual({ kind: 'new-seed' })
    expect(shortcutFor(key('F'), false)).toEqual({ kind: 'favourite' })
    expect(shortcutFor(key('?', { shiftKey: true }), false)).toEqual({ kind: 'help' })
    expect(shortcutFor(key('ArrowLeft'), false)).toEqual({ kind: 'step', sign: -1 })
    expect(shortcutFor(key('ArrowDown'), false)).toEqual({ kind: 'select-direction', delta: 1 })
    expect(shortcutFor(key(' '), false)).toEqual({ kind: 'walk' })
  })

  it('leaves keys to text fields and to the browser (Ctrl+R, Alt+…) except Escape', () => {
    expect(shortcutFor(key('z'), true)).toBeNull()
    expect(shortcutFor(key('z', { ctrlKey: true }), true)).toBeNull()
    expect(shortcutFor(key('Escape'), true)).toEqual({ kind: 'close' })
    expect(shortcutFor(key('r', { ctrlKey: true }), false)).toBeNull()
    expect(shortcutFor(key('1', { altKey: true }), false)).toBeNull()
  })

  it('knows which elements keep their own keys', () => {
    expect(isTypingTarget({ tagName: 'INPUT', type: 'text' })).toBe(true)
    expect(isTypingTarget({ tagName: 'INPUT', type: 'range' })).toBe(true)
    expect(isTypingTarget({ tagName: 'INPUT', type: 'checkbox' })).toBe(false)
    expect(isTypingTarget({ tagName: 'TEXTAREA' })).toBe(true)
    expect(isTypingTarget({ tagName: 'DIV', isContentEditable: true })).toBe(true)
    expect(isTypingTarget({ tagName: 'BUTTON' })).toBe(false)
    expect(isTypingTarget(null)).toBe(false)
  })

  it('the help overlay lists only keys the handler knows', () => {
    const named: Record<string, string> = { Space: ' ', Esc: 'Escape', '←': 'ArrowLeft', '→': 'ArrowRight', '↑': 'ArrowUp', '↓': 'ArrowDown' }
    for (const { keys } of SHORTCUT_HELP) {
      for (const combo of keys) {
        if (combo.includes('–')) continue // a range of number keys, checked below
        const parts = combo.split('+')
        const last = parts[parts.length - 1]
        const k = key(named[last] ?? last, {
          ctrlKey: parts.includes('Ctrl'),
          shiftKey: parts.includes('Shift'),
        })
        expect(shortcutFor(k, false), combo).not.toBeNull()
      }
    }
    for (let i = 0; i < VIEWS.length; i++) expect(shortcutFor(key(viewKey(i)), false)).toEqual({ kind: 'view', index: i })
    expect(shortcutFor(key('0'), false)).toEqual({ kind: 'view', index: 9 })
  })

  it('has a number key for every view', () => {
    expect(VIEWS.length).toBeLessThanOrEqual(10)
    expect(VIEWS.map((_, i) => viewKey(i)).join('')).toBe('1234567890'.slice(0, VIEWS.length))
    expect(viewAt(0)).toBe('explore')
    expect(viewAt(VIEWS.length)).toBeNull()
  })
})

describe('dropped and downloaded files', () => {
  it('recognises PNG bytes by their signature', () => {
    expect(isPng(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))).toBe(true)
    expect(isPng(Uint8Array.from([0xff, 0xd8, 0xff]))).toBe(false)
  })

  it('picks the first PNG of a drop by type or name', () => {
    const files = [
      { name: 'notes.txt', type: 'text/plain' },
      { name: 'cat.PNG', type: '' },
      { name: 'dog.png', type: 'image/png' },
    ]
    expect(firstPng(files)?.name).toBe('cat.PNG')
    expect(firstPng([{ name: 'a.jpg', type: 'image/jpeg' }])).toBeNull()
    expect(firstPng(null)).toBeNull()
  })

  it('accepts drags that carry files only', () => {
    expect(carriesFiles(['text/plain', 'Files'])).toBe(true)
    expect(carriesFiles(['text/uri-list'])).toBe(false)
  })

  it('names the type of what it downloads', () => {
    expect(mimeOf('walk.gif')).toBe('image/gif')
    expect(mimeOf('frames.ZIP')).toBe('application/zip')
    expect(mimeOf('favourites.json')).toBe('application/json')
    expect(mimeOf('unknown')).toBe('application/octet-stream')
  })
})

describe('favourite tags', () => {
  it('splits on commas, trims, and drops empty and repeated tags', () => {
    expect(parseTags(' portrait, dog ,Dog,,  two   words ')).toEqual(['portrait', 'dog', 'two words'])
  })

  it('keeps at most 32 tags', () => {
    expect(parseTags(Array.from({ length: 40 }, (_, i) => `t${i}`).join(','))).toHaveLength(32)
  })

  it('says what the tags field will not keep: a tag cut to 200 characters, tags past 32, the field at its limit', () => {
    expect(tagsNote('portrait, dog')).toBeNull()
    expect(tagsNote(`ok, ${'x'.repeat(201)}`)).toBe('A tag is longer than 200 characters and will be cut to 200.')
    expect(tagsNote(Array.from({ length: 40 }, (_, i) => `t${i}`).join(','))).toBe('Only the first 32 tags are kept.')
    expect(tagsNote('y'.repeat(TAGS_TEXT_MAX))).toMatch(/at most 6464 characters/)
    // the field's limit keeps a pasted megabyte out: every tag at its longest still fits
    expect(TAGS_TEXT_MAX).toBeGreaterThanOrEqual(32 * 201)
    expect(TAGS_TEXT_MAX).toBeLessThan(10_000)
  })
})

describe('errors as the views show them', () => {
  it('keeps superseded and cancelled requests quiet', () => {
    expect(isQuiet(new StudioError('superseded', 'newer render'))).toBe(true)
    expect(isQuiet(new StudioError('cancelled', 'cancelled'))).toBe(true)
    expect(isQuiet(new StudioError('failed', 'out of memory'))).toBe(false)
    expect(isQuiet(new Error('plain'))).toBe(false)
    expect(errorMessage(new StudioError('failed', 'out of memory'))).toBe('out of memory')
  })

  it('delivers only the newest of overlapping requests', async () => {
    const latest = new Latest()
    let release: (v: string) => void = () => {}
    const slow = latest.run(() => new Promise<string>((r) => (release = r)))
    const fast = latest.run(async () => 'new')
    release('old')
    expect(await slow).toBeUndefined()
    expect(await fast).toEqual({ value: 'new' })
  })
})

describe('points', () => {
  const model = { zDim: 3, numClasses: 2, truncation: { default: 0.5, min: 0.04, max: 2, above: 0, atMost: 4 } }
  const p = { z: Float32Array.from([1, 2, 3]), y: Float32Array.from([0, 1]), truncation: 0.5, seed: 9 }

  it('copies a point so edits to the copy leave it alone', () => {
    const c = clonePoint(p)
    c.z[0] = 7
    expect(p.z[0]).toBe(1)
    expect(samePoint(p, clonePoint(p))).toBe(true)
    expect(samePoint(p, c)).toBe(false)
  })

  it('says why a point does not fit a model', () => {
    expect(pointMismatch(p, model)).toBeNull()
    expect(pointMismatch({ ...p, z: new Float32Array(4) }, model)).toMatch(/z has 4 values, this model's has 3/)
    expect(pointMismatch({ ...p, y: new Float32Array(5) }, model)).toMatch(/5 classes, this model has 2/)
  })

  it('clamps truncation to the model range and the contract', () => {
    expect(clampTruncation(0.001, model)).toBe(0.04)
    expect(clampTruncation(9, model)).toBe(2)
    expect(clampTruncation(9, { truncation: { default: 1, min: 0, max: 10, above: 0, atMost: 10 } })).toBe(4)
  })

  it('names a point by its classes and seed', () => {
    expect(pointName(p, ['Bag', 'Boot'])).toBe('Boot · seed 9')
    expect(pointName({ ...p, seed: undefined }, ['Bag', 'Boot'])).toBe('Boot · edited z')
  })

  it('names an export file by its two main classes and its seed', () => {
    expect(exportName(p, ['Bag', 'Boot'])).toBe('Boot seed 9')
    const mix = { ...p, y: Float32Array.from([0.3, 0.7]), seed: undefined }
    expect(exportName(mix, ['Bag', 'Boot'])).toBe('Boot and Bag edited')
  })
})

describe('numbers', () => {
  it('formats parameter counts', () => {
    expect(formatCount(950)).toBe('950')
    expect(formatCount(4_321)).toBe('4.3 k')
    expect(formatCount(1_234_567)).toBe('1.23 M')
    expect(formatCount(70_433_000)).toBe('70.4 M')
  })

  it('names truncation for the model semantics', () => {
    expect(truncationLabel('paper').name).toBe('Truncation threshold')
    expect(truncationLabel('released').name).toBe('Truncation ψ')
  })
})

describe('numbers typed into fields', () => {
  it('rounds and clamps, and falls back when the field is empty', () => {
    expect(clampInt(7.6, 1, 10, 4)).toBe(8)
    expect(clampInt(99, 1, 10, 4)).toBe(10)
    expect(clampInt(Number.NaN, 1, 10, 4)).toBe(4)
    expect(clampNumber(0.0001, 0.04, 2, 1)).toBe(0.04)
    expect(clampNumber(Number.NaN, 0.04, 2, 1)).toBe(1)
  })

  it('says when the value used is not the value typed, with the limit', () => {
    expect(fitInt(5, 1, 10, 4)).toEqual({ value: 5, note: null })
    expect(fitInt(0, 1, 600, 48)).toEqual({ value: 1, note: '0 is below the least, 1: using 1.' })
    expect(fitInt(1000, 2, 600, 48)).toEqual({ value: 600, note: '1000 is above the most, 600: using 600.' })
    expect(fitInt(2.5, 1, 10, 4).note).toBe('2.5 is not a whole number: using 3.')
    expect(fitInt(Number.NaN, 1, 60, 12).note).toBe('Not a number (a whole number from 1 to 60): using 12.')
    expect(fitNumber(-1, 0.02, 2, 1).note).toBe('−1 is below the least, 0.02: using 0.02.')
    expect(fitNumber(99, 0.02, 2, 1).note).toBe('99 is above the most, 2: using 2.')
    expect(fitInt(20_000_000, 1, 10_000_000, 1).note).toBe('20 000 000 is above the most, 10 000 000: using 10 000 000.')
    expect(textLimitNote(199, 200, 'name')).toBeNull()
    expect(textLimitNote(200, 200, 'name')).toMatch(/name takes at most 200 characters/)
  })
})
