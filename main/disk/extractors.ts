// Opening a feature extractor by what the user typed: a name for the bundled Fashion-MNIST classifier or the model's
// own D, or a folder holding a studio classifier (config.json, classifierFolder.ts) or a TensorFlow.js model
// (model.json, tfjsModelFolder.ts); and the extractor to use when the user names none. The extractors, and what
// works on one in memory, are the engine's (engine/inspect/extractors.ts).
import { join, resolve } from 'node:path'
import {
  classifierExtractor, discriminatorExtractor, discriminatorExtractorName, fashionMnistExtractorName, matchClasses,
  type FeatureExtractor,
} from '../engine/inspect/extractors.ts'
import type { BigGANModel } from '../engine/model.ts'
import { loadClassifier, readClassifierManifest } from './classifierFolder.ts'
import { isFile } from './isFile.ts'
import { bundledClassifierDir } from './resources.ts'
import { tfjsExtractor } from './tfjsModelFolder.ts'

export interface OpenExtractorOptions {
  /** the model whose D the 'd' extractor uses */
  model?: BigGANModel
  /** where the bundled classifier lives (default: this checkout's resources/) */
  resourcesDir?: string
}

/**
 * An extractor by what the user typed: 'fashion-mnist' (or 'fashion-mnist-classifier') for the bundled classifier,
 * 'd' (or 'discriminator') for the model's D, or a folder: a studio classifier (config.json) or a TensorFlow.js model
 * (model.json).
 */
export async function openExtractor(spec: string, options: OpenExtractorOptions = {}): Promise<FeatureExtractor> {
  const s = spec.trim()
  if (s === 'fashion-mnist' || s === fashionMnistExtractorName) {
    const dir = bundledClassifierDir(options.resourcesDir)
    return classifierExtractor(await loadClassifier(dir), fashionMnistExtractorName)
  }
  if (s === 'd' || s === 'D' || s === discriminatorExtractorName) {
    if (!options.model) throw new Error("the 'discriminator' extractor needs a model")
    return discriminatorExtractor(options.model)
  }
  const dir = resolve(s)
  if (await isFile(join(dir, 'model.json'))) return tfjsExtractor(dir)
  if (await isFile(join(dir, 'config.json'))) return classifierExtractor(await loadClassifier(dir), `classifier:${dir}`)
  throw new Error(
    `'${spec}' is not an extractor: give 'fashion-mnist', 'd' (the model's discriminator), or a folder with a ` +
      'TensorFlow.js model.json or a studio classifier config.json',
  )
}

/** The extractor to use when the user names none: the bundled Fashion-MNIST classifier for a model whose classes it
 *  knows (32 px, the same class names), else the model's D, else none (undefined). */
export async function defaultExtractorSpec(model: BigGANModel, resourcesDir?: string): Promise<string | undefined> {
  try {
    const manifest = await readClassifierManifest(bundledClassifierDir(resourcesDir))
    const c = manifest.config
    if (c.resolution === model.config.resolution && model.config.classNames) {
      const map = matchClasses(model.config.classNames, c.classNames, c.classNames.length)
      if (map.by === 'name' && map.map.every((m) => m >= 0)) return 'fashion-mnist'
    }
  } catch {
    // no bundled classifier: fall through
  }
  return model.D ? 'd' : undefined
}
