// The open model, the engine it runs on, and the recent models: opening, importing and switching.
import { contract, StudioError, type EngineInfo, type JobSummary, type ModelInfo, type RecentModel, type StudioEvent } from '../../preload/contract/index.ts'
import { errorMessage, isQuiet } from '../lib/errors.ts'
import { studio } from '../lib/studio.ts'
import { notices } from './notices.svelte.ts'

export interface Opening {
  /** what is being opened: a path, or 'the default model' */
  what: string
  label?: string
  done?: number
  total?: number
}

class ModelState {
  info = $state.raw<ModelInfo | null>(null)
  engine = $state.raw<EngineInfo | null>(null)
  recent = $state.raw<RecentModel[]>([])
  /** starting: nothing asked yet; ready: a model is open (or opening failed with one still open) */
  status = $state<'starting' | 'ready' | 'failed'>('starting')
  opening = $state<Opening | null>(null)
  /** why the last open failed, until the next one */
  error = $state<string | null>(null)
  private listeners = new Set<(model: ModelInfo) => void>()

  /** Called with every newly opened model (not when the same model is reported again). */
  onChange(listener: (model: ModelInfo) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** The engine, then the model the back end holds, else the default model. A model still opening or importing
   *  (started before the page reloaded: `opening` from jobs:list) is waited for, with its progress, rather than
   *  opening the default model beside it. */
  async start(opening?: JobSummary): Promise<void> {
    const api = studio()
    api.engine.info().then(
      (info) => (this.engine = info),
      (e: unknown) => notices.fail('Could not read the engine’s backend', e),
    )
    void this.refreshRecent()
    if (opening?.state === 'running') {
      await this.run('the model opened before this page reloaded', async () => {
        const outcome = await api.jobs.attach({ job: 'models:open' })
        if (outcome.state === 'done') return contract['models:open'].output.parse(outcome.value, 'models:open')
        throw new StudioError(outcome.state === 'failed' ? 'failed' : 'cancelled', outcome.error ?? 'it did not finish')
      }, opening)
    }
    try {
      const current = await api.models.current()
      if (current) this.setModel(current)
      else await this.openDefault()
    } catch (e) {
      this.error = errorMessage(e)
      this.status = 'failed'
    }
  }

  async refreshRecent(): Promise<void> {
    try {
      this.recent = await studio().models.recent()
    } catch (e) {
      notices.fail('Could not list recent models', e)
    }
  }

  async openDefault(): Promise<void> {
    await this.run('the default model', () => studio().models.openDefault())
  }

  async open(path: string): Promise<void> {
    const p = path.trim()
    if (!p) {
      this.error = 'Give the path of a model folder or a checkpoint file.'
      return
    }
    await this.run(p, () => studio().models.open({ path: p }))
  }

  async cancelOpen(): Promise<void> {
    try {
      await studio().jobs.cancel({ job: 'models:open' })
    } catch (e) {
      notices.fail('Could not cancel opening the model', e)
    }
  }

  /** A back-end event: a model opened elsewhere (another window, the CLI), or the progress of the open. */
  handle(event: StudioEvent): void {
    if (event.type === 'model' && event.model) this.setModel(event.model)
    if (event.type === 'progress' && event.job === 'models:open' && this.opening) {
      this.opening = { ...this.opening, label: event.label, done: event.done, total: event.total }
    }
  }

  setModel(model: ModelInfo): void {
    const changed = this.info?.hash !== model.hash
    this.info = model
    this.status = 'ready'
    if (changed) {
      // what serves previews can change with the model ('auto' times each model size): read it again
      if (this.engine) void this.refreshEngine()
      for (const listener of this.listeners) listener(model)
    }
  }

  async refreshEngine(): Promise<void> {
    try {
      this.engine = await studio().engine.info()
    } catch (e) {
      notices.fail('Could not read the engine’s backend', e)
    }
  }

  private async run(what: string, open: () => Promise<ModelInfo>, progress?: Omit<Opening, 'what'>): Promise<void> {
    if (this.opening) return
    this.opening = { what, ...(progress ? { label: progress.label, done: progress.done, total: progress.total } : {}) }
    this.error = null
    try {
      const model = await open()
      this.setModel(model)
      void this.refreshRecent()
    } catch (e) {
      // the back end's message names the path itself where it has one: say it once
      const said = errorMessage(e)
      this.error = isQuiet(e) ? null : said.includes(what) ? `Could not open the model: ${said}` : `Could not open ${what}: ${said}`
      this.status = this.info ? 'ready' : 'failed'
    } finally {
      this.opening = null
    }
  }
}

export const model = new ModelState()
