// D's class evidence under Explore's image: asked for once the render has settled, after a short pause, so
// a slider drag or a walk asks only for where it stops; the back end drops a queued older request, and an answer
// for a point no longer shown is dropped here.
import type { Output, Point } from '../../preload/contract/index.ts'
import { errorMessage, isQuiet } from '../lib/errors.ts'
import { Latest } from '../lib/latest.ts'
import { studio } from '../lib/studio.ts'

const SETTLE_MS = 250
const TOP_K = 5

class ExploreEvidence {
  value = $state.raw<Output<'inspect:evidence'> | null>(null)
  /** the point the value is for */
  point = $state.raw<Point | null>(null)
  error = $state<string | null>(null)
  private latest = new Latest()
  private timer: ReturnType<typeof setTimeout> | undefined
  private asked: Point | null = null

  /** Asks for the evidence of `point` once it has been shown for a moment. */
  request(point: Point): void {
    if (point === this.asked) return
    this.asked = point
    clearTimeout(this.timer)
    const ticket = this.latest.next()
    this.timer = setTimeout(async () => {
      try {
        const value = await studio().inspect.evidence({ point, k: TOP_K })
        if (!this.latest.isCurrent(ticket)) return
        this.value = value
        this.point = point
        this.error = null
      } catch (e) {
        if (this.latest.isCurrent(ticket) && !isQuiet(e)) this.error = errorMessage(e)
      }
    }, SETTLE_MS)
  }

  clear(): void {
    clearTimeout(this.timer)
    this.latest.invalidate()
    this.asked = null
    this.value = null
    this.point = null
    this.error = null
  }
}

export const exploreEvidence = new ExploreEvidence()
