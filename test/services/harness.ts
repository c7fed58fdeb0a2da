// The studio's service layer as the tests drive it: createStudio behind the IPC router and the typed StudioApi,
// with every event recorded, and the one way to expect a call to fail.
import { join } from 'node:path'
import { expect } from 'vitest'
import { buildStudioApi, StudioError, type StudioApi, type StudioEvent } from '../../preload/contract/index.ts'
import { createRouter } from '../../main/ipc/router'
import { createStudio, type Studio } from '../../main/services/studio'
import type { Library } from '../../main/store/index'

export interface Harness {
  studio: Studio
  api: StudioApi
  events: StudioEvent[]
  /** resolves with the first event (already seen, or to come) that matches */
  next(match: (e: StudioEvent) => boolean, since?: number): Promise<StudioEvent>
}

/** The studio's services behind a router and the typed API, as a renderer sees them (no transport): every event
 *  kept in order. `resourcesDir` defaults to a folder without a bundled model (the random stand-in then). `env` is
 *  where the studio reads BIGGAN_RUNTIME: the test run's (vitest.config.ts sets it to tfjs) unless a test passes its
 *  own, e.g. {} to let the runtime setting decide. */
export function openStudio(dataDir: string, library: Library, resourcesDir = join(dataDir, 'no-resources'), env?: NodeJS.ProcessEnv): Harness {
  const studio = createStudio({ dataDir, resourcesDir, shell: 'web', library, ...(env ? { env } : {}) })
  const router = createRouter(studio.handlers)
  const api = buildStudioApi((channel, input) => router.handle(channel, input), (listener) => studio.subscribe(listener))
  const events: StudioEvent[] = []
  const waiting: { match: (e: StudioEvent) => boolean; resolve: (e: StudioEvent) => void }[] = []
  api.events.subscribe((e) => {
    events.push(e)
    for (const w of [...waiting]) {
      if (w.match(e)) {
        waiting.splice(waiting.indexOf(w), 1)
        w.resolve(e)
      }
    }
  })
  return {
    studio,
    api,
    events,
    next(match, since = 0) {
      const seen = events.slice(since).find(match)
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve) => waiting.push({ match, resolve }))
    },
  }
}

/** Awaits a call that must fail with a StudioError, and returns it. */
export async function failure(promise: Promise<unknown>): Promise<StudioError> {
  try {
    await promise
  } catch (err) {
    expect(err).toBeInstanceOf(StudioError)
    return err as StudioError
  }
  throw new Error('expected the call to fail')
}
