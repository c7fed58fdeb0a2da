// The metrics view's state: the form (real folder, extractor, n, truncations, class, seed), a running measurement with
// its progress (metrics:compute, cancelled through jobs:cancel), and the measurements the library keeps for the open
// model (metrics:list, metrics:delete), one of them shown.
import type { GeneratorMetricsRecord, Input, JobSummary, ModelInfo } from '../../preload/contract/index.ts'
import { errorMessage } from '../lib/errors.ts'
import { extractorSpec, initialExtractor, type ExtractorChoice } from '../lib/metrics.ts'
import { fitInt, type Fitted } from '../lib/numbers.ts'
import { studio } from '../lib/studio.ts'
import { parseTruncationList } from '../lib/truncations.ts'
import { stored } from '../lib/viewState.ts'
import { Job } from './job.svelte.ts'


/** Generated images per truncation (the fewest a KID subset and k = 5 neighbours need), and the largest seed. */
export const METRICS_LIMITS = { n: { min: 6, max: 20_000 }, seedMax: 2 ** 31 } as const
class Metrics {
  realFolder = $state('')
  extractor = $state<ExtractorChoice>('discriminator')
  extractorFolder = $state('')
  /** the extractor the studio picks for this model; null: none fits, a folder is needed */
  defaultExtractor = $state<'classifier' | 'discriminator' | null>(null)
  n = $state(500)
  truncationsText = $state('1, 0.7, 0.4')
  /** one model class; null: all classes */
  classIndex = $state<number | null>(null)
  seed = $state(0)

  /** the measurement running (metrics:compute); its error is also where the form's and the defaults' errors show */
  job = new Job('metrics:compute', 'The measurement')

  records = $state.raw<GeneratorMetricsRecord[]>([])
  selectedId = $state<number | null>(null)
  listError = $state<string | null>(null)

  private settingsFor: string | null = null
  /** the model the form was filled for (restored after a reload: kept when that model opens again) */
  private formFor: string | null = null

  /** The measurement shown: the chosen one, else the newest. */
  get selected(): GeneratorMetricsRecord | null {
    return this.records.find((r) => r.id === this.selectedId) ?? this.records[0] ?? null
  }

  /** Fits the form to a newly opened model (unless it was filled for that model) and loads its measurements. */
  async adopt(info: ModelInfo): Promise<void> {
    if (this.settingsFor === info.hash) return
    this.settingsFor = info.hash
    const refill = this.formFor !== info.hash
    if (refill) {
      this.formFor = info.hash
      this.truncationsText = info.semantics === 'released' ? '1, 0.7, 0.4' : 'none, 1, 0.5'
      this.classIndex = null
      this.selectedId = null
      this.job.error = null
    }
    this.records = []
    await Promise.all([this.loadDefault(info, refill), this.load(info)])
  }

  private async loadDefault(info: ModelInfo, choose: boolean): Promise<void> {
    const chosen = this.extractor
    try {
      const { extractor } = await studio().metrics.defaultExtractor()
      if (this.settingsFor !== info.hash) return
      this.defaultExtractor = extractor
      // a choice the user made while the default was on its way, or before a reload, stands
      if (choose && this.extractor === chosen) this.extractor = initialExtractor(extractor)
    } catch (e) {
      this.job.error = errorMessage(e)
    }
  }

  /** The form and the measurement shown, as the page keeps them across reloads. */
  snapshot(): Record<string, unknown> {
    return {
      modelHash: this.formFor,
      realFolder: this.realFolder,
      extractor: this.extractor,
      extractorFolder: this.extractorFolder,
      n: this.n,
      truncationsText: this.truncationsText,
      classIndex: this.classIndex,
      seed: this.seed,
      selectedId: this.selectedId,
    }
  }

  restore(saved: Record<string, unknown>): void {
    this.formFor = typeof saved.modelHash === 'string' ? saved.modelHash : null
    this.realFolder = stored.string(saved.realFolder, this.realFolder)
    this.extractor = stored.oneOf(saved.extractor, ['classifier', 'discriminator', 'folder'] as const, this.extractor)
    this.extractorFolder = stored.string(saved.extractorFolder, this.extractorFolder)
    this.n = stored.number(saved.n, this.n)
    this.truncationsText = stored.string(saved.truncationsText, this.truncationsText)
    this.classIndex = Number.isInteger(saved.classIndex) ? (saved.classIndex as number) : null
    this.seed = stored.number(saved.seed, this.seed)
    this.selectedId = Number.isInteger(saved.selectedId) ? (saved.selectedId as number) : null
  }

  /** Follows a measurement started before the page reloaded, and shows its result. */
  async reattach(summary: JobSummary | undefined): Promise<void> {
    await this.job.reattach(summary, (value) => this.show(value as GeneratorMetricsRecord))
  }

  private show(record: GeneratorMetricsRecord): void {
    if (record.model.hash === this.settingsFor) this.records = [record, ...this.records.filter((r) => r.id !== record.id)]
    this.selectedId = record.id
  }

  async load(info: ModelInfo): Promise<void> {
    try {
      const records = await studio().metrics.list({ modelHash: info.hash })
      if (this.settingsFor !== info.hash) return
      this.records = records
      this.listError = null
    } catch (e) {
      this.listError = errorMessage(e)
    }
  }

  /** What the form describes, or an error message. */
  request(info: ModelInfo): Input<'metrics:compute'> | string {
    const folder = this.realFolder.trim()
    if (!folder) return 'type the folder of real images to measure against'
    const truncations = parseTruncationList(this.truncationsText, info.semantics, info.truncation)
    if (typeof truncations === 'string') return truncations
    let extractor
    try {
      extractor = extractorSpec(this.extractor, this.extractorFolder)
    } catch (e) {
      return errorMessage(e)
    }
    return {
      extractor,
      realFolder: folder,
      n: this.fittedN.value,
      truncations,
      class: this.classIndex,
      seed: this.fittedSeed.value,
    }
  }

  /** The count and seed as the request sends them, each with a note when that is not what was typed. */
  get fittedN(): Fitted {
    return fitInt(this.n, METRICS_LIMITS.n.min, METRICS_LIMITS.n.max, 500)
  }

  get fittedSeed(): Fitted {
    return fitInt(this.seed, 0, METRICS_LIMITS.seedMax, 0)
  }

  async run(info: ModelInfo): Promise<void> {
    const request = this.request(info)
    if (typeof request === 'string') {
      this.job.error = request
      return
    }
    await this.job.run(async () => this.show(await studio().metrics.compute(request)))
  }

  async remove(id: number): Promise<void> {
    try {
      await studio().metrics.delete({ id })
      this.records = this.records.filter((r) => r.id !== id)
      if (this.selectedId === id) this.selectedId = null
    } catch (e) {
      this.listError = errorMessage(e)
    }
  }
}

export const metrics = new Metrics()
