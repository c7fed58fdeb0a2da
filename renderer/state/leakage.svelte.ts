// The leakage view's state: the settings, the matrix per truncation (inspect:leakage), the open cell's images with
// their evidence and saliency (inspect:cell, inspect:saliency), and leakage over a run's checkpoints
// (inspect:leakageCheckpoints). A run or a measurement over checkpoints can be cancelled (jobs:cancel).
import type { JobSummary, JudgeSpec, LeakageReport, ModelInfo, Output, Run } from '../../preload/contract/index.ts'
import { errorMessage, isQuiet } from '../lib/errors.ts'
import { Latest } from '../lib/latest.ts'
import { cellPage, judgeSpec, type JudgeChoice } from '../lib/leakage.ts'
import { fitInt, type Fitted } from '../lib/numbers.ts'
import { studio } from '../lib/studio.ts'
import { parseTruncationList } from '../lib/truncations.ts'
import { stored } from '../lib/viewState.ts'
import { Job } from './job.svelte.ts'

export interface OpenCell {
  /** index into the report's truncations */
  t: number
  /** the row's model class, and the detected (judge's) column */
  intended: number
  detected: number
  /** every seed of the cell */
  seeds: number[]
  /** the page of seeds shown (CELL_PAGE at a time): the images of `result`, in order */
  page: number
  pages: number
  shown: number[]
  /** index of shown[0] among all seeds */
  first: number
  result: Output<'inspect:cell'> | null
  error: string | null
}

type Saliency = Output<'inspect:saliency'>


/** Seeds per cell of the matrix, and the largest first seed. */
export const LEAKAGE_LIMITS = { seeds: { min: 1, max: 1000 }, seedMax: 2 ** 31 } as const
class Leakage {
  classes = $state<number[]>([])
  seeds = $state(16)
  firstSeed = $state(0)
  truncationsText = $state('1, 0.7, 0.4')
  judge = $state<JudgeChoice>('default')
  folder = $state('')

  report = $state.raw<LeakageReport | null>(null)
  /** the judge the report was made with: cells and saliency ask the same one */
  private reportJudge: JudgeSpec = 'default'
  /** the matrices' measurement (inspect:leakage) */
  job = new Job('inspect:leakage', 'The leakage measurement')

  cell = $state.raw<OpenCell | null>(null)
  cellBusy = $state(false)
  showSaliency = $state(false)
  /** saliency per image of the open cell, by image index */
  saliency = $state.raw<Map<number, Saliency>>(new Map())
  saliencyError = $state<string | null>(null)
  private cellLatest = new Latest()

  runs = $state.raw<Run[]>([])
  runId = $state<number | null>(null)
  checkpoints = $state.raw<Output<'inspect:leakageCheckpoints'> | null>(null)
  /** the measurement over a run's checkpoints (inspect:leakageCheckpoints); its error also says why runs did not load */
  checkpointsJob = new Job('inspect:leakageCheckpoints', 'The measurement over checkpoints')

  private settingsFor: string | null = null
  /** the model the settings and results are for (restored after a reload: kept when that model opens again) */
  private formFor: string | null = null

  /** Fits the settings to a newly opened model: its first classes, and no results of another model. */
  adopt(info: ModelInfo): void {
    if (this.settingsFor === info.hash) return
    this.settingsFor = info.hash
    if (this.formFor === info.hash) return
    this.formFor = info.hash
    this.classes = Array.from({ length: Math.min(info.numClasses, 4) }, (_, i) => i)
    this.truncationsText = info.semantics === 'released' ? '1, 0.7, 0.4' : '2, 1, 0.5'
    this.report = null
    this.cell = null
    this.checkpoints = null
    this.job.error = null
  }

  /** The settings, as the page keeps them across reloads (the results come back from the back end's jobs). */
  snapshot(): Record<string, unknown> {
    return {
      modelHash: this.formFor,
      classes: this.classes,
      seeds: this.seeds,
      firstSeed: this.firstSeed,
      truncationsText: this.truncationsText,
      judge: this.judge,
      folder: this.folder,
      runId: this.runId,
    }
  }

  restore(saved: Record<string, unknown>): void {
    this.formFor = typeof saved.modelHash === 'string' ? saved.modelHash : null
    this.classes = stored.integers(saved.classes) ?? this.classes
    this.seeds = stored.number(saved.seeds, this.seeds)
    this.firstSeed = stored.number(saved.firstSeed, this.firstSeed)
    this.truncationsText = stored.string(saved.truncationsText, this.truncationsText)
    this.judge = stored.oneOf(saved.judge, ['default', 'classifier', 'discriminator', 'folder'] as const, this.judge)
    this.folder = stored.string(saved.folder, this.folder)
    this.runId = Number.isInteger(saved.runId) ? (saved.runId as number) : null
  }

  /** Follows the measurements running when the page reloaded, and shows the newest matrices and checkpoint curves
   *  again (the view's place: they are kept nowhere else). */
  async reattach(jobs: Map<string, JobSummary>): Promise<void> {
    await Promise.all([
      this.job.reattach(
        jobs.get('inspect:leakage'),
        (value) => {
          this.report = value as LeakageReport
          try {
            this.reportJudge = judgeSpec(this.judge, this.folder)
          } catch {
            this.reportJudge = 'default'
          }
        },
        true,
      ),
      this.checkpointsJob.reattach(jobs.get('inspect:leakageCheckpoints'), (value) => (this.checkpoints = value as Output<'inspect:leakageCheckpoints'>), true),
    ])
  }

  /** What the settings describe, or an error message. */
  request(info: ModelInfo): { classes: number[]; seeds: number; firstSeed: number; truncations: (number | null)[]; judge: JudgeSpec } | string {
    if (this.classes.length === 0) return 'choose at least one class'
    const truncations = parseTruncationList(this.truncationsText, info.semantics, info.truncation)
    if (typeof truncations === 'string') return truncations
    let judge: JudgeSpec
    try {
      judge = judgeSpec(this.judge, this.folder)
    } catch (e) {
      return errorMessage(e)
    }
    return {
      classes: [...this.classes],
      seeds: this.fittedSeeds.value,
      firstSeed: this.fittedFirstSeed.value,
      truncations,
      judge,
    }
  }

  /** The seeds per cell and the first seed as the request sends them, each with a note when not as typed. */
  get fittedSeeds(): Fitted {
    return fitInt(this.seeds, LEAKAGE_LIMITS.seeds.min, LEAKAGE_LIMITS.seeds.max, 16)
  }

  get fittedFirstSeed(): Fitted {
    return fitInt(this.firstSeed, 0, LEAKAGE_LIMITS.seedMax, 0)
  }

  async run(info: ModelInfo): Promise<void> {
    const request = this.request(info)
    if (typeof request === 'string') {
      this.job.error = request
      return
    }
    this.cell = null
    await this.job.run(async () => {
      this.report = await studio().inspect.leakage(request)
      this.reportJudge = request.judge
    })
  }

  /** Opens a cell at a page of its seeds: renders those samples with the judge's evidence for each. */
  async openCell(t: number, row: number, detected: number, page = 0): Promise<void> {
    const report = this.report
    if (!report) return
    const at = report.truncations[t]
    const intended = report.classes[row].index
    const seeds = at.seeds[row][detected]
    const shown = cellPage(seeds, page)
    const ticket = this.cellLatest.next()
    this.cell = { t, intended, detected, seeds, page: shown.page, pages: shown.pages, shown: shown.seeds, first: shown.first, result: null, error: null }
    this.saliency = new Map()
    this.saliencyError = null
    if (seeds.length === 0) return
    this.cellBusy = true
    try {
      const result = await studio().inspect.cell({
        class: intended,
        seeds: shown.seeds,
        truncation: at.truncation,
        k: 3,
        judge: this.reportJudge,
      })
      if (this.cellLatest.isCurrent(ticket)) this.cell = { ...this.cell!, result }
      if (this.showSaliency) void this.loadSaliency()
    } catch (e) {
      if (this.cellLatest.isCurrent(ticket) && !isQuiet(e)) this.cell = { ...this.cell!, error: errorMessage(e) }
    } finally {
      if (this.cellLatest.isCurrent(ticket)) this.cellBusy = false
    }
  }

  /** The open cell at another page of its seeds. */
  async cellPageTo(page: number): Promise<void> {
    const cell = this.cell
    const report = this.report
    if (!cell || !report) return
    const row = report.classes.findIndex((c) => c.index === cell.intended)
    if (row >= 0) await this.openCell(cell.t, row, cell.detected, page)
  }

  closeCell(): void {
    this.cellLatest.invalidate()
    this.cell = null
    this.cellBusy = false
  }

  toggleSaliency(): void {
    this.showSaliency = !this.showSaliency
    if (this.showSaliency) void this.loadSaliency()
  }

  /** Saliency of the detected (foreign) class for each image of the open cell, one request at a time. */
  async loadSaliency(): Promise<void> {
    const cell = this.cell
    const report = this.report
    if (!cell?.result || !report) return
    const truncation = report.truncations[cell.t].truncation
    const count = cell.result.images.count
    for (let i = 0; i < count; i++) {
      if (this.cell?.result !== cell.result) return
      if (this.saliency.has(i)) continue
      try {
        const s = await studio().inspect.saliency({
          sample: { class: cell.intended, seed: cell.shown[i], truncation },
          class: cell.detected,
          judge: this.reportJudge,
        })
        if (this.cell?.result !== cell.result) return
        this.saliency = new Map(this.saliency).set(i, s)
      } catch (e) {
        if (isQuiet(e)) return
        this.saliencyError = errorMessage(e)
        return
      }
    }
  }

  async loadRuns(): Promise<void> {
    try {
      this.runs = await studio().runs.list()
      if (this.runId === null && this.runs.length > 0) this.runId = this.runs[0].id
    } catch (e) {
      this.checkpointsJob.error = errorMessage(e)
    }
  }

  async runCheckpoints(info: ModelInfo): Promise<void> {
    const request = this.request(info)
    if (typeof request === 'string') {
      this.checkpointsJob.error = request
      return
    }
    const runId = this.runId
    if (runId === null) {
      this.checkpointsJob.error = 'choose a run'
      return
    }
    await this.checkpointsJob.run(async () => {
      this.checkpoints = await studio().inspect.leakageCheckpoints({ ...request, runId })
    })
  }
}

export const leakage = new Leakage()
