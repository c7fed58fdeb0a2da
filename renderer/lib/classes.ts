// Soft class vectors: a one-hot for a plain class, a normalised blend of weights otherwise (Ganbreeder's "genes").
// The generator embeds y linearly (BigGAN's shared embedding), so a blend of one-hots is a blend of class embeddings.

export interface ClassWeight {
  index: number
  weight: number
}

export function oneHot(numClasses: number, index: number): Float32Array {
  if (!Number.isInteger(index) || index < 0 || index >= numClasses) {
    throw new Error(`class ${index} does not exist: the model has classes 0 to ${numClasses - 1}`)
  }
  const y = new Float32Array(numClasses)
  y[index] = 1
  return y
}

/** A class vector from weights, normalised to sum to 1. Repeated classes add up; non-positive weights are dropped.
 *  Returns null when nothing is left (all weights zero): the caller keeps its previous vector. */
export function blendVector(numClasses: number, weights: ClassWeight[]): Float32Array | null {
  const y = new Float32Array(numClasses)
  let sum = 0
  for (const { index, weight } of weights) {
    if (!(weight > 0) || index < 0 || index >= numClasses) continue
    y[index] += weight
    sum += weight
  }
  if (sum === 0) return null
  for (let i = 0; i < numClasses; i++) y[i] /= sum
  return y
}

/** The k heaviest classes of y, heaviest first, leaving out weights below `floor`. */
export function topClasses(y: Float32Array, k: number, floor = 1e-4): ClassWeight[] {
  const out: ClassWeight[] = []
  for (let i = 0; i < y.length; i++) if (y[i] > floor) out.push({ index: i, weight: y[i] })
  out.sort((a, b) => b.weight - a.weight || a.index - b.index)
  return out.slice(0, k)
}

/** The index of a one-hot vector, or null for a blend. */
export function singleClass(y: Float32Array): number | null {
  const top = topClasses(y, 2)
  return top.length === 1 && Math.abs(top[0].weight - 1) < 1e-4 ? top[0].index : null
}

/** "Sneaker" for a one-hot, "Sneaker 60% · Sandal 40%" for a blend (at most `k` classes named). */
export function describeClasses(y: Float32Array, names: string[], k = 3): string {
  const top = topClasses(y, y.length)
  if (top.length === 0) return 'no class'
  const name = (i: number): string => names[i] ?? `class ${i}`
  if (top.length === 1) return name(top[0].index)
  const shown = top.slice(0, k).map((c) => `${name(c.index)} ${Math.round(c.weight * 100)}%`)
  return top.length > k ? `${shown.join(' · ')} · +${top.length - k}` : shown.join(' · ')
}
