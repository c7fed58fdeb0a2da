// Favourite tags as typed: "portrait, dog ,Dog" → ["portrait", "dog"].
import { LIMITS } from '../../preload/contract/index.ts'

/** The most the tags field takes: every tag at its longest with its separator. A limit at the input, so a pasted
 *  megabyte never reaches the parser or the save. */
export const TAGS_TEXT_MAX = LIMITS.tags * (LIMITS.name + 2)

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

/** What parseTags will not keep of the typed text (tags cut to their length, tags past the count, the field at its
 *  limit), in words; null when it keeps everything. */
export function tagsNote(text: string): string | null {
  if (text.length >= TAGS_TEXT_MAX) return `The tags field takes at most ${TAGS_TEXT_MAX} characters; anything past them is not kept.`
  const typed = text.split(',').map((t) => t.trim()).filter((t) => t !== '')
  const long = typed.filter((t) => t.replace(/\s+/g, ' ').length > LIMITS.name).length
  const notes: string[] = []
  if (long > 0) notes.push(`${long === 1 ? 'a tag is' : `${long} tags are`} longer than ${LIMITS.name} characters and will be cut to ${LIMITS.name}`)
  if (new Set(typed.map((t) => t.toLowerCase())).size > LIMITS.tags) notes.push(`only the first ${LIMITS.tags} tags are kept`)
  return notes.length ? `${notes.join('; ').replace(/^./, (c) => c.toUpperCase())}.` : null
}
