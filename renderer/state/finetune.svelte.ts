// Fine-tuning: the folder being scanned and the run being set up (target, method, steps, advanced settings and the
// engine's plan for them), the runs the library keeps, and the selected run's history — loaded with runs:get, then
// kept current by the 'training' events the back end pushes (App routes them here).
import type {
  DataScan,
  FinetuneMethod,
  FinetunePlan,
  Input,
  MetricsRecord,
  Run,
  StudioEvent,
  TrainingEvent,
  TrainingProgress,
} from '../../preload/contract/index.ts'
import { errorMessage, isQuiet } from '../lib/errors.ts'
import {
  AUGMENT_POLICIES,
  CONFIRM_STEPS,
  METHODS,
  parseOverrides,
  parseSteps,
  runTimeText,
  secondsPerStep,
  targetOf,
  type AdvancedForm,
  type AugmentPolicy,
  type TargetForm,
} from '../lib/finetuneForm.ts'
import { Latest } from '../lib/latest.ts'
import {
  addCheckpoint,
  addStep,
  alertLine,
  alertsFromMetrics,
  mergeRecord,
  type CheckpointRef,
  type RunAlert,
} from '../lib/runs.ts'
import { studio } from '../lib/studio.ts'
import { stored } from '../lib/viewState.ts'
import { model } from './model.svelte.ts'
import { notices } from './notices.svelte.ts'

export interface RunHistory {
  runId: number
  metrics: MetricsRecord[]
  /** records in metrics.jsonl (runs:get sends at most 2000 of them; live records are added to both) */
  metricsTotal: number
  checkpoints: CheckpointRef[]
  previews: number[]
  memorisation: number[]
  alerts: RunAlert[]
}

type Request = Input<'finetune:plan'>

const DEFAULT_KEEP = 10

class FinetuneState {
  // ——— the folder ———
  path = $state('')
  scan = $state.raw<DataScan | null>(null)
  scanning = $state(false)
  scanError = $state<string | null>(null)

  // ——— the run being set up ———
  target = $state<TargetForm>({ kind: 'folder', classIndex: null, newName: '' })
  /** null: the engine's default */
  method = $state<FinetuneMethod | null>(null)
  /** the steps as typed: parsed, never clamped (parseSteps) */
  stepsText = $state('1000')
  advanced = $state<AdvancedForm>({ values: {}, policies: null, mirror: 'default' })
  name = $state('')
  plan = $state.raw<FinetunePlan | null>(null)
  planning = $state(false)
  planError = $state<string | null>(null)
  starting = $state(false)
  startError = $state<string | null>(null)
  /** a long run waiting for the person's yes, with what its time will be */
  confirming = $state.raw<{ steps: number; time: string } | null>(null)

  // ——— runs ———
  runs = $state.raw<Run[]>([])
  runsLoading = $state(false)
  runsError = $state<string | null>(null)
  selectedId = $state<number | null>(null)
  history = $state.raw<RunHistory | null>(null)
  historyLoading = $state(false)
  historyError = $state<string | null>(null)
  /** the newest progress line of the run that trains */
  live = $state.raw<{ runId: number; progress: TrainingProgress } | null>(null)
  /** the action under way on the selected run ('pause', 'resume', 'cancel', 'open'), or a deletion ('delete') */
  acting = $state<string | null>(null)

  // ——— what the selected run's panels show ———
  /** the preview grid's step; null follows the newest */
  previewStep = $state<number | null>(null)
  /** the preview sample whose nearest training images are shown */
  sample = $state<number | null>(null)
  /** favourites re-rendered at each checkpoint */
  watchIds = $state<number[]>([])
  /** the watch timeline's checkpoint; null follows the newest */
  watchStep = $state<number | null>(null)

  private planLatest = new Latest()
  private historyLatest = new Latest()
  private pending: TrainingEvent[] = []
  private runsTimer: ReturnType<typeof setTimeout> | undefined

  get selected(): Run | null {
    return this.runs.find((r) => r.id === this.selectedId) ?? null
  }

  /** a run trains now (one at a time) */
  get busy(): boolean {
    return this.runs.some((r) => r.status === 'running' && r.active)
  }

  /** The method the form runs: the one chosen, else the plan's. */
  get effectiveMethod(): FinetuneMethod {
    return this.method ?? this.plan?.method ?? this.plan?.defaultMethod ?? 'adversarial'
  }

  /** The request the form makes, or what is wrong with it. */
  request(): { request: Request; fieldErrors: Record<string, string> } | { error: string; fieldErrors: Record<string, string> } {
    // the folder as scanned (absolute, links resolved): what the user saw is what trains
    const data = this.scan?.path ?? this.path.trim()
    if (!data) return { error: 'Give the path of an image folder.', fieldErrors: {} }
    const target = targetOf(this.target)
    if ('error' in target) return { error: target.error, fieldErrors: {} }
    const steps = parseSteps(this.stepsText)
    if ('error' in steps) return { error: steps.error, fieldErrors: { steps: steps.error } }
    const { overrides, errors } = parseOverrides(this.advanced, this.effectiveMethod)
    const bad = Object.entries(errors)
    if (bad.length > 0) return { error: `Advanced settings: ${bad.map(([k, e]) => `${k} ${e}`).join('; ')}.`, fieldErrors: errors }
    return {
      request: {
        data,
        target: target.target,
        ...(this.method ? { method: this.method } : {}),
        steps: steps.steps,
        ...(Object.keys(overrides).length > 0 ? { advanced: overrides } : {}),
      },
      fieldErrors: {},
    }
  }

  /** The folder and the form, as the page keeps them across reloads; the runs come back from the library. */
  snapshot(): Record<string, unknown> {
    return {
      path: this.path,
      scanned: this.scan?.path ?? null,
      target: this.target,
      method: this.method,
      stepsText: this.stepsText,
      advanced: this.advanced,
      name: this.name,
      selectedId: this.selectedId,
    }
  }

  /** The form as kept, and the folder scanned again (its files may have changed since). */
  restore(saved: Record<string, unknown>): void {
    this.path = stored.string(saved.path, this.path)
    const target = stored.object(saved.target)
    if (target) {
      this.target = {
        kind: stored.oneOf(target.kind, ['folder', 'existing', 'new'] as const, 'folder'),
        classIndex: Number.isInteger(target.classIndex) ? (target.classIndex as number) : null,
        newName: stored.string(target.newName, ''),
      }
    }
    this.method = METHODS.find((m) => m.id === saved.method)?.id ?? null
    // kept as typed (a refused value stays visible, with its reason); forms kept before that stored a number
    this.stepsText = typeof saved.stepsText === 'string' ? saved.stepsText : typeof saved.steps === 'number' ? String(saved.steps) : this.stepsText
    const advanced = stored.object(saved.advanced)
    if (advanced) {
      const values = stored.object(advanced.values) ?? {}
      this.advanced = {
        values: Object.fromEntries(Object.entries(values).filter(([, v]) => typeof v === 'string')),
        policies: Array.isArray(advanced.policies) ? (advanced.policies.filter((p) => AUGMENT_POLICIES.includes(p)) as AugmentPolicy[]) : null,
        mirror: stored.oneOf(advanced.mirror, ['default', 'on', 'off'] as const, 'default'),
      }
    }
    this.name = stored.string(saved.name, this.name)
    if (Number.isInteger(saved.selectedId)) this.selectedId = saved.selectedId as number
    if (typeof saved.scanned === 'string' && saved.scanned) {
      this.path = saved.scanned
      void this.scanFolder()
    }
  }

  // ——— scanning and planning ———

  async cancelScan(): Promise<void> {
    try {
      await studio().jobs.cancel({ job: 'data:scan' })
    } catch (e) {
      notices.fail('Could not cancel the scan', e)
    }
  }

  async scanFolder(): Promise<void> {
    const path = this.path.trim()
    if (!path) {
      this.scanError = 'Give the path of an image folder: one subfolder per class, or the images themselves.'
      return
    }
    this.scanning = true
    this.scanError = null
    try {
      this.scan = await studio().data.scan({ path })
      if (this.scan.classes.length !== 1 && this.target.kind !== 'folder') this.target = { ...this.target, kind: 'folder' }
    } catch (e) {
      if (!isQuiet(e)) this.scanError = errorMessage(e)
      this.scan = null
      this.plan = null
    } finally {
      this.scanning = false
    }
  }

  /** Asks the engine how the form's run would go; a newer call wins. */
  async replan(): Promise<void> {
    if (!this.scan) return
    const r = this.request()
    if ('error' in r) {
      this.planError = r.error
      this.planLatest.invalidate()
      this.planning = false
      return
    }
    this.planning = true
    try {
      const answer = await this.planLatest.run(() => studio().finetune.plan(r.request))
      if (!answer) return
      this.plan = answer.value
      this.planError = null
      this.planning = false
    } catch (e) {
      if (isQuiet(e)) return
      this.planError = errorMessage(e)
      this.planning = false
    }
  }

  /** Starts the run the form describes; a run of CONFIRM_STEPS or more first asks (confirming), with its time
   *  estimated from a run of the same model timed here, and starts on `confirmed`. */
  async start(confirmed = false): Promise<void> {
    const r = this.request()
    if ('error' in r) {
      this.startError = r.error
      return
    }
    if (!confirmed && r.request.steps >= CONFIRM_STEPS) {
      this.confirming = { steps: r.request.steps, time: await this.timeOf(r.request.steps) }
      return
    }
    this.confirming = null
    this.starting = true
    this.startError = null
    try {
      const name = this.name.trim()
      const run = await studio().finetune.start({ ...r.request, ...(name ? { name: name.slice(0, 200) } : {}) })
      this.upsert(run)
      this.name = ''
      await this.select(run.id)
      notices.push('info', `Run ${run.id} “${run.name}” trains: ${run.steps} steps.`)
    } catch (e) {
      if (!isQuiet(e)) this.startError = errorMessage(e)
    } finally {
      this.starting = false
    }
  }

  /** The estimated time of `steps` steps of the planned run, in words. */
  private async timeOf(steps: number): Promise<string> {
    const hash = model.info?.hash
    const timed = this.runs.find((r) => r.parent.hash === hash && r.step > 0) ?? null
    if (!this.plan || !timed) return runTimeText(steps, null, null)
    try {
      const d = await studio().runs.get({ id: timed.id })
      return runTimeText(steps, secondsPerStep(this.plan, { run: d.run, metrics: d.metrics }), `${timed.id} “${timed.name}”`)
    } catch {
      return runTimeText(steps, null, null)
    }
  }

  // ——— runs ———

  async loadRuns(): Promise<void> {
    this.runsLoading = true
    try {
      this.runs = await studio().runs.list()
      this.runsError = null
      if (this.selectedId === null && this.runs.length > 0) {
        void this.select((this.runs.find((r) => r.status === 'running') ?? this.runs[0]).id)
      }
    } catch (e) {
      this.runsError = errorMessage(e)
    } finally {
      this.runsLoading = false
    }
  }

  /** Opens a run: its history from runs:get, then its live events. */
  async select(id: number): Promise<void> {
    if (this.selectedId !== id) {
      this.selectedId = id
      this.previewStep = null
      this.sample = null
      this.watchStep = null
      this.history = null
    }
    this.pending = []
    this.historyLoading = true
    this.historyError = null
    try {
      const answer = await this.historyLatest.run(() => studio().runs.get({ id }))
      if (!answer || this.selectedId !== id) return
      const d = answer.value
      this.upsert(d.run)
      this.history = {
        runId: id,
        metrics: d.metrics,
        metricsTotal: d.metricsTotal,
        checkpoints: d.checkpoints,
        previews: d.previews,
        memorisation: d.memorisation,
        alerts: alertsFromMetrics(d.metrics),
      }
      const replay = this.pending
      this.pending = []
      for (const e of replay) this.apply(e)
      this.historyLoading = false
    } catch (e) {
      if (isQuiet(e) || this.selectedId !== id) return
      this.historyError = errorMessage(e)
      this.historyLoading = false
    }
  }

  async pause(): Promise<void> {
    await this.act('pause', (id) => studio().finetune.pause({ id }), (r) => `Run ${r.id} paused at step ${r.step}.`)
  }

  /** Continues the selected run; `steps` gives a new total (to train a finished run further). */
  async resume(steps?: number): Promise<void> {
    await this.act(
      'resume',
      (id) => studio().finetune.resume({ id, ...(steps !== undefined ? { steps } : {}) }),
      (r) => `Run ${r.id} trains again from step ${r.step}.`,
    )
  }

  async cancel(): Promise<void> {
    await this.act('cancel', (id) => studio().finetune.cancel({ id }), (r) => `Run ${r.id} cancelled at step ${r.step}; its checkpoints are kept.`)
  }

  /** Deletes a run that does not train: its row and its folder. */
  async remove(id: number): Promise<boolean> {
    if (this.acting) return false
    this.acting = 'delete'
    try {
      const gone = await studio().runs.delete({ id })
      this.runs = this.runs.filter((r) => r.id !== id)
      if (this.selectedId === id) {
        this.selectedId = null
        this.history = null
      }
      notices.push('info', `Run ${id} deleted${gone.folderRemoved ? `, with its folder ${gone.runDir}` : `; its folder ${gone.runDir} was left as it was`}.`)
      return true
    } catch (e) {
      notices.fail(`Could not delete run ${id}`, e)
      void this.loadRuns()
      return false
    } finally {
      this.acting = null
    }
  }

  /** Makes a checkpoint of the selected run the current model (it then shows in Models, with its provenance). */
  async open(which: 'best' | 'latest' | 'step', step?: number): Promise<boolean> {
    const id = this.selectedId
    if (id === null || this.acting) return false
    this.acting = 'open'
    try {
      const opened = await studio().runs.open({ id, which, ...(which === 'step' && step !== undefined ? { step } : {}) })
      model.setModel(opened.model)
      void model.refreshRecent()
      notices.push('info', `Opened step ${opened.step} of run ${id} as the current model “${opened.model.name}”: see Models.`)
      return true
    } catch (e) {
      notices.fail(`Could not open run ${id}`, e)
      return false
    } finally {
      this.acting = null
    }
  }

  private async act(what: string, call: (id: number) => Promise<Run>, done: (r: Run) => string): Promise<void> {
    const id = this.selectedId
    if (id === null || this.acting) return
    this.acting = what
    try {
      const run = await call(id)
      this.upsert(run)
      notices.push('info', done(run))
    } catch (e) {
      notices.fail(`Could not ${what} run ${id}`, e)
      void this.loadRuns()
    } finally {
      this.acting = null
    }
  }

  private upsert(run: Run): void {
    this.runs = this.runs.some((r) => r.id === run.id)
      ? this.runs.map((r) => (r.id === run.id ? run : r))
      : [run, ...this.runs].sort((a, b) => b.id - a.id)
  }

  private patch(id: number, patch: Partial<Run>): void {
    if (!this.runs.some((r) => r.id === id)) {
      this.refreshRunsSoon()
      return
    }
    this.runs = this.runs.map((r) => (r.id === id ? { ...r, ...patch } : r))
  }

  private refreshRunsSoon(): void {
    clearTimeout(this.runsTimer)
    this.runsTimer = setTimeout(() => void this.loadRuns(), 300)
  }

  // ——— events ———

  /** A back-end event: what a run reports as it trains. */
  handle(event: StudioEvent): void {
    if (event.type !== 'training' || !event.training) return
    const t = event.training
    const run = this.runs.find((r) => r.id === t.runId)
    const name = run ? `Run ${run.id} “${run.name}”` : `Run ${t.runId}`
    switch (t.kind) {
      case 'progress':
        if (t.progress) this.live = { runId: t.runId, progress: t.progress }
        break
      case 'status':
        if (t.status) {
          this.patch(t.runId, { status: t.status, active: t.status === 'running', ...(t.step !== undefined ? { step: t.step } : {}) })
          if (t.status !== 'running' && this.live?.runId === t.runId) this.live = null
          if (t.status === 'completed') notices.push('info', `${name} completed.`)
          if (t.status === 'failed') notices.push('error', `${name} failed${t.message ? `: ${t.message}` : ''}.`)
          if (t.status === 'interrupted') notices.push('warning', `${name} was interrupted${t.message ? `: ${t.message}` : ''}; it can be resumed.`)
          // the row holds more than the event (lastError, best step): read it again
          this.refreshRunsSoon()
        }
        break
      case 'checkpoint':
        if (t.step !== undefined) this.patch(t.runId, { step: t.step, ...(t.best ? { bestStep: t.step } : {}) })
        break
      case 'alert':
        if (t.alert) notices.push(t.alert.level === 'stop' ? 'error' : 'warning', `${name}, ${alertLine(t.alert)}.`)
        break
    }
    if (t.runId !== this.selectedId) return
    if (this.historyLoading) this.pending.push(t)
    else this.apply(t)
  }

  /** Adds an event of the selected run to its history. */
  private apply(t: TrainingEvent): void {
    const h = this.history
    if (!h || h.runId !== t.runId) return
    switch (t.kind) {
      case 'metrics':
        if (t.metrics) {
          const grew = !h.metrics.some((r) => r.step === t.metrics!.step)
          this.history = { ...h, metrics: mergeRecord(h.metrics, t.metrics), metricsTotal: h.metricsTotal + (grew ? 1 : 0) }
        }
        break
      case 'preview':
        if (t.step !== undefined) this.history = { ...h, previews: addStep(h.previews, t.step) }
        break
      case 'memorisation':
        if (t.step !== undefined) this.history = { ...h, memorisation: addStep(h.memorisation, t.step) }
        break
      case 'checkpoint':
        if (t.step !== undefined) {
          const keep = this.selected?.hyperparameters?.keepCheckpoints ?? DEFAULT_KEEP
          this.history = { ...h, checkpoints: addCheckpoint(h.checkpoints, t.step, t.best === true, keep) }
        }
        break
      case 'alert':
        if (t.alert) {
          const alert: RunAlert = { step: t.alert.step, level: t.alert.level, messages: t.alert.messages, action: t.alert.action }
          const same = (a: RunAlert): boolean => a.step === alert.step && a.level === alert.level && a.messages.join() === alert.messages.join()
          // the live alert says better what was done than the one rebuilt from the records
          this.history = { ...h, alerts: [...h.alerts.filter((a) => !same(a)), alert] }
        }
        break
    }
  }
}

export const finetune = new FinetuneState()

