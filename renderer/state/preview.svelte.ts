// A live render for one view key: the newest request wins, the last image stays shown until the next arrives,
// and `busy` says that a newer one is on its way.
import type { Point, Rendered } from '../../preload/contract/index.ts'
import { errorMessage, isQuiet } from '../lib/errors.ts'
import { Latest } from '../lib/latest.ts'
import { studio } from '../lib/studio.ts'

export class LiveRender {
  image = $state.raw<Rendered | null>(null)
  busy = $state(false)
  error = $state<string | null>(null)
  private latest = new Latest()

  constructor(readonly view: string) {}

  /** Renders the points; resolves with the images, or undefined when a newer request replaced this one or it failed
   *  (then `error` says why). */
  async render(points: Point[]): Promise<Rendered | undefined> {
    const ticket = this.latest.next()
    this.busy = true
    try {
      const rendered = await studio().images.render({ view: this.view, points })
      if (!this.latest.isCurrent(ticket)) return undefined
      this.image = rendered
      this.error = null
      return rendered
    } catch (e) {
      if (this.latest.isCurrent(ticket) && !isQuiet(e)) this.error = errorMessage(e)
      return undefined
    } finally {
      if (this.latest.isCurrent(ticket)) this.busy = false
    }
  }

  clear(): void {
    this.latest.invalidate()
    this.image = null
    this.busy = false
    this.error = null
  }
}
