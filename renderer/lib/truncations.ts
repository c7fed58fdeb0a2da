// The truncation lists a view's form takes (leakage, generator metrics): read from what the user typed, 'none'
// standing for no truncation, and named back the same way.
import type { Semantics } from '../../preload/contract/index.ts'

/** '1, 0.7, none' → [1, 0.7, null]: at most 12 distinct values in the model's range, null being no truncation
 *  (z ~ N(0, I); ψ = 1 for a 'released' model); an error message otherwise. */
export function parseTruncationList(text: string, semantics: Semantics, range: { min: number; max: number }): (number | null)[] | string {
  const words = text.split(/[\s,;]+/).filter((w) => w !== '')
  if (words.length === 0) return "type at least one truncation value ('none' for z untruncated)"
  const hi = Math.min(4, semantics === 'released' ? 1 : range.max)
  const lo = Math.max(0.001, range.min)
  const out: (number | null)[] = []
  for (const w of words) {
    const t = w.toLowerCase() === 'none' ? null : Number(w)
    if (t !== null && (!Number.isFinite(t) || t < lo || t > hi)) {
      return `'${w}' is not a truncation of this model: use 'none' or numbers from ${lo} to ${hi}`
    }
    if (!out.includes(t)) out.push(t)
  }
  if (out.length > 12) return 'at most 12 truncation values'
  return out
}

/** A truncation of such a list as the views name it. */
export function truncationLabel(t: number | null): string {
  return t === null ? 'none' : String(t)
}
