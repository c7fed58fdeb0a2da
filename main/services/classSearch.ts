// classes:search: every word of the query must appear (case-insensitive) in a class's name or its synset id; a
// number finds that class index. An ambiguous query answers every match, best first: an exact name (or one of its
// comma-separated synonyms), then names with a synonym starting with the query, then the rest by index.
import type { ClassMatch } from '../../preload/contract/index.ts'

export function searchClasses(names: readonly string[], ids: readonly string[] | undefined, query: string, limit: number): ClassMatch[] {
  const q = query.trim().toLowerCase()
  const words = q.split(/\s+/).filter((w) => w !== '')
  const match = (i: number): ClassMatch => ({ index: i, name: names[i], ...(ids?.[i] ? { id: ids[i] } : {}) })
  const byIndex = /^\d+$/.test(q) && Number(q) < names.length ? [Number(q)] : []
  const rank = (i: number): number => {
    const synonyms = names[i].toLowerCase().split(/,\s*/).map((s) => s.trim())
    if (names[i].toLowerCase() === q || synonyms.includes(q)) return 0
    if (synonyms.some((s) => s.startsWith(q))) return 1
    return 2
  }
  const found: number[] = []
  for (let i = 0; i < names.length; i++) {
    if (byIndex[0] === i) continue
    const haystack = `${names[i]} ${ids?.[i] ?? ''}`.toLowerCase()
    if (words.every((w) => haystack.includes(w))) found.push(i)
  }
  const ranked = found.map((i) => ({ i, r: rank(i) })).sort((a, b) => a.r - b.r || a.i - b.i).map((x) => x.i)
  return [...byIndex, ...ranked].slice(0, limit).map(match)
}
