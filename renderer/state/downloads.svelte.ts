// "Get a model": the catalogue the studio reads, the chosen model's plan (its files and size before it starts), and
// the download job (progress, cancel, error), which ends with the model imported and open.
import { DOWNLOAD_JOB, type CatalogueState, type DownloadPlan, type StudioEvent } from '../../preload/contract/index.ts'
import { errorMessage } from '../lib/errors.ts'
import { studio } from '../lib/studio.ts'
import { Job } from './job.svelte.ts'
import { model } from './model.svelte.ts'
import { settings } from './settings.svelte.ts'

class DownloadsState {
  catalogue = $state.raw<CatalogueState | null>(null)
  selected = $state<string | null>(null)
  plan = $state.raw<DownloadPlan | null>(null)
  planError = $state<string | null>(null)
  /** after the bytes are in: what the import reports */
  importing = $state<string | null>(null)
  readonly job = new Job(DOWNLOAD_JOB, 'The download')

  async load(): Promise<void> {
    try {
      this.catalogue = await studio().downloads.catalogue()
    } catch (e) {
      this.catalogue = { file: '', bundled: true, models: [], error: errorMessage(e) }
    }
    if (!this.catalogue.models.some((m) => m.name === this.selected)) this.select(this.catalogue.models.find((m) => m.direct)?.name ?? null)
  }

  select(name: string | null): void {
    this.selected = name
    this.plan = null
    this.planError = null
    const entry = this.catalogue?.models.find((m) => m.name === name)
    if (!name || !entry?.direct) return
    studio().downloads.plan({ name }).then(
      (plan) => {
        if (this.selected === name) this.plan = plan
      },
      (e: unknown) => {
        if (this.selected === name) this.planError = errorMessage(e)
      },
    )
  }

  /** Points the studio at another catalogue (null: the bundled one), stored as a setting. */
  async useCatalogue(path: string | null): Promise<void> {
    await settings.setDownloads({ catalogue: path })
    await this.load()
  }

  async get(): Promise<void> {
    const name = this.selected
    if (!name) return
    this.importing = null
    const off = studio().events.subscribe((e: StudioEvent) => {
      if (e.type === 'progress' && e.job === 'models:open') this.importing = e.label ?? 'importing'
    })
    try {
      await this.job.run(async () => {
        const info = await studio().downloads.get({ name })
        model.setModel(info)
        void model.refreshRecent()
      })
    } finally {
      off()
      this.importing = null
      this.select(name)
    }
  }
}

export const downloads = new DownloadsState()
