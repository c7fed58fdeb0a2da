import { describe, expect, it } from 'vitest'
import { classIds, classNames } from '../../main/engine/classes'
import { defaultConfig } from '../../main/engine/config'

describe('ImageNet synset ids', () => {
  it('name every class of a 1000-class model in the standard order (the sorted wnids)', () => {
    const config = defaultConfig('biggan-deep', 128, 4, 1000)
    const ids = classIds(config)!
    expect(ids).toHaveLength(1000)
    expect(new Set(ids).size).toBe(1000)
    expect([...ids].sort()).toEqual(ids)
    expect([ids[0], classNames(config)[0]]).toEqual(['n01440764', 'tench, Tinca tinca'])
    expect([ids[207], classNames(config)[207]]).toEqual(['n02099601', 'golden retriever'])
    expect(ids[999]).toBe('n15075141')
  })

  it('are absent for models whose classes are not ImageNet’s', () => {
    expect(classIds(defaultConfig('biggan', 32, 4, 10))).toBeUndefined()
    const renamed = { ...defaultConfig('biggan', 32, 4, 1000), classNames: Array.from({ length: 1000 }, (_, i) => `c${i}`) }
    expect(classIds(renamed)).toBeUndefined()
  })
})
