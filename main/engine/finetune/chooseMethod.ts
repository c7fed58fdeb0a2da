// Which fine-tuning method a folder and a model call for. The published comparisons (DiffAugment's 100-shot tables:
// every adversarial fine-tune beats the supervised scale/shift baseline; FreezeD beats naive fine-tuning) make
// FreezeD + DiffAugment under ADA the strongest documented path for a conditional BigGAN with its D, and BSA the safe
// one below ~100 images or without a D (its PyTorch port says as much: above ~100 images, fine-tune adversarially):
//
//   fewer than 100 images, or no D that can be had   → 'bsa'        BSA-style adaptation, no discriminator
//   no D (the released BigGAN-deep weights), ≥ 100   → 'fresh-d'    a new D, warmed up against the frozen G
//   a D, and a folder class the model lacks          → 'new-class'  adversarial, with a new class row
//   a D, and only the model's own classes            → 'adversarial'
//
// Every adversarial choice uses FreezeD and DiffAugment under ADA control. FreezeD (Mo et al. 2020) froze D's lowest
// 3 blocks (`--layer 3`) on Flowers/CUB/Caltech-256, i.e. thousands of images; below 500 images one more block is
// frozen [ours: a smaller set overfits a D sooner; BigGAN §4.2 saw D memorise its training set before collapse]. A
// fresh D freezes nothing: its blocks hold no pretrained features worth keeping. DiffAugment helped BigGAN even on all
// of CIFAR-10 (FID 9.59 → 8.70, Zhao et al. 2020) and ADA keeps p near 0 while D does not overfit, so augmentation is
// on for every adversarial run; the colour policy only under 1 000 images (DiffAugment's advice: all three policies
// for hundreds of images, a subset for large sets). BSA trains no D, so it neither freezes nor augments.
import type { AugmentPolicy } from '../train/augment'

export type FinetuneMethod = 'adversarial' | 'new-class' | 'fresh-d' | 'bsa'

export interface MethodInputs {
  hasDiscriminator: boolean
  /** training images (after the held-out split) */
  imageCount: number
  /** the folder's classes (its subfolders; a flat folder is one class named after the folder) */
  folderClasses: string[]
  /** the model's class names, index = class (classes.ts classNames) */
  modelClasses: string[]
  /** false when no fresh D can be built for the model (freshDiscriminatorProblem, e.g. BigGAN-deep 512); default true */
  canAddDiscriminator?: boolean
  /** blocks in the model's D, where known: freezeDBlocks stays below it, so D's last block and head still train */
  discriminatorBlocks?: number
}

export interface MethodChoice {
  method: FinetuneMethod
  /** D's lowest blocks to freeze (FreezeD); 0 for a fresh D and for BSA */
  freezeDBlocks: number
  /** DiffAugment with ADA-controlled probability */
  augment: boolean
  /** the DiffAugment policies when augment is on, else [] */
  augmentPolicies: AugmentPolicy[]
  /** folder classes the model lacks, in folder order: add each (addClass) before training, whatever the method */
  newClasses: string[]
  /** one line for the user */
  reason: string
}

/** Below this many images: no adversarial fine-tuning (BSA's regime: its abstract reports it stable "even when the
 *  dataset is small (~100)", where a D overfits). */
export const adversarialMinImages = 100
/** Below this many images, one more D block is frozen than FreezeD's 3 [ours]. */
const smallSetImages = 500
/** Below this many images, DiffAugment adds 'color' to translation and cutout (its authors' advice for hundreds of
 *  images; BigGAN-CIFAR's scripts use translation and cutout on the full set). */
const colourAugmentBelow = 1000

export function chooseMethod(inputs: MethodInputs): MethodChoice {
  const { hasDiscriminator, imageCount, folderClasses, modelClasses } = inputs
  if (!(Number.isInteger(imageCount) && imageCount >= 1)) {
    throw new Error(`the folder has ${imageCount} usable training images; add images (at least 1, better 100 or more)`)
  }
  if (folderClasses.length === 0) {
    throw new Error('folderClasses is empty: a flat folder is one class, so pass the folder name as its class')
  }
  const { newClasses } = matchFolderClasses(folderClasses, modelClasses)
  const canAdd = inputs.canAddDiscriminator ?? true
  const images = `${imageCount} image${imageCount === 1 ? '' : 's'}`
  const classNote = newClasses.length > 0 ? `, with a new class row for ${quoteList(newClasses)}` : ''

  if (imageCount < adversarialMinImages || (!hasDiscriminator && !canAdd)) {
    const why = imageCount < adversarialMinImages
      ? `${images} are too few for adversarial fine-tuning (under ${adversarialMinImages}, D memorises them)`
      : `the model has no discriminator and none can be built for it`
    return {
      method: 'bsa', freezeDBlocks: 0, augment: false, augmentPolicies: [], newClasses,
      reason: `${capitalise(why)}: adapting G's BatchNorm scales and shifts, class rows and output layers to reconstruct each image (BSA)${classNote}; stable, but less varied than adversarial training`,
    }
  }

  const augmentPolicies: AugmentPolicy[] = imageCount < colourAugmentBelow ? ['color', 'translation', 'cutout'] : ['translation', 'cutout']
  const augmentation = `DiffAugment (${augmentPolicies.join(', ')}) under ADA control`
  if (!hasDiscriminator) {
    return {
      method: 'fresh-d', freezeDBlocks: 0, augment: true, augmentPolicies, newClasses,
      reason: `The model has no discriminator: a new one is trained against the frozen G first, then G and D train together on ${images}${classNote}, with ${augmentation}`,
    }
  }

  let freezeDBlocks = imageCount < smallSetImages ? 4 : 3
  if (inputs.discriminatorBlocks !== undefined) freezeDBlocks = Math.max(0, Math.min(freezeDBlocks, inputs.discriminatorBlocks - 1))
  const frozen = `D's lowest ${freezeDBlocks} block${freezeDBlocks === 1 ? '' : 's'} frozen (FreezeD)`
  if (newClasses.length > 0) {
    return {
      method: 'new-class', freezeDBlocks, augment: true, augmentPolicies, newClasses,
      reason: `${capitalise(quoteList(newClasses))} ${newClasses.length === 1 ? 'is not a class' : 'are not classes'} of this model: adversarial fine-tuning on ${images} with a new class row started from the nearest class, ${frozen}, ${augmentation}`,
    }
  }
  return {
    method: 'adversarial', freezeDBlocks, augment: true, augmentPolicies, newClasses,
    reason: `Adversarial fine-tuning of ${quoteList(folderClasses)} on ${images}, ${frozen}, ${augmentation}`,
  }
}

/**
 * Which model class each folder class is: equal to a model class name, or to one of its comma-separated synonyms
 * (ImageNet's "tench, Tinca tinca"), ignoring case, surrounding space, and '_' / '-' for spaces ("golden_retriever").
 * A full-name match wins over a synonym match; among equals, the lowest index.
 */
export function matchFolderClasses(
  folderClasses: readonly string[], modelClasses: readonly string[],
): { indices: (number | null)[]; newClasses: string[] } {
  const full = new Map<string, number>()
  const synonyms = new Map<string, number>()
  modelClasses.forEach((name, i) => {
    const key = normalise(name)
    if (!full.has(key)) full.set(key, i)
    for (const part of name.split(',')) {
      const s = normalise(part)
      if (s && !synonyms.has(s)) synonyms.set(s, i)
    }
  })
  const indices = folderClasses.map((c) => full.get(normalise(c)) ?? synonyms.get(normalise(c)) ?? null)
  return { indices, newClasses: folderClasses.filter((_, i) => indices[i] === null) }
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/[_-]+/g, ' ').replace(/\s+/g, ' ').trim()
}

function quoteList(names: readonly string[]): string {
  const shown = names.slice(0, 3).map((n) => `'${n}'`)
  return names.length > 3 ? `${shown.join(', ')} and ${names.length - 3} more` : shown.join(names.length === 2 ? ' and ' : ', ')
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}
