import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import { Random } from '../../main/engine/sampling/random'
import { tf } from '../../main/engine/tf'
import {
  ADA_SPEED_TRANSFER,
  AdaptiveAugmentation,
  adaSettings,
  adaSpeedForRun,
} from '../../main/engine/train/adaptiveAugment'
import {
  AUGMENT_POLICIES,
  applyAugmentation,
  brightness,
  contrast,
  cutout,
  cutoutSize,
  cutoutSpan,
  diffAugment,
  drawAugmentation,
  saturation,
  translate,
  translationLimit,
} from '../../main/engine/train/augment'

beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
})

/** Images [batch, h, w, c] of uniform values in [−1, 1) from a seed. */
function images(seed: number, shape: [number, number, number, number]): tf.Tensor4D {
  const rng = new Random(seed)
  const n = shape.reduce((a, b) => a * b, 1)
  return tf.tensor4d(Float32Array.from({ length: n }, () => rng.uniform() * 2 - 1), shape)
}

function values(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array
}

/** Mean of each image's values, as JS numbers. */
function imageMeans(data: Float32Array, batch: number): number[] {
  const per = data.length / batch
  return Array.from({ length: batch }, (_, b) => data.subarray(b * per, (b + 1) * per).reduce((s, v) => s + v, 0) / per)
}

/** The authors' translation on one NHWC image: gather from a 1-pixel zero-padded image with clamped indices. */
function authorsTranslation(x: Float32Array, h: number, w: number, c: number, ty: number, tx: number): Float32Array {
  const out = new Float32Array(h * w * c)
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      const pi = Math.min(Math.max(i + ty + 1, 0), h + 1) // index into the padded image, 0 and h + 1 are zeros
      const pj = Math.min(Math.max(j + tx + 1, 0), w + 1)
      if (pi === 0 || pi === h + 1 || pj === 0 || pj === w + 1) continue
      for (let k = 0; k < c; k++) out[(i * w + j) * c + k] = x[((pi - 1) * w + (pj - 1)) * c + k]
    }
  }
  return out
}

/** The authors' cutout mask for one image: scatter zeros at centre − ⌊k/2⌋ + [0, k) clamped into the image. */
function authorsCutoutMask(h: number, w: number, cy: number, cx: number): Float32Array {
  const mask = new Float32Array(h * w).fill(1)
  const ky = cutoutSize(h)
  const kx = cutoutSize(w)
  for (let gi = 0; gi < ky; gi++) {
    for (let gj = 0; gj < kx; gj++) {
      const i = Math.min(Math.max(gi + cy - Math.floor(ky / 2), 0), h - 1)
      const j = Math.min(Math.max(gj + cx - Math.floor(kx / 2), 0), w - 1)
      mask[i * w + j] = 0
    }
  }
  return mask
}

describe('DiffAugment color', () => {
  it('brightness shifts each image by its own amount and keeps the shape', () => {
    const x = images(1, [3, 5, 4, 3])
    const amounts = [0.3, -0.45, 0.05]
    const y = brightness(x, amounts)
    expect(y.shape).toEqual([3, 5, 4, 3])
    const before = imageMeans(values(x), 3)
    const after = imageMeans(values(y), 3)
    for (let b = 0; b < 3; b++) expect(after[b] - before[b]).toBeCloseTo(amounts[b], 5)
    // a constant shift: every pixel moves by the same amount
    const diff = values(tf.sub(y, x))
    for (let i = 0; i < diff.length; i++) expect(diff[i]).toBeCloseTo(amounts[Math.floor(i / 60)], 5)
    tf.dispose([x, y])
  })

  it('saturation scales each pixel away from its channel mean and keeps that mean', () => {
    const x = images(2, [2, 3, 3, 3])
    const factors = [0, 1.7]
    const y = saturation(x, factors)
    const xs = values(x)
    const ys = values(y)
    for (let px = 0; px < 18; px++) {
      const b = Math.floor(px / 9)
      const mx = (xs[px * 3] + xs[px * 3 + 1] + xs[px * 3 + 2]) / 3
      const my = (ys[px * 3] + ys[px * 3 + 1] + ys[px * 3 + 2]) / 3
      expect(my).toBeCloseTo(mx, 5)
      for (let k = 0; k < 3; k++) expect(ys[px * 3 + k] - my).toBeCloseTo((xs[px * 3 + k] - mx) * factors[b], 5)
    }
    tf.dispose([x, y])
  })

  it('contrast scales each image away from its overall mean and keeps that mean', () => {
    const x = images(3, [2, 4, 4, 3])
    const factors = [0.5, 1.4]
    const y = contrast(x, factors)
    const xs = values(x)
    const ys = values(y)
    const mx = imageMeans(xs, 2)
    const my = imageMeans(ys, 2)
    for (let i = 0; i < xs.length; i++) {
      const b = Math.floor(i / 48)
      expect(my[b]).toBeCloseTo(mx[b], 5)
      expect(ys[i] - my[b]).toBeCloseTo((xs[i] - mx[b]) * factors[b], 5)
    }
    tf.dispose([x, y])
  })

  it("draws the authors' ranges and applies brightness, saturation, contrast in that order", () => {
    const draws = drawAugmentation(500, 8, 8, ['color'], 1, new Random(4))
    const color = draws[0]
    if (color.policy !== 'color') throw new Error('expected a color draw')
    const range = (v: number[]): [number, number] => [Math.min(...v), Math.max(...v)]
    const [b0, b1] = range(color.brightness)
    const [s0, s1] = range(color.saturation)
    const [c0, c1] = range(color.contrast)
    expect(b0).toBeGreaterThanOrEqual(-0.5)
    expect(b1).toBeLessThan(0.5)
    expect(b1 - b0).toBeGreaterThan(0.95)
    expect(s0).toBeGreaterThanOrEqual(0)
    expect(s1).toBeLessThan(2)
    expect(s1 - s0).toBeGreaterThan(1.9)
    expect(c0).toBeGreaterThanOrEqual(0.5)
    expect(c1).toBeLessThan(1.5)
    expect(c1 - c0).toBeGreaterThan(0.95)

    const x = images(5, [4, 6, 6, 3])
    const [draw] = drawAugmentation(4, 6, 6, ['color'], 1, new Random(6))
    if (draw.policy !== 'color') throw new Error('expected a color draw')
    const expected = contrast(saturation(brightness(x, draw.brightness), draw.saturation), draw.contrast)
    const y = diffAugment(x, ['color'], 1, new Random(6))
    expect(y.shape).toEqual(x.shape)
    expect(values(y)).toEqual(values(expected))
    tf.dispose([x, y, expected])
  })
})

describe('DiffAugment translation', () => {
  it("shifts by at most the authors' int(size/8 + 0.5), every value in range drawn", () => {
    expect([translationLimit(128), translationLimit(32), translationLimit(4), translationLimit(12), translationLimit(2)]).toEqual([16, 4, 1, 2, 0])
    const [draw] = drawAugmentation(400, 32, 16, ['translation'], 1, new Random(7))
    if (draw.policy !== 'translation') throw new Error('expected a translation draw')
    expect(new Set(draw.dy)).toEqual(new Set([-4, -3, -2, -1, 0, 1, 2, 3, 4]))
    expect(new Set(draw.dx)).toEqual(new Set([-2, -1, 0, 1, 2]))
  })

  it('moves a one-hot pixel by the drawn shift and fills with zeros', () => {
    const h = 8
    const w = 8
    const x = tf.tidy(() => tf.reshape(tf.oneHot([3 * w + 5], h * w), [1, h, w, 1]) as tf.Tensor4D)
    const y = translate(x, [2], [-1]) // out[i, j] = x[i + 2, j − 1]: the pixel lands at row 1, column 6
    const ys = values(y)
    expect(ys[1 * w + 6]).toBe(1)
    expect(ys.reduce((s, v) => s + v, 0)).toBe(1)
    const gone = translate(x, [-5], [0]) // row 3 − (−5) = 8 is outside: nothing left
    expect(values(gone).every((v) => v === 0)).toBe(true)
    tf.dispose([x, y, gone])
  })

  it("matches the authors' padded gather for every shift, with zeros where the image left", () => {
    const [h, w, c] = [6, 5, 2]
    const shifts: [number, number][] = []
    for (let ty = -3; ty <= 3; ty++) for (let tx = -3; tx <= 3; tx++) shifts.push([ty, tx])
    const x = images(8, [shifts.length, h, w, c])
    const y = translate(
      x,
      shifts.map((s) => s[0]),
      shifts.map((s) => s[1]),
    )
    const xs = values(x)
    const ys = values(y)
    const per = h * w * c
    shifts.forEach(([ty, tx], b) => {
      const expected = authorsTranslation(xs.subarray(b * per, (b + 1) * per), h, w, c, ty, tx)
      expect(ys.subarray(b * per, (b + 1) * per)).toEqual(expected)
    })
    tf.dispose([x, y])
  })
})

describe('DiffAugment cutout', () => {
  it("uses a square of int(size/2 + 0.5), centred where the authors' code may put it", () => {
    expect([cutoutSize(128), cutoutSize(5), cutoutSize(6), cutoutSize(1)]).toEqual([64, 3, 3, 1])
    expect(cutoutSpan(0, 8)).toEqual([0, 2]) // k = 4: rows −2..1, clipped
    expect(cutoutSpan(8, 8)).toEqual([6, 8]) // an even square may hang over the far border as far
    expect(cutoutSpan(4, 8)).toEqual([2, 6])
    expect(cutoutSpan(0, 6)).toEqual([0, 2]) // k = 3: rows −1..1
    // even k: centres 0..size; odd k: centres 0..size − 1
    const even = drawAugmentation(300, 8, 6, ['cutout'], 1, new Random(9))[0]
    if (even.policy !== 'cutout') throw new Error('expected a cutout draw')
    expect(new Set(even.centreY)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6, 7, 8]))
    expect(new Set(even.centreX)).toEqual(new Set([0, 1, 2, 3, 4, 5]))
  })

  it('zeros exactly the drawn square, clipped at the borders, and leaves the rest untouched', () => {
    const [h, w, c] = [8, 7, 3]
    const centres: [number, number][] = [
      [0, 0],
      [8, 6],
      [4, 3],
      [1, 5],
      [7, 0],
    ]
    const x = images(10, [centres.length, h, w, c])
    const y = cutout(
      x,
      centres.map((p) => p[0]),
      centres.map((p) => p[1]),
    )
    const xs = values(x)
    const ys = values(y)
    centres.forEach(([cy, cx], b) => {
      const mask = authorsCutoutMask(h, w, cy, cx)
      const [y0, y1] = cutoutSpan(cy, h)
      const [x0, x1] = cutoutSpan(cx, w)
      for (let i = 0; i < h; i++) {
        for (let j = 0; j < w; j++) {
          const inside = i >= y0 && i < y1 && j >= x0 && j < x1
          expect(mask[i * w + j]).toBe(inside ? 0 : 1)
          for (let k = 0; k < c; k++) {
            const at = ((b * h + i) * w + j) * c + k
            expect(ys[at] + 0).toBe(inside ? 0 : xs[at]) // + 0: x·0 is −0 for negative x, as in the authors' x·mask
          }
        }
      }
    })
    tf.dispose([x, y])
  })
})

describe('DiffAugment with probability p', () => {
  const all = [...AUGMENT_POLICIES]

  it('is the identity at p = 0 and draws as many numbers as at p = 1', () => {
    const x = images(11, [4, 8, 8, 3])
    const rng0 = new Random(12)
    const rng1 = new Random(12)
    const y0 = diffAugment(x, all, 0, rng0)
    const y1 = diffAugment(x, all, 1, rng1)
    expect(values(y0)).toEqual(values(x))
    expect(values(y1)).not.toEqual(values(x))
    expect(rng0.state()).toEqual(rng1.state())
    tf.dispose([x, y0, y1])
  })

  it('leaves exactly the images whose gate stayed shut untouched by a policy', () => {
    const x = images(13, [16, 8, 8, 3])
    const draws = drawAugmentation(16, 8, 8, ['color'], 0.5, new Random(14))
    const applied = draws[0].applied
    expect(applied.some(Boolean)).toBe(true)
    expect(applied.every(Boolean)).toBe(false)
    const y = applyAugmentation(x, draws)
    const xs = values(x)
    const ys = values(y)
    const per = 8 * 8 * 3
    applied.forEach((on, b) => {
      const same = xs.subarray(b * per, (b + 1) * per).every((v, i) => v === ys[b * per + i])
      expect(same).toBe(!on)
    })
    tf.dispose([x, y])
  })

  it('gives the same output for the same seed and for a restored random state', () => {
    const x = images(15, [3, 16, 16, 3])
    const a = diffAugment(x, all, 0.7, new Random(16))
    const b = diffAugment(x, all, 0.7, new Random(16))
    expect(values(a)).toEqual(values(b))
    const rng = new Random(17)
    diffAugment(x, all, 1, rng).dispose()
    const saved = rng.state()
    const next = diffAugment(x, all, 1, rng)
    const replay = diffAugment(x, all, 1, Random.fromState(saved))
    expect(values(replay)).toEqual(values(next))
    tf.dispose([x, a, b, next, replay])
  })

  it('leaves no tensors behind once the result is disposed', () => {
    const x = images(18, [4, 8, 8, 3])
    diffAugment(x, all, 0.5, new Random(19)).dispose() // warm-up: the backend may cache on first use
    const before = tf.memory().numTensors
    diffAugment(x, all, 0.5, new Random(20)).dispose()
    diffAugment(x, all, 0, new Random(20)).dispose()
    diffAugment(x, all, 1, new Random(20)).dispose()
    expect(tf.memory().numTensors).toBe(before)
    expect(x.isDisposed).toBe(false)
    x.dispose()
  })

  it('rejects unknown policies and probabilities outside [0, 1]', () => {
    const x = images(21, [1, 4, 4, 3])
    expect(() => diffAugment(x, ['blur' as never], 1, new Random(1))).toThrow(/unknown augmentation policy 'blur'/)
    expect(() => diffAugment(x, all, 1.5, new Random(1))).toThrow(/\[0, 1\]/)
    x.dispose()
  })
})

describe('DiffAugment gradients', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    it(`pass to the input through color, translation and cutout on ${backend}`, async () => {
      await initBackend({ backend })
      try {
        const [n, h, w, c] = [3, 8, 8, 3]
        const x = images(22, [n, h, w, c])
        const weights = images(23, [n, h, w, c])
        const draws = drawAugmentation(n, h, w, [...AUGMENT_POLICIES], 1, new Random(24))
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(applyAugmentation(t as tf.Tensor4D, draws), weights)))(x)
        expect(g.shape).toEqual(x.shape)
        const gs = values(g)
        expect(gs.every(Number.isFinite)).toBe(true)
        expect(gs.some((v) => v !== 0)).toBe(true)

        // translation then cutout alone: ∂Σout/∂x is 1 exactly at the input pixels that land in the output
        // outside the square, 0 elsewhere
        const [translation, cut] = draws.slice(1)
        if (translation.policy !== 'translation' || cut.policy !== 'cutout') throw new Error('unexpected draw order')
        const gGeo = tf.grad((t: tf.Tensor) => tf.sum(applyAugmentation(t as tf.Tensor4D, [translation, cut])))(x)
        const gg = values(gGeo)
        for (let b = 0; b < n; b++) {
          const [y0, y1] = cutoutSpan(cut.centreY[b], h)
          const [x0, x1] = cutoutSpan(cut.centreX[b], w)
          for (let i = 0; i < h; i++) {
            for (let j = 0; j < w; j++) {
              const oi = i - translation.dy[b] // out[oi, oj] = x[i, j]
              const oj = j - translation.dx[b]
              const lands = oi >= 0 && oi < h && oj >= 0 && oj < w && !(oi >= y0 && oi < y1 && oj >= x0 && oj < x1)
              for (let k = 0; k < c; k++) expect(gg[((b * h + i) * w + j) * c + k]).toBe(lands ? 1 : 0)
            }
          }
        }
        tf.dispose([x, weights, g, gGeo])
      } finally {
        await initBackend({ backend: 'wasm' })
      }
    })
  }
})

describe('adaptive augmentation (ADA)', () => {
  const confident = new Float32Array(8).fill(2) // sign +1 on every real: r_t = 1
  const unsure = Float32Array.from([1, -1, 1, -1, 1, -1, 1, 1]) // r_t = 0.25

  it('raises p after each interval while D is sure of the reals (r_t > 0.6)', () => {
    const ada = new AdaptiveAugmentation()
    expect(ada.settings).toEqual(adaSettings)
    for (let i = 0; i < 3; i++) ada.observe(confident)
    expect(ada.p).toBe(0)
    expect(ada.rt).toBeNull()
    ada.observe(confident)
    expect(ada.rt).toBe(1)
    expect(ada.p).toBeCloseTo((8 * 4) / ADA_SPEED_TRANSFER, 12)
    for (let i = 0; i < 4; i++) ada.observe(confident)
    expect(ada.p).toBeCloseTo((2 * 8 * 4) / ADA_SPEED_TRANSFER, 12)
  })

  it('lowers p while r_t is below the target, and holds it exactly at the target', () => {
    const ada = new AdaptiveAugmentation({ speedImages: 1000 }, 0.5)
    for (let i = 0; i < 4; i++) ada.observe(unsure)
    expect(ada.rt).toBe(0.25)
    expect(ada.p).toBeCloseTo(0.5 - 32 / 1000, 12)
    const atTarget = Float32Array.from([1, 1, 1, 1, -1, 1, 1, 1, 1, -1]) // r_t = 6/10 = 0.6 exactly
    const held = new AdaptiveAugmentation({ target: 0.6, interval: 1, speedImages: 1000 }, 0.3)
    held.observe(atTarget)
    expect(held.rt).toBe(0.6)
    expect(held.p).toBe(0.3)
  })

  it('counts a zero logit as sign 0, as ADA does', () => {
    const ada = new AdaptiveAugmentation({ interval: 1 })
    ada.observe(Float32Array.from([0, 0, 1, 1]))
    expect(ada.rt).toBe(0.5)
  })

  it('keeps p within [0, 1]', () => {
    const up = new AdaptiveAugmentation({ interval: 1, speedImages: 10 }, 0.9)
    for (let i = 0; i < 5; i++) up.observe(confident)
    expect(up.p).toBe(1)
    const down = new AdaptiveAugmentation({ interval: 1, speedImages: 10 }, 0.1)
    for (let i = 0; i < 5; i++) down.observe(unsure)
    expect(down.p).toBe(0)
  })

  it('resumes exactly from a state saved mid-interval', () => {
    const ada = new AdaptiveAugmentation({ speedImages: 5000 }, 0.2)
    const stream = [confident, unsure, confident, confident, confident, unsure, confident]
    stream.slice(0, 6).forEach((l) => ada.observe(l))
    const saved = JSON.parse(JSON.stringify(ada.state()))
    const resumed = AdaptiveAugmentation.fromState(saved)
    expect(resumed.state()).toEqual(ada.state())
    for (const run of [ada, resumed]) {
      run.observe(stream[6])
      run.observe(confident)
    }
    expect(resumed.state()).toEqual(ada.state())
    expect(resumed.p).not.toBe(0.2)
  })

  it('refuses non-finite logits and bad settings', () => {
    expect(() => new AdaptiveAugmentation().observe(Float32Array.from([1, NaN]))).toThrow(/non-finite real logit/)
    expect(() => new AdaptiveAugmentation({ interval: 0 })).toThrow(/interval/)
    expect(() => new AdaptiveAugmentation({}, 1.2)).toThrow(/\[0, 1\]/)
  })

  it('scales the speed to a short run: a tenth of the run, at most ADA transfer speed', () => {
    expect(adaSpeedForRun(10_000 * 8, 8)).toBe(8000)
    expect(adaSpeedForRun(5_000_000, 16)).toBe(ADA_SPEED_TRANSFER)
    expect(adaSpeedForRun(1000, 8)).toBe(100 * 8 * 4) // each adjustment moves p by at most 1%
  })
})
