// Favourite tags as typed: "portrait, dog ,Dog" → ["portrait", "dog"].
import { LIMITS } from '../../preload/contract/index.ts'

export function parseTags(text: string): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  for (const raw of text.split(',')) {
    const tag = raw.trim().replace(/\s+/g, ' ').slice(0, LIMITS.name)
    const key = tag.toLowerCase()
    if (!tag || seen.has(key)) continue
    seen.add(key)
    out.push(tag)
    if (out.length === LIMITS.tags) break
  }
  return out
}

export function formatTags(tags: string[]): string {
  return tags.join(', ')
}
