// A judge's class evidence under Explore's image (the model's D, the bundled classifier or a classifier folder, as the
// person picks): asked for once the render has settled, after a short pause, so a slider drag or a walk asks only for
// where it stops; the back end drops a queued older request, and an answer for a point no longer shown is dropped here.
import type { Output, Point } from '../../preload/contract/index.ts'
import { errorMessage, isQuiet } from '../lib/errors.ts'
import { Latest } from '../lib/latest.ts'
import { judgeSpec, type JudgeChoice } from '../lib/leakage.ts'
import { studio } from '../lib/studio.ts'

const SETTLE_MS = 250
const TOP_K = 5

class ExploreEvidence {
  value = $state.raw<Output<'inspect:evidence'> | null>(null)
  /** the point the value is for */
  point = $state.raw<Point | null>(null)
  error = $state<string | null>(null)
  /** who judges: D where the model has one, else the bundled classifier (adopt sets it per model) */
  judge = $state<JudgeChoice>('discriminator')
  folder = $state('')
  private latest = new Latest()
  private timer: ReturnType<typeof setTimeout> | undefined
  private asked: { point: Point; judge: string } | null = null

  /** A newly opened model keeps the chosen judge, except that a generator-only model has no D to judge with. */
  adopt(hasDiscriminator: boolean): void {
    if (!hasDiscriminator && this.judge === 'discriminator') this.judge = 'classifier'
  }

  /** Asks for the evidence of `point` under the chosen judge once it has been shown for a moment. */
  request(point: Point): void {
    let judge
    try {
      judge = judgeSpec(this.judge, this.folder)
    } catch (e) {
      this.error = errorMessage(e)
      return
    }
    const key = JSON.stringify(judge)
    if (point === this.asked?.point && key === this.asked.judge) return
    this.asked = { point, judge: key }
    clearTimeout(this.timer)
    const ticket = this.latest.next()
    this.timer = setTimeout(async () => {
      try {
        const value = await studio().inspect.evidence({ point, k: TOP_K, judge })
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
