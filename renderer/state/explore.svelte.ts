// Explore's moves through z: directions (random orthonormal or PCA) with a step size, per-chunk nudges of the
// hierarchical latent, and the random walk. Kept outside the view so they survive switching views.
import type { Point } from '../../preload/contract/index.ts'
import { chunkDirection, chunkRanges, directionAt, step, walkStep, type WalkState } from '../lib/latent.ts'
import { Latest } from '../lib/latest.ts'
import { mixSeed, randomSeed } from '../lib/random.ts'
import { studio } from '../lib/studio.ts'
import { current } from './current.svelte.ts'
import { model } from './model.svelte.ts'
import { notices } from './notices.svelte.ts'

export type DirectionKind = 'random' | 'pca'

interface DirectionSet {
  modelHash: string
  kind: DirectionKind
  seed: number
  count: number
  /** count·zDim values, row i = direction i */
  directions: Float32Array
  /** fraction of variance per direction (PCA), strongest first */
  explained: Float32Array
}

const WALK_MIN_INTERVAL_MS = 90

class Explore {
  kind = $state<DirectionKind>('random')
  count = $state(6)
  directionSeed = $state(randomSeed())
  directions = $state.raw<DirectionSet | null>(null)
  loadingDirections = $state(false)
  directionError = $state<string | null>(null)
  selected = $state(0)
  /** how far one step moves z, in z's own units (z's entries have unit spread before truncation) */
  stepSize = $state(0.5)
  /** seeds the per-chunk nudge directions; "new nudges" changes it */
  nudgeSeed = $state(randomSeed())
  walking = $state(false)
  walkSpeed = $state(0.25)
  private walk: WalkState = { velocity: new Float32Array(0), seed: randomSeed() }
  private directionsLatest = new Latest()

  /** Loads the directions of the chosen kind (PCA for the current class mix). */
  async loadDirections(): Promise<void> {
    const info = model.info
    const p = current.point
    if (!info || !p) return
    this.loadingDirections = true
    this.directionError = null
    const kind = this.kind
    const seed = this.directionSeed
    const count = Math.min(this.count, info.zDim, 64)
    try {
      const result = await this.directionsLatest.run(() =>
        studio().latents.directions({ kind, count, seed, ...(kind === 'pca' ? { y: p.y } : {}) }),
      )
      if (!result) return
      const got = Math.floor(result.value.directions.length / info.zDim)
      this.directions = {
        modelHash: info.hash,
        kind,
        seed,
        count: got,
        directions: result.value.directions,
        explained: result.value.explained,
      }
      this.selected = Math.min(this.selected, Math.max(0, got - 1))
      this.loadingDirections = false
    } catch (e) {
      this.directionError = e instanceof Error ? e.message : String(e)
      this.loadingDirections = false
    }
  }

  /** The directions, if they belong to the open model. */
  usableDirections(): DirectionSet | null {
    const d = this.directions
    return d && d.modelHash === model.info?.hash ? d : null
  }

  newDirections(): void {
    this.directionSeed = randomSeed()
    void this.loadDirections()
  }

  selectDirection(delta: number): void {
    const d = this.usableDirections()
    if (!d || d.count === 0) return
    this.selected = (this.selected + delta + d.count) % d.count
  }

  /** One step along direction `index` (the selected one by default). */
  stepDirection(sign: 1 | -1, index = this.selected): void {
    const d = this.usableDirections()
    const info = model.info
    const p = current.point
    if (!d || !info || !p || index >= d.count) return
    const z = step(p.z, directionAt(d.directions, index, info.zDim), sign * this.stepSize)
    const label = `${d.kind === 'pca' ? 'PC' : 'direction'} ${index + 1} ${sign > 0 ? '+' : '−'}${this.stepSize}`
    current.set({ z, y: p.y, truncation: p.truncation }, { commit: 'later', view: 'explore', label })
  }

  /** A step along this chunk's nudge direction (null: the whole z). */
  nudge(chunk: number | null, sign: 1 | -1): void {
    const info = model.info
    const p = current.point
    if (!info || !p) return
    const ranges = chunkRanges(info.zChunks, info.zChunkLabels, info.zDim)
    const range = chunk === null ? { start: 0, end: info.zDim, label: 'all of z' } : ranges[chunk]
    if (!range) return
    const direction = chunkDirection(info.zDim, range.start, range.end, mixSeed(this.nudgeSeed, chunk === null ? 9999 : chunk))
    // a chunk's share of the step: the same step size moves a small chunk as visibly as the whole z
    const z = step(p.z, direction, sign * this.stepSize * Math.sqrt((range.end - range.start) / info.zDim) * 2)
    current.set({ z, y: p.y, truncation: p.truncation }, { commit: 'later', view: 'explore', label: `nudge ${range.label} ${sign > 0 ? '+' : '−'}` })
  }

  /** Redraws one chunk of z (the engine draws it under the model's truncation), keeping the rest. */
  async resample(chunk: number): Promise<void> {
    const info = model.info
    const p = current.point
    if (!info || !p) return
    const range = chunkRanges(info.zChunks, info.zChunkLabels, info.zDim)[chunk]
    if (!range) return
    try {
      const { z } = await studio().latents.redraw({ z: p.z, start: range.start, end: range.end, seed: randomSeed(), truncation: p.truncation })
      if (current.point !== p) return // the point moved on while the engine drew: this redraw is stale
      current.set({ z, y: p.y, truncation: p.truncation }, { commit: 'now', view: 'explore', label: `redraw ${range.label}` })
    } catch (e) {
      notices.fail(`Could not redraw ${range.label}`, e)
    }
  }

  newNudges(): void {
    this.nudgeSeed = randomSeed()
  }

  toggleWalk(): void {
    if (this.walking) this.stopWalk()
    else void this.runWalk()
  }

  stopWalk(): void {
    if (!this.walking) return
    this.walking = false
    current.commitCurrent('explore', 'random walk')
  }

  private async runWalk(): Promise<void> {
    if (!current.point || !model.info) return
    this.walking = true
    const hash = model.info.hash
    try {
      while (this.walking && current.point && model.info?.hash === hash) {
        const started = performance.now()
        const p: Point = current.point
        const next = walkStep(p.z, this.walk, this.walkSpeed)
        this.walk = next.walk
        current.point = { z: next.z, y: p.y, truncation: p.truncation }
        // one render at a time: the walk goes as fast as the model draws, never faster than the screen needs
        await current.preview.render([current.point])
        const wait = WALK_MIN_INTERVAL_MS - (performance.now() - started)
        if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      }
    } catch (e) {
      notices.fail('The random walk stopped', e)
    } finally {
      if (this.walking) this.stopWalk()
    }
  }

  /** Forget everything tied to the previous model. */
  reset(): void {
    this.walking = false
    this.directions = null
    this.directionError = null
    this.selected = 0
  }
}

export const explore = new Explore()
