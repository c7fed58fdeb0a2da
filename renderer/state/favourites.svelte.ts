// Saving favourites, and a revision number the library watches to reload after any change.
import type { Favourite, Point } from '../../preload/contract/index.ts'
import { pointName } from '../lib/points.ts'
import { studio } from '../lib/studio.ts'
import { current } from './current.svelte.ts'
import { model } from './model.svelte.ts'
import { notices } from './notices.svelte.ts'

class Favourites {
  /** bumped after every save, edit, delete or import */
  revision = $state(0)
  saving = $state(false)

  changed(): void {
    this.revision++
  }

  /** Saves a point of the open model (the current point unless given), as a child of the favourite it came from. */
  async save(point: Point | null = current.point, name?: string): Promise<Favourite | null> {
    const info = model.info
    if (!point || !info || this.saving) return null
    this.saving = true
    try {
      const parentId = current.parentFavourite ?? undefined
      const saved = await studio().favourites.save({
        point,
        name: (name ?? pointName(point, info.classNames)).slice(0, 200),
        tags: [],
        notes: '',
        rating: 0,
        ...(parentId !== undefined ? { parentId } : {}),
      })
      current.parentFavourite = saved.id
      this.changed()
      notices.push('info', `Saved “${saved.name}” to the library.`)
      return saved
    } catch (e) {
      notices.fail('Could not save the favourite', e)
      return null
    } finally {
      this.saving = false
    }
  }
}

export const favourites = new Favourites()
