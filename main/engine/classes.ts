// Class names: which names a model's classes carry, and finding a class by index or by (part of) its name.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { ModelConfig } from './config'

let imagenet: { names: string[]; ids: string[] } | undefined

function imagenetClasses(): { names: string[]; ids: string[] } {
  if (!imagenet) {
    const path = fileURLToPath(new URL('../../resources/imagenet-classes.json', import.meta.url))
    imagenet = JSON.parse(readFileSync(path, 'utf8')) as { names: string[]; ids: string[] }
  }
  return imagenet
}

/** The 1000 ImageNet class names (resources/imagenet-classes.json), index = class. */
export function imagenetClassNames(): string[] {
  return imagenetClasses().names
}

/** The model's ImageNet synset ids (n01440764, …) where its classes are ImageNet's; undefined otherwise. */
export function classIds(config: ModelConfig): string[] | undefined {
  if (config.numClasses !== 1000) return undefined
  const { names, ids } = imagenetClasses()
  if (config.classNames && config.classNames.some((n, i) => n !== names[i])) return undefined
  return ids
}

/** The model's own names, else ImageNet's for a 1000-class model, else "class N". */
export function classNames(config: ModelConfig): string[] {
  if (config.classNames) return config.classNames
  if (config.numClasses === 1000) return imagenetClassNames()
  return Array.from({ length: config.numClasses }, (_, i) => `class ${i}`)
}

export class ClassLookupError extends Error {
  override readonly name = 'ClassLookupError'
}

/** A class index from "207", "golden retriever" or "retriever" (unique part of a name, case-insensitive).
 *  An ambiguous word lists every match, so the user can pick. */
export function findClass(config: ModelConfig, query: string): number {
  const q = query.trim()
  if (/^\d+$/.test(q)) {
    const i = Number(q)
    if (i >= config.numClasses) {
      throw new ClassLookupError(`class ${i} does not exist: this model has classes 0 to ${config.numClasses - 1}`)
    }
    return i
  }
  const names = classNames(config)
  const lower = q.toLowerCase()
  // an exact name (or an exact comma-separated synonym) wins over partial matches
  const exact = names.flatMap((n, i) => (n.toLowerCase().split(/,\s*/).includes(lower) || n.toLowerCase() === lower ? [i] : []))
  if (exact.length === 1) return exact[0]
  const partial = exact.length > 1 ? exact : names.flatMap((n, i) => (n.toLowerCase().includes(lower) ? [i] : []))
  if (partial.length === 1) return partial[0]
  if (partial.length === 0) throw new ClassLookupError(`no class name contains '${q}'; give an index (0–${config.numClasses - 1}) or another word`)
  const shown = partial.slice(0, 12).map((i) => `${i} (${names[i]})`)
  throw new ClassLookupError(
    `'${q}' matches ${partial.length} classes: ${shown.join('; ')}${partial.length > 12 ? '; …' : ''}. Give the index or a longer name`,
  )
}
