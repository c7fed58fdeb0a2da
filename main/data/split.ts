// Which images training never sees. The held-out images feed the memorisation signals (r_v, KID on held-out,
// nearest-neighbour copies), so they must be chosen before training and stay the same across runs and resumes.
//
// How many (N = usable images; defaults fraction 0.1, min 10, max 200):
//   wanted = clamp(round(fraction · N), min, max)
//   count  = min(wanted, floor(N / 3))
// so training always keeps at least two thirds of the folder. Below 3·min images (30 by default) the split is
// smaller than min and a warning says so; below 3 images nothing is held out.
//
// Which ones: stratified per class by largest remainder (each class gives floor(count·n_c/N), the rest go to
// the classes with the largest fractional share, ties to the lower class index, never taking a class's last
// training image). Within a class, images are ranked by sha256(seed, relPath): adding a file to the folder
// leaves the other images on the side of the split they were on, so a model trained before cannot have seen
// today's held-out images.

import { createHash } from 'node:crypto'

export interface HeldOutOptions {
  fraction: number
  min: number
  max: number
}

export const DEFAULT_HELD_OUT: HeldOutOptions = { fraction: 0.1, min: 10, max: 200 }

export function checkHeldOutOptions(o: HeldOutOptions): string | null {
  if (!(o.fraction >= 0 && o.fraction < 1)) return `heldOut.fraction must be in [0, 1), got ${o.fraction}`
  if (!Number.isInteger(o.min) || o.min < 0) return `heldOut.min must be a whole number ≥ 0, got ${o.min}`
  if (!Number.isInteger(o.max) || o.max < o.min) return `heldOut.max must be a whole number ≥ min (${o.min}), got ${o.max}`
  return null
}

export function heldOutCount(n: number, o: HeldOutOptions): { count: number; warning: string | null } {
  const wanted = Math.min(Math.max(Math.round(o.fraction * n), o.min), o.max)
  const count = Math.min(wanted, Math.floor(n / 3))
  if (count >= wanted) return { count, warning: null }
  const effect =
    count === 0
      ? '; the held-out signals (memorisation, KID on held-out images) are unavailable'
      : count < o.min
        ? '; the held-out signals (memorisation, KID on held-out images) will be noisy'
        : ''
  const advice = count < o.min ? `. Add images for a full held-out split (${3 * o.min} or more)` : ''
  return {
    count,
    warning:
      `only ${n} usable image(s): holding out ${count} instead of ${wanted} so that at least two thirds stay ` +
      `for training${effect}${advice}`,
  }
}

/** Indices into `items` of the held-out images. */
export function chooseHeldOut(
  items: readonly { relPath: string; classIndex: number }[],
  classCount: number,
  count: number,
  seed: number,
): Set<number> {
  const byClass: number[][] = Array.from({ length: classCount }, () => [])
  items.forEach((item, i) => byClass[item.classIndex].push(i))
  const quota = quotas(
    byClass.map((c) => c.length),
    count,
  )

  const chosen = new Set<number>()
  byClass.forEach((members, c) => {
    const ranked = members
      .map((i) => ({ i, key: createHash('sha256').update(`${seed}\0${items[i].relPath}`).digest('hex') }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    for (let k = 0; k < quota[c]; k++) chosen.add(ranked[k].i)
  })
  return chosen
}

/** Largest-remainder apportionment of `count` over classes of the given sizes, keeping one training image each. */
export function quotas(sizes: readonly number[], count: number): number[] {
  const total = sizes.reduce((a, b) => a + b, 0)
  if (total === 0 || count === 0) return sizes.map(() => 0)
  const exact = sizes.map((n) => (count * n) / total)
  const q = exact.map((x, c) => Math.min(Math.floor(x), Math.max(sizes[c] - 1, 0)))
  let left = count - q.reduce((a, b) => a + b, 0)
  const order = sizes
    .map((_, c) => c)
    .sort((a, b) => exact[b] - Math.floor(exact[b]) - (exact[a] - Math.floor(exact[a])) || a - b)
  while (left > 0) {
    let gave = false
    for (const c of order) {
      if (left === 0) break
      if (q[c] + 1 <= sizes[c] - 1) {
        q[c]++
        left--
        gave = true
      }
    }
    if (!gave) break
  }
  return q
}
