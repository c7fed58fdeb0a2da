// How a traced value is stored. The engine's layers think in TensorFlow's layouts (NHWC activations, HWIO kernels);
// onnxruntime's convolutions and pools want NCHW and OIHW. So each traced value has a logical shape, the one the
// layers see, and a permutation saying how its stored (physical) axes relate to it:
//   physical axis k holds logical axis perm[k]        (NHWC activation stored NCHW: perm [0, 3, 1, 2])
// Transposes the layers ask for only change perm; a Transpose node is written only where an op needs another
// storage, and a reshape is written on the stored value directly wherever the axes it merges or splits are stored
// side by side in order (the attention's [batch, h, w, C] → [batch, N, C] on an NCHW map, say).
// A free batch size is a logical −1.

export type Perm = readonly number[]

export const identity = (rank: number): number[] => [...Array(rank).keys()]

export const NCHW: Perm = [0, 3, 1, 2]
/** a HWIO kernel stored OIHW */
export const OIHW: Perm = [3, 2, 0, 1]

export function isIdentity(perm: Perm): boolean {
  return perm.every((p, i) => p === i)
}

export function samePerm(a: Perm, b: Perm): boolean {
  return a.length === b.length && a.every((p, i) => p === b[i])
}

/** The stored shape of a value with logical `shape` stored under `perm`. */
export function physical(shape: readonly number[], perm: Perm): number[] {
  return perm.map((axis) => shape[axis])
}

/** The Transpose perm that takes a value stored under `from` to storage under `to`. */
export function relative(from: Perm, to: Perm): number[] {
  return to.map((axis) => from.indexOf(axis))
}

/** Whether transposing a stored shape by `perm` only moves axes of size 1 (then a reshape does it). */
export function movesOnlyUnitAxes(stored: readonly number[], perm: Perm): boolean {
  const kept = perm.filter((p) => stored[p] !== 1)
  return kept.every((p, i) => i === 0 || p > kept[i - 1])
}

/** The perm of a logical transpose by `p` of a value stored under `perm`: no data moves. */
export function transposed(perm: Perm, p: Perm): number[] {
  return perm.map((axis) => p.indexOf(axis))
}

/** A free dimension stands for this in products, so that groups never mix it with known sizes. */
const FREE = 1_000_003

/**
 * Groups of consecutive logical axes of `from` and of `to` with equal products (a reshape merges or splits each
 * group on its own), or undefined where there are none (a reshape that needs the data reordered, or two free sizes).
 */
export function reshapeGroups(from: readonly number[], to: readonly number[]): { from: number[]; to: number[] }[] | undefined {
  const size = (d: number): number => (d < 0 ? FREE : d)
  const groups: { from: number[]; to: number[] }[] = []
  let i = 0
  let j = 0
  while (i < from.length || j < to.length) {
    const group = { from: [] as number[], to: [] as number[] }
    let a = 1
    let b = 1
    // take one non-unit axis from each side (or what remains), then grow the smaller product until they match
    if (i < from.length) a *= size(from[(group.from.push(i), i++)])
    if (j < to.length) b *= size(to[(group.to.push(j), j++)])
    while (a !== b) {
      if (a < b && i < from.length) a *= size(from[(group.from.push(i), i++)])
      else if (b < a && j < to.length) b *= size(to[(group.to.push(j), j++)])
      else return undefined
    }
    // axes of size 1 that follow join this group
    while (i < from.length && from[i] === 1 && !(j < to.length && to[j] === 1)) group.from.push(i++)
    while (j < to.length && to[j] === 1 && !(i < from.length && from[i] === 1)) group.to.push(j++)
    groups.push(group)
  }
  return groups
}

/**
 * The storage of `reshape(x, to)` written as a reshape of x's stored data, where x (logical `from`) is stored under
 * `perm`: each group's axes must sit side by side, in order, in storage. Returns the new perm, or undefined.
 */
export function reshapeInPlace(from: readonly number[], to: readonly number[], perm: Perm): number[] | undefined {
  const groups = reshapeGroups(from, to)
  if (!groups) return undefined
  const placed: { at: number; to: number[] }[] = []
  for (const group of groups) {
    if (group.from.length === 0) {
      placed.push({ at: -1, to: group.to }) // only new unit axes: anywhere; first
      continue
    }
    const positions = group.from.map((axis) => perm.indexOf(axis))
    if (positions.some((p, k) => k > 0 && p !== positions[k - 1] + 1)) return undefined
    placed.push({ at: positions[0], to: group.to })
  }
  placed.sort((a, b) => a.at - b.at)
  return placed.flatMap((p) => p.to)
}

/** The numpy broadcast of two logical shapes (−1 is a free size that broadcasts with 1 and itself). */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length)
  const out: number[] = []
  for (let k = 0; k < rank; k++) {
    const x = a[a.length - rank + k] ?? 1
    const y = b[b.length - rank + k] ?? 1
    if (x !== y && x !== 1 && y !== 1) throw new Error(`trace: shapes [${a}] and [${b}] do not broadcast`)
    out.push(x === 1 ? y : x)
  }
  return out
}
