import { describe, expect, it } from 'vitest'
import { searchClasses } from '../../main/services/classSearch'
import { imagenetClassNames } from '../../main/engine/classes'
import { FASHION_MNIST_CLASSES } from '../../main/data/fashionMnist'

describe('class search', () => {
  const names = imagenetClassNames()

  it('finds a class by every word of the query, case-insensitively, exact names first', () => {
    const found = searchClasses(names, undefined, 'Golden Retriever', 10)
    expect(found[0]).toEqual({ index: 207, name: names[207] })
    expect(searchClasses(names, undefined, 'retriever golden', 10).map((m) => m.index)).toEqual([207])
  })

  it('answers every match of an ambiguous word', () => {
    const found = searchClasses(names, undefined, 'retriever', 1000)
    expect(found.length).toBeGreaterThan(3)
    expect(found.every((m) => m.name.toLowerCase().includes('retriever'))).toBe(true)
  })

  it('finds a class by its index', () => {
    expect(searchClasses(names, undefined, '933', 5)[0]).toEqual({ index: 933, name: names[933] })
    expect(searchClasses(FASHION_MNIST_CLASSES, undefined, '12', 5)).toEqual([])
  })

  it('matches synset ids where the model has them, and keeps to the limit', () => {
    const ids = ['n01440764', 'n01443537', 'n01484850']
    expect(searchClasses(names.slice(0, 3), ids, 'n0144', 10).map((m) => m.id)).toEqual(['n01440764', 'n01443537'])
    expect(searchClasses(FASHION_MNIST_CLASSES, undefined, '', 3).map((m) => m.name)).toEqual(['T-shirt/top', 'Trouser', 'Pullover'])
    expect(searchClasses(FASHION_MNIST_CLASSES, undefined, 'boot', 10)).toEqual([{ index: 9, name: 'Ankle boot' }])
  })
})
