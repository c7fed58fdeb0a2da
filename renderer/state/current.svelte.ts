// The current point and the session it lives in. Every committed change is pushed to the session (session:push),
// so undo and redo walk it and a restart restores it. Previews (a slider being dragged, a walk) change the point
// without pushing; `later` pushes once the changes pause, so a burst of nudges is one undo step.
import type { ModelInfo, Point, SessionState } from '../../preload/contract/index.ts'
import { oneHot } from '../lib/classes.ts'
import { Latest } from '../lib/latest.ts'
import { clampTruncation, pointMismatch } from '../lib/points.ts'
import { randomSeed } from '../lib/random.ts'
import { cursorEntry, newestBefore } from '../lib/session.ts'
import { studio } from '../lib/studio.ts'
import { model } from './model.svelte.ts'
import { notices } from './notices.svelte.ts'
import { LiveRender } from './preview.svelte.ts'

export type Commit = 'now' | 'later' | 'none'

export interface Change {
  commit: Commit
  /** the view that made the change ('explore', 'grid', …), as the session records it */
  view?: string
  /** what changed, in words ('seed 42', 'truncation 0.50', …) */
  label?: string
}

const COMMIT_PAUSE_MS = 600

/** z for a seed under the open model's semantics at this truncation. */
export async function sampleZ(seed: number, truncation: number): Promise<Float32Array> {
  const { z } = await studio().latents.sample({ seed, count: 1, truncation })
  return z
}

/** An edited z moved from one truncation to another. The seed of any values redrawn is fixed, so a drag that comes
 *  back to a truncation comes back to the same z. */
async function retruncated(z: Float32Array, from: number, to: number): Promise<Float32Array> {
  return (await studio().latents.retruncate({ z, from, to, seed: 0 })).z
}

class Current {
  point = $state.raw<Point | null>(null)
  session = $state.raw<SessionState | null>(null)
  /** the favourite the current point descends from: the parent of the next favourite saved */
  parentFavourite = $state<number | null>(null)
  /** the image of the current point, for every view that shows it */
  readonly preview = new LiveRender('explore')
  private pending: { point: Point; view: string; label: string } | null = null
  private timer: ReturnType<typeof setTimeout> | undefined
  private truncationBase: Point | null = null
  private truncationLatest = new Latest()

  /** Makes `point` current and renders it; pushes it to the session as `change.commit` says. */
  set(point: Point, change: Change): void {
    this.point = point
    void this.preview.render([point])
    const view = change.view ?? 'explore'
    const label = change.label ?? 'change'
    if (change.commit === 'none') return
    this.pending = { point, view, label }
    clearTimeout(this.timer)
    if (change.commit === 'now') void this.flush()
    else this.timer = setTimeout(() => void this.flush(), COMMIT_PAUSE_MS)
  }

  /** Pushes the change waiting to be committed, if any. */
  async flush(): Promise<void> {
    clearTimeout(this.timer)
    const pending = this.pending
    this.pending = null
    if (!pending) return
    try {
      this.session = await studio().session.push({ point: pending.point, view: pending.view, label: pending.label.slice(0, 200) })
    } catch (e) {
      notices.fail('Could not record this step in the session (undo will skip it)', e)
    }
  }

  /** Commits the point as it is now (after previews), e.g. when a walk pauses. */
  commitCurrent(view: string, label: string): void {
    if (this.point) this.set(this.point, { commit: 'now', view, label })
  }

  async undo(): Promise<void> {
    await this.flush()
    if (this.session && !this.session.canUndo) return
    await this.move(() => studio().session.undo(), 'undo')
  }

  async redo(): Promise<void> {
    await this.flush()
    if (this.session && !this.session.canRedo) return
    await this.move(() => studio().session.redo(), 'redo')
  }

  private async move(call: () => Promise<SessionState>, what: string): Promise<void> {
    try {
      const state = await call()
      this.session = state
      const entry = cursorEntry(state)
      if (!entry) return
      const info = model.info
      if (!info || entry.modelHash !== info.hash) {
        notices.push('warning', `That step (${entry.label}) was made with another model; open it in Models to see it.`)
        return
      }
      const why = pointMismatch(entry.point, info)
      if (why) {
        notices.push('warning', `That step cannot be shown: ${why}.`)
        return
      }
      this.point = entry.point
      void this.preview.render([entry.point])
    } catch (e) {
      notices.fail(`Could not ${what}`, e)
    }
  }

  /** settles once the point for the newest model is in place */
  restored: Promise<void> = Promise.resolve()

  /** Starts restoring the point for a newly opened model (see restoreFor). */
  adoptModel(info: ModelInfo): void {
    this.restored = this.restoreFor(info)
  }

  /** The point to start from with a newly opened model: the session's cursor point if it is this model's, else its
   *  newest point of this model, else a fresh seed of class 0. */
  async restoreFor(info: ModelInfo): Promise<void> {
    await this.flush()
    this.point = null
    this.parentFavourite = null
    this.truncationBase = null
    this.preview.clear()
    try {
      this.session = await studio().session.current()
    } catch (e) {
      notices.fail('Could not read the session', e)
    }
    if (model.info?.hash !== info.hash) return // another model opened meanwhile
    const session = this.session
    const fits = (e: { modelHash: string; point: Point }): boolean => e.modelHash === info.hash && !pointMismatch(e.point, info)
    const atCursor = session ? cursorEntry(session) : null
    if (atCursor && fits(atCursor)) {
      this.set(atCursor.point, { commit: 'none' })
      return
    }
    const newest = session ? newestBefore(session, fits) : null
    if (newest) {
      this.set(newest.point, { commit: 'now', view: 'explore', label: 'restored' })
      return
    }
    await this.fresh(info)
  }

  /** A new point of class 0 at a random seed and the model's default truncation. */
  async fresh(info: ModelInfo): Promise<void> {
    const seed = randomSeed()
    const truncation = clampTruncation(info.truncation.default, info)
    try {
      const z = await sampleZ(seed, truncation)
      if (model.info?.hash !== info.hash) return
      this.set({ z, y: oneHot(info.numClasses, 0), truncation, seed }, { commit: 'now', view: 'explore', label: `seed ${seed}` })
    } catch (e) {
      notices.fail('Could not draw a first latent', e)
    }
  }

  /** The current class vector and truncation with z drawn from `seed`. */
  async useSeed(seed: number, view = 'explore'): Promise<void> {
    const p = this.point
    if (!p) return
    try {
      const z = await sampleZ(seed, p.truncation)
      const now = this.point ?? p
      this.set({ z, y: now.y, truncation: now.truncation, seed }, { commit: 'now', view, label: `seed ${seed}` })
    } catch (e) {
      notices.fail(`Could not draw seed ${seed}`, e)
    }
  }

  /** Moves to truncation `t`. While dragging (`final` false) every value is previewed from the point the drag
   *  started at; the final value is committed. A seed's z is redrawn at the new truncation, an edited z re-truncated:
   *  both by the engine, which knows the model's semantics. */
  async setTruncation(t: number, final: boolean): Promise<void> {
    const info = model.info
    const base = this.truncationBase ?? this.point
    if (!info || !base) return
    this.truncationBase = final ? null : base
    const truncation = clampTruncation(t, info)
    const label = `truncation ${truncation.toFixed(3)}`
    try {
      const result = await this.truncationLatest.run(async () =>
        base.seed !== undefined ? sampleZ(base.seed, truncation) : retruncated(base.z, base.truncation, truncation),
      )
      if (!result) return
      const p: Point = { z: result.value, y: (this.point ?? base).y, truncation }
      if (base.seed !== undefined) p.seed = base.seed
      this.set(p, final ? { commit: 'now', view: 'explore', label } : { commit: 'none' })
    } catch (e) {
      notices.fail('Could not change the truncation', e)
    }
  }

  /** Opens a session and shows its cursor point if it belongs to the open model. */
  async openSession(id: number): Promise<void> {
    await this.flush()
    try {
      const state = await studio().session.open({ id })
      this.session = state
      const entry = cursorEntry(state)
      const info = model.info
      if (entry && info && entry.modelHash === info.hash && !pointMismatch(entry.point, info)) {
        this.set(entry.point, { commit: 'none' })
        notices.push('info', `Session “${state.name}” restored.`)
      } else if (entry) {
        notices.push('warning', `Session “${state.name}” is open, but its current point was made with another model.`)
      } else {
        notices.push('info', `Session “${state.name}” is open (it is empty).`)
      }
    } catch (e) {
      notices.fail('Could not open the session', e)
    }
  }

  async newSession(name?: string): Promise<void> {
    await this.flush()
    try {
      this.session = await studio().session.new(name ? { name } : {})
      if (this.point) this.set(this.point, { commit: 'now', view: 'explore', label: 'session start' })
    } catch (e) {
      notices.fail('Could not start a new session', e)
    }
  }
}

export const current = new Current()
