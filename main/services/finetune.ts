// The fine-tune view's back end: the handlers of data:*, finetune:* and runs:*, over the training workers
// (engine-host/client/trainClient.ts) and the library's runs table. A run fine-tunes the model the engine has open (its
// native folder) on a worker of its own, into <dataDir>/runs/<id>-<name>/, a run folder the CLI reads and resumes
// too. The row in the library follows the run: 'running' while a worker trains it, then what it ended as; its step
// is the newest checkpoint's. One run trains at a time.
//
// Pausing and cancelling both stop the run at its next step with a checkpoint (run.json then says 'cancelled', as a
// Ctrl-C of the CLI does); the row keeps which one the user meant. A row left 'running' when the app stopped (a
// crash: no worker trains it any more) becomes 'interrupted' when the studio starts; it resumes from its newest
// checkpoint like a paused one.
import { rm } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { basename, isAbsolute, join, relative } from 'node:path'
import {
  StudioError,
  type Input,
  type ModelInfo,
  type Run,
  type RunStatus,
  type StudioEvent,
  type TrainingEvent,
} from '../../preload/contract/index.ts'
import type { Progress } from '../engine-host/client/engineClient.ts'
import { TrainClient, TrainWorkerGone } from '../engine-host/client/trainClient.ts'
import type { ModelRecord } from '../engine-host/protocol/engine.ts'
import type { KnownSteps, RunCompute, RunEvent, RunOutcome, RunStarted, TrainRequestOf, WatchedPoint } from '../engine-host/protocol/training.ts'
import type { Handlers } from '../ipc/router.ts'
import type { Library, StoredRun } from '../store/index.ts'
import {
  finetuneJob, memorisationView, metricsRecord, planView, progressView, runView, scanView, storedSettings,
} from './runViews.ts'

export interface FinetuneOptions {
  /** runs go to <dataDir>/runs */
  dataDir: string
  library: Library
  /** the model the engine has open: what a run fine-tunes, and whose resolution a scan decodes at */
  currentModel: () => ModelRecord | undefined
  /** opens a model folder as the current model, the way models:open does */
  openModel: (path: string) => Promise<ModelInfo>
  emit: (event: StudioEvent) => void
  /** how a run starting now computes (the settings service's training settings) */
  runCompute: () => RunCompute
}

type FinetuneChannel =
  | 'data:scan'
  | 'finetune:plan'
  | 'finetune:start'
  | 'finetune:pause'
  | 'finetune:resume'
  | 'finetune:cancel'
  | 'runs:list'
  | 'runs:delete'
  | 'runs:get'
  | 'runs:preview'
  | 'runs:memorisation'
  | 'runs:open'
  | 'runs:watch'

export interface Finetune {
  handlers: Pick<Handlers, FinetuneChannel>
  /** jobs:cancel for 'data:scan' and 'finetune:plan': true once it has stopped as cancelled; false when none runs
   *  or it finished first */
  cancelJob(job: string): Promise<boolean>
  /** Ends the training worker the way a crash would (crash-recovery tests and diagnostics). */
  crashRunForTesting(): void
  /** Pauses a training run (waiting up to `waitMs` for its checkpoint), then ends the workers. */
  close(waitMs?: number): Promise<void>
}

/** Records shown by runs:get at most. */
const MAX_METRICS = 2000
const THUMBNAILS_PER_CLASS = 4
const THUMBNAIL_PX = 64
const CLOSE_WAIT_MS = 60_000
const INTERRUPTED = 'the app stopped while this run was training; resume continues from its newest checkpoint'

interface ActiveRun {
  id: number
  /** what a stop means: the user paused or cancelled it */
  stopAs?: 'paused' | 'cancelled'
  /** settles once the row says how the run ended */
  ended: Promise<void>
}

export function createFinetune(options: FinetuneOptions): Finetune {
  const { library, emit } = options
  const runsDir = join(options.dataDir, 'runs')
  const client = new TrainClient()
  /** the run a worker trains, or the start / resume being set up */
  let active: ActiveRun | undefined
  let claimed = false

  // a row still 'running' has no worker any more: the app stopped while it trained
  try {
    library.interruptRuns(INTERRUPTED)
  } catch {
    // a read-only library: its rows stay as they are, and resuming them says why it cannot
  }

  const model = (): ModelRecord => {
    const m = options.currentModel()
    if (!m) throw new StudioError('failed', 'no model is open: open the model to fine-tune first')
    return m
  }
  const progressOf = (job: string) => (p: Progress) => emit({ type: 'progress', job, label: p.label, done: p.done, total: p.total })
  const training = (runId: number, event: Omit<TrainingEvent, 'runId'>): void =>
    emit({ type: 'training', training: { runId, ...event } })

  const toRun = (r: StoredRun): Run => runView(r, active?.id === r.id)
  const run = (id: number): StoredRun => library.getRun(id)

  const setStatus = (id: number, status: RunStatus, patch: Parameters<Library['updateRun']>[1] = {}, message?: string): void => {
    library.updateRun(id, { ...patch, status })
    training(id, { kind: 'status', status, ...(message ? { message } : {}) })
  }

  /** One run at a time: the claim is taken before anything is awaited, so two starts cannot both pass. */
  const claim = (): void => {
    if (claimed || active) {
      const busy = active ? run(active.id) : undefined
      throw new StudioError(
        'failed',
        busy
          ? `run ${busy.id} '${busy.name}' is training (step ${busy.step} of ${busy.steps}): pause or cancel it first; one run trains at a time`
          : 'another run is starting: one run trains at a time',
      )
    }
    claimed = true
  }

  /** Hands a run to a training worker; resolves once it trains (its 'started' event), rejects if it fails before. */
  const launch = async (id: number, request: TrainRequestOf<'start'> | TrainRequestOf<'resume'>, job: string): Promise<RunStarted> => {
    let onStarted: (e: RunStarted) => void = () => undefined
    const started = new Promise<RunStarted>((resolve) => (onStarted = resolve))
    let began = false
    const entry: ActiveRun = { id, ended: Promise.resolve() }
    active = entry
    const outcome = client.train(request, {
      onProgress: progressOf(job),
      onEvent: (event) => {
        if (event.kind === 'started') {
          began = true
          onRunStarted(id, event)
          onStarted(event)
        } else onRunEvent(id, event)
      },
    }, options.runCompute())
    const release = (): void => {
      if (active === entry) active = undefined
    }
    // released before the final status is told, so that whoever hears it finds the run no longer active
    entry.ended = outcome.then(
      (o) => {
        release()
        if (began) onRunEnded(id, o, entry.stopAs)
      },
      (err: unknown) => {
        release()
        if (began) onRunFailed(id, err)
      },
    )
    const endedFirst = outcome.then(() => {
      throw new StudioError('failed', 'the run ended before it started')
    })
    endedFirst.catch(() => undefined) // only the race below reads it
    try {
      return await Promise.race([started, endedFirst])
    } catch (err) {
      release()
      throw err
    }
  }

  const onRunStarted = (id: number, e: RunStarted): void => {
    library.updateRun(id, {
      status: 'running',
      settings: storedSettings(e),
      dataHash: e.dataHash,
      step: e.step,
      steps: e.steps,
      lastError: null,
    })
    training(id, { kind: 'status', status: 'running', step: e.step })
  }

  const onRunEvent = (id: number, e: Exclude<RunEvent, RunStarted>): void => {
    switch (e.kind) {
      case 'progress':
        return training(id, { kind: 'progress', step: e.progress.step, progress: progressView(e.progress) })
      case 'metrics':
        return training(id, { kind: 'metrics', step: e.line.step, metrics: metricsRecord(e.line) })
      case 'preview':
      case 'memorisation':
        return training(id, { kind: e.kind, step: e.step })
      case 'checkpoint':
        guarded(() => library.updateRun(id, { step: e.step, ...(e.best ? { bestStep: e.step } : {}) }))
        return training(id, { kind: 'checkpoint', step: e.step, best: e.best })
      case 'alert':
        return training(id, { kind: 'alert', step: e.step, alert: { step: e.step, level: e.level, messages: e.messages, action: e.action } })
    }
  }

  const onRunEnded = (id: number, o: RunOutcome, stopAs: ActiveRun['stopAs']): void => {
    const status: RunStatus = o.status === 'cancelled' ? (stopAs ?? 'paused') : o.status
    const why = o.reasons.length > 0 ? o.reasons.join('; ') : undefined
    guarded(() => setStatus(id, status, { step: o.step, bestStep: o.bestStep, lastError: why ?? null }, why))
  }

  const onRunFailed = (id: number, err: unknown): void => {
    const message = err instanceof Error ? err.message : String(err)
    // a worker that died takes no checkpoint with it: the run resumes from its newest one
    const status: RunStatus = err instanceof TrainWorkerGone ? 'interrupted' : 'failed'
    guarded(() => setStatus(id, status, { lastError: message }, message))
  }

  /** A library write from an event must not take the run down (a closed library at shutdown says why in a notice). */
  const guarded = (f: () => void): void => {
    try {
      f()
    } catch (err) {
      emit({ type: 'notice', level: 'warning', message: `The run's row in the library was not updated: ${(err as Error).message}` })
    }
  }

  /** What the library knows of a run's best/ and latest/ (a BSA run's models keep no training step of their own). */
  const known = (r: StoredRun): KnownSteps => ({ bestStep: r.bestStep, step: r.step })

  /** The model folder of the run's checkpoint at `step` (checkpoints/step-N, else best/ or latest/ where they hold it). */
  const checkpointDir = async (r: StoredRun, step: number): Promise<string> => {
    const { dir } = await client.call({ op: 'checkpoint', runDir: r.runDir, at: step, known: known(r) })
    if (dir === null) {
      throw new StudioError(
        'failed',
        `run ${r.id} has no checkpoint at step ${step}: it keeps its newest checkpoints and best/ (step ${r.bestStep ?? '—'}); runs:get lists them`,
      )
    }
    return dir
  }

  const handlers: Finetune['handlers'] = {
    'data:scan': async ({ path, seed }) => {
      const m = model()
      const scan = await client.call(
        { op: 'scan', path, resolution: m.resolution, seed: seed ?? 0, thumbnailsPerClass: THUMBNAILS_PER_CLASS },
        { job: 'data:scan', onProgress: progressOf('data:scan') },
      )
      return scanView(scan)
    },

    'finetune:plan': async (input) => {
      const planned = await client.call({ op: 'plan', job: finetuneJob(model(), input) }, { job: 'finetune:plan', onProgress: progressOf('finetune:plan') })
      return planView(planned)
    },

    'finetune:start': async ({ name, ...input }) => {
      claim()
      try {
        const m = model()
        const job = finetuneJob(m, input)
        // the plan checks every input before a row exists, and gives the row its method and settings
        const planned = await client.call({ op: 'plan', job }, { job: 'finetune:start', onProgress: progressOf('finetune:start') })
        const runName = name?.trim() || `${m.name}-${basename(planned.dataDir)}`
        const stored = library.createRun(
          {
            name: runName,
            status: 'running',
            method: planned.method,
            parent: { hash: m.hash, path: m.path, name: m.name },
            data: { path: planned.dataDir, contentHash: planned.contentHash },
            target: JSON.stringify(input.target),
            settings: storedSettings(planned),
            steps: planned.steps,
          },
          (id) => join(runsDir, `${id}-${folderName(runName)}`),
        )
        try {
          await launch(stored.id, { op: 'start', job, runDir: stored.runDir }, 'finetune:start')
        } catch (err) {
          library.deleteRun(stored.id) // nothing was written: the run folder is made just before it trains
          throw err
        }
        return toRun(run(stored.id))
      } finally {
        claimed = false
      }
    },

    'finetune:pause': async ({ id }) => {
      const entry = active
      if (!entry || entry.id !== id) {
        const r = run(id)
        throw new StudioError('failed', `run ${id} '${r.name}' is not training (it is ${r.status}): only a training run can pause`)
      }
      entry.stopAs ??= 'paused'
      client.stopRun()
      await entry.ended
      return toRun(run(id))
    },

    'finetune:resume': async ({ id, steps }) => {
      claim()
      try {
        const r = run(id)
        if (r.status === 'running') throw new StudioError('failed', `run ${id} '${r.name}' is training already`)
        if (steps === undefined && r.step >= r.steps) {
          throw new StudioError('failed', `run ${id} '${r.name}' has trained all its ${r.steps} steps: give a larger number of steps to train further`)
        }
        try {
          await launch(id, { op: 'resume', runDir: r.runDir, ...(steps !== undefined ? { steps } : {}) }, 'finetune:resume')
        } catch (err) {
          library.updateRun(id, { lastError: err instanceof Error ? err.message : String(err) })
          throw err
        }
        return toRun(run(id))
      } finally {
        claimed = false
      }
    },

    'finetune:cancel': async ({ id }) => {
      const entry = active
      if (entry && entry.id === id) {
        entry.stopAs = 'cancelled'
        client.stopRun()
        await entry.ended
        return toRun(run(id))
      }
      const r = run(id)
      if (r.status === 'completed' || r.status === 'cancelled') {
        throw new StudioError('failed', `run ${id} '${r.name}' is ${r.status} already`)
      }
      setStatus(id, 'cancelled')
      return toRun(run(id))
    },

    'runs:list': async () => library.listRuns().map(toRun),

    'runs:delete': async ({ id }) => {
      const r = run(id)
      if (active?.id === id || r.status === 'running') {
        throw new StudioError('failed', `run ${id} '${r.name}' is training: cancel it first, then delete it`)
      }
      const open = options.currentModel()
      if (open && isInside(open.path, r.runDir)) {
        throw new StudioError(
          'failed',
          `run ${id} '${r.name}' holds the open model (${open.path}): open another model first, then delete the run`,
        )
      }
      // the folder first: if it cannot be removed, the row stays to say where it is
      const removable = isInside(r.runDir, runsDir) && existsSync(r.runDir)
      if (removable) {
        try {
          await rm(r.runDir, { recursive: true, force: true })
        } catch (err) {
          throw new StudioError('failed', `run ${id}'s folder ${r.runDir} could not be removed (${(err as Error).message}): check its permissions, then delete again`)
        }
      }
      library.deleteRun(id)
      return { id, runDir: r.runDir, folderRemoved: removable }
    },

    'runs:get': async ({ id }) => {
      const r = run(id)
      const history = await client.call({ op: 'history', runDir: r.runDir, maxPoints: MAX_METRICS, known: known(r) })
      return { run: toRun(r), ...history, metrics: history.metrics.map(metricsRecord) }
    },

    'runs:preview': async ({ id, step }) => {
      const found = await client.call({ op: 'preview', runDir: run(id).runDir, step })
      if (!found) throw new StudioError('failed', `run ${id} has no preview at step ${step}: runs:get lists the steps it has`)
      return { png: found.png, grid: found.layout }
    },

    'runs:memorisation': async ({ id, step }) => {
      const r = run(id)
      const check = await client.call({ op: 'memorisation', runDir: r.runDir, step, dataDir: r.data.path, size: THUMBNAIL_PX })
      if (!check) throw new StudioError('failed', `run ${id} has no memorisation check at step ${step}: runs:get lists the steps it has`)
      return memorisationView(check)
    },

    'runs:open': async ({ id, which, step }) => {
      const r = run(id)
      let at: number
      let dir: string
      if (which === 'step') {
        if (step === undefined) throw new StudioError('bad-input', "runs:open with which 'step' needs the step")
        at = step
        dir = await checkpointDir(r, step)
      } else {
        const published = await client.call({ op: 'checkpoint', runDir: r.runDir, at: which, known: known(r) })
        if (published.dir === null) throw new StudioError('failed', `run ${id} has no ${which}/ checkpoint yet`)
        dir = published.dir
        at = which === 'best' ? (r.bestStep ?? r.step) : r.step
      }
      const opened = await options.openModel(dir)
      const view = toRun(r)
      return {
        model: opened,
        run: view,
        step: at,
        provenance: { parent: view.parent, data: view.data, method: view.method, hyperparameters: view.hyperparameters, bsa: view.bsa },
      }
    },

    'runs:watch': async ({ id, step, favouriteIds }) => {
      const r = run(id)
      const dir = await checkpointDir(r, step)
      const points: WatchedPoint[] = []
      const skipped: { id: number; reason: string }[] = []
      for (const favouriteId of favouriteIds) {
        try {
          const f = library.getFavourite(favouriteId)
          points.push({ id: f.id, z: f.z, y: f.y, truncation: f.truncation, semantics: f.semantics })
        } catch (err) {
          skipped.push({ id: favouriteId, reason: (err as Error).message })
        }
      }
      const result = await client.call({ op: 'watch', checkpointDir: dir, points }, { job: 'runs:watch' })
      return {
        step,
        rendered: result.rendered,
        skipped: [...skipped, ...result.skipped],
        images: { width: result.width, height: result.height, count: result.rendered.length, pixels: result.pixels },
      }
    },
  }

  return {
    handlers,
    cancelJob: (job) => client.cancel(job),
    crashRunForTesting: () => client.crashRunForTesting(),
    async close(waitMs = CLOSE_WAIT_MS) {
      const entry = active
      if (entry) {
        entry.stopAs ??= 'paused'
        client.stopRun()
        let timer: NodeJS.Timeout | undefined
        await Promise.race([entry.ended, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))])
        clearTimeout(timer)
      }
      await client.close()
      await entry?.ended
    },
  }
}

/** A run folder's name from free text: letters, digits, '.', '_' and '-' kept, the rest '-'. */
function folderName(text: string): string {
  const name = text
    .normalize('NFKC')
    .replace(/[^\p{L}\p{N}._-]+/gu, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[.-]+|[.-]+$/g, '')
    .slice(0, 80)
  return name || 'run'
}

/** `path` is `dir` or lies inside it. */
function isInside(path: string, dir: string): boolean {
  const rel = relative(dir, path)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}
