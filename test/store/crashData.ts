// The favourites the crash writer saves, made the same way in the writer and in the test that checks them.
import type { NewFavourite } from '../../main/store/index.ts'
import { fakePng, newFavourite } from './helpers.ts'

export const committedFavourite = (i: number): NewFavourite =>
  newFavourite({ name: `committed ${i}`, tags: ['crash', `n${i}`], thumbnail: fakePng(2048, i + 1) }, i + 1)

export const uncommittedFavourite = (i: number): NewFavourite =>
  newFavourite({ name: `uncommitted ${i}`, tags: ['crash'], thumbnail: fakePng(256 * 1024, 10_000 + i) }, 10_000 + i)
