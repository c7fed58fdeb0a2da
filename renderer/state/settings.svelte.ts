// The studio's settings as the views see them: the stored values with what serves previews under them, loaded once
// and after each change; a change goes to the back end, which stores it and switches the runtime at once.
import type { DownloadsSetting, InferenceSetting, Input, SettingsState, TrainingSetting } from '../../preload/contract/index.ts'
import { studio } from '../lib/studio.ts'
import { model } from './model.svelte.ts'
import { notices } from './notices.svelte.ts'

class SettingsStore {
  state = $state.raw<SettingsState | null>(null)
  /** a change is being applied (the previews reopen on the new runtime) */
  applying = $state(false)

  async load(): Promise<void> {
    try {
      this.state = await studio().settings.get()
    } catch (e) {
      notices.fail('Could not read the settings', e)
    }
  }

  /** The previews' runtime: switched at once, so the engine's info is read again. */
  async setInference(inference: InferenceSetting): Promise<void> {
    await this.apply({ inference }, 'Could not change the inference runtime', async () => {
      model.engine = await studio().engine.info()
    })
  }

  /** The next fine-tuning run's threads: stored now, read when a run starts. */
  async setTraining(training: TrainingSetting): Promise<void> {
    await this.apply({ training }, 'Could not change the training threads')
  }

  /** The catalogue "Get a model" reads: stored now, read on the next look at the catalogue. */
  async setDownloads(downloads: DownloadsSetting): Promise<void> {
    await this.apply({ downloads }, 'Could not change the model catalogue')
  }

  private async apply(patch: Input<'settings:set'>, failure: string, then?: () => Promise<void>): Promise<void> {
    this.applying = true
    try {
      this.state = await studio().settings.set(patch)
      await then?.()
    } catch (e) {
      notices.fail(failure, e)
    } finally {
      this.applying = false
    }
  }
}

export const settings = new SettingsStore()
