// The studio's settings as the views see them: the stored values with what serves previews under them, loaded once
// and after each change; a change goes to the back end, which stores it and switches the runtime at once.
import type { InferenceSetting, SettingsState, TrainingSetting } from '../../preload/contract.ts'
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

  async setInference(inference: InferenceSetting): Promise<void> {
    this.applying = true
    try {
      this.state = await studio().settings.set({ inference })
      model.engine = await studio().engine.info()
    } catch (e) {
      notices.fail('Could not change the inference runtime', e)
    } finally {
      this.applying = false
    }
  }

  /** The next fine-tuning run's threads: stored now, read when a run starts. */
  async setTraining(training: TrainingSetting): Promise<void> {
    this.applying = true
    try {
      this.state = await studio().settings.set({ training })
    } catch (e) {
      notices.fail('Could not change the training threads', e)
    } finally {
      this.applying = false
    }
  }
}

export const settings = new SettingsStore()
