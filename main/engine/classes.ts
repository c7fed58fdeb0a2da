// Class names: which names a model's classes carry, and finding a class by index or by (part of) its name.
// A 1000-class model without names of its own is an ImageNet model: its classes are ILSVRC-2012's, in the standard
// sorted-WNID order (0 = tench). imagenetClasses.json holds those names as tensorflow/tfjs-models publishes them
// (mobilenet imagenet_classes.ts, Apache-2.0, © 2019 Google LLC) and the WordNet synset ids (n01440764, …) in the
// same order, so a class is also found by its id. They are data of the code, imported with it: naming a class reads
// no file at run time.
import type { ModelConfig } from './config'
import imagenet from './imagenetClasses.json'

/** The 1000 ImageNet class names, index = class. */
export function imagenetClassNames(): string[] {
  return imagenet.names
}

/** The model's ImageNet synset ids (n01440764, …) where its classes are ImageNet's; undefined otherwise. */
export function classIds(config: ModelConfig): string[] | undefined {
  if (config.numClasses !== 1000) return undefined
  const { names, ids } = imagenet
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
