// What a page takes up as it starts, so that a reload or a restart leaves each view where it was: the view shown and
// each view's form from the page's storage (kept under the data folder's id, renderer/lib/viewState.ts), and the long
// jobs from the back end's registry (jobs:list; each view attaches to its own). One entry per kept view, here.
import type { JobSummary } from '../../preload/contract/index.ts'
import { stored } from '../lib/viewState.ts'
import { studio } from '../lib/studio.ts'
import { finetune } from './finetune.svelte.ts'
import { interpolation } from './interpolate.svelte.ts'
import { leakage } from './leakage.svelte.ts'
import { metrics } from './metrics.svelte.ts'
import { navigation } from './navigation.svelte.ts'
import { notices } from './notices.svelte.ts'
import { useDataFolder, viewStore } from './viewStore.ts'

interface Kept {
  snapshot(): Record<string, unknown>
  restore(saved: Record<string, unknown>): void
}

const KEPT: Record<string, Kept> = { navigation, metrics, leakage, finetune, interpolation }

/** Restores every kept view, then writes each one back whenever it changes. Resolves with the long jobs the back end
 *  knows (for the model's own, which model.start takes up), once the views have their place. */
export async function takeUpPlaces(): Promise<Map<string, JobSummary>> {
  let jobs = new Map<string, JobSummary>()
  try {
    const listed = await studio().jobs.list()
    useDataFolder(listed.dataId)
    jobs = new Map(listed.jobs.map((j) => [j.job, j]))
  } catch (e) {
    notices.fail('Could not ask the studio which jobs run (views start afresh)', e)
    return jobs
  }
  for (const [name, kept] of Object.entries(KEPT)) {
    const saved = stored.object(viewStore.current.read(name))
    if (saved) kept.restore(saved)
  }
  $effect.root(() => {
    for (const [name, kept] of Object.entries(KEPT)) {
      $effect(() => viewStore.current.write(name, kept.snapshot()))
    }
  })
  void metrics.reattach(jobs.get('metrics:compute'))
  void leakage.reattach(jobs)
  return jobs
}
