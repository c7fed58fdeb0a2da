// The method a folder and a model call for, as main/engine/finetune/chooseMethod.ts lays out the fine-tuning recipe.
import { describe, expect, it } from 'vitest'
import { chooseMethod, matchFolderClasses, type MethodInputs } from '../../main/engine/finetune/chooseMethod'

const imagenetLike = ['tench, Tinca tinca', 'golden retriever', 'crane', 'crane', 'tabby, tabby cat']
const base: Omit<MethodInputs, 'hasDiscriminator' | 'imageCount' | 'folderClasses'> = { modelClasses: imagenetLike }

describe('choosing the fine-tuning method', () => {
  it.each([
    // D?    images  folder classes          method          freezeD augment policies
    [true, 300, ['golden retriever'], 'adversarial', 4, true, 'color,translation,cutout'],
    [true, 800, ['golden_retriever'], 'adversarial', 3, true, 'color,translation,cutout'],
    [true, 5000, ['Tabby Cat'], 'adversarial', 3, true, 'translation,cutout'],
    [true, 300, ['corgi'], 'new-class', 4, true, 'color,translation,cutout'],
    [true, 2000, ['tench', 'corgi'], 'new-class', 3, true, 'translation,cutout'],
    [true, 40, ['golden retriever'], 'bsa', 0, false, ''],
    [true, 99, ['corgi'], 'bsa', 0, false, ''],
    [false, 99, ['golden retriever'], 'bsa', 0, false, ''],
    [false, 100, ['golden retriever'], 'fresh-d', 0, true, 'color,translation,cutout'],
    [false, 3000, ['corgi'], 'fresh-d', 0, true, 'translation,cutout'],
  ] as const)('D %s, %i images of %j → %s', (hasDiscriminator, imageCount, folderClasses, method, freezeDBlocks, augment, policies) => {
    const choice = chooseMethod({ ...base, hasDiscriminator, imageCount, folderClasses: [...folderClasses] })
    expect(choice.method).toBe(method)
    expect(choice.freezeDBlocks).toBe(freezeDBlocks)
    expect(choice.augment).toBe(augment)
    expect(choice.augmentPolicies.join(',')).toBe(policies)
    expect(choice.reason).not.toContain('\n')
    expect(choice.reason.length).toBeGreaterThan(20)
  })

  it('lists the classes to add whatever the method, and says why in one line', () => {
    const fresh = chooseMethod({ ...base, hasDiscriminator: false, imageCount: 500, folderClasses: ['corgi', 'tench'] })
    expect(fresh.newClasses).toEqual(['corgi'])
    expect(fresh.reason).toMatch(/no discriminator.*new class row for 'corgi'/)
    const few = chooseMethod({ ...base, hasDiscriminator: true, imageCount: 12, folderClasses: ['corgi'] })
    expect(few.newClasses).toEqual(['corgi'])
    expect(few.reason).toMatch(/^12 images are too few.*BSA/)
    const known = chooseMethod({ ...base, hasDiscriminator: true, imageCount: 300, folderClasses: ['crane'] })
    expect(known.newClasses).toEqual([])
    expect(known.reason).toMatch(/FreezeD.*DiffAugment/)
  })

  it('falls back to BSA where no D can be built (BigGAN-deep 512), and keeps the last D block trainable', () => {
    const deep512 = chooseMethod({ ...base, hasDiscriminator: false, imageCount: 5000, folderClasses: ['tench'], canAddDiscriminator: false })
    expect(deep512.method).toBe('bsa')
    expect(deep512.reason).toMatch(/none can be built/)
    const shallow = chooseMethod({ ...base, hasDiscriminator: true, imageCount: 200, folderClasses: ['tench'], discriminatorBlocks: 4 })
    expect(shallow.freezeDBlocks).toBe(3)
  })

  it('refuses an empty folder or a folder without a class, saying what to pass', () => {
    expect(() => chooseMethod({ ...base, hasDiscriminator: true, imageCount: 0, folderClasses: ['x'] })).toThrow(/add images/)
    expect(() => chooseMethod({ ...base, hasDiscriminator: true, imageCount: 10, folderClasses: [] })).toThrow(/folder name/)
  })
})

describe('matching folder classes to the model’s', () => {
  it('matches full names and synonyms, ignoring case and _ or -, preferring full names and the lowest index', () => {
    const { indices, newClasses } = matchFolderClasses(
      ['Tinca-Tinca', 'golden_retriever', 'crane', 'tabby', 'corgi'], imagenetLike,
    )
    expect(indices).toEqual([0, 1, 2, 4, null])
    expect(newClasses).toEqual(['corgi'])
  })
})
