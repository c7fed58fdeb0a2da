// A run folder: everything one run writes, crash-safe, laid out as layout.ts says. Both kinds of run write through
// it: a training loop's (train, and the adversarial fine-tunes) and BSA's (bsa.ts); its sink turns what the loop
// produces into files (metrics lines, preview PNGs, copying checks, checkpoint model folders).
//
// Protocol: a checkpoint is written into `checkpoints/.step-N.tmp-…/` (each file fsync'd by the writers), the
// folder fsync'd and renamed to `step-N/`, the parent fsync'd. latest/ and best/ are rebuilt beside themselves
// (`.latest.tmp-…`) and swapped in with two renames (latest → latest.old, tmp → latest); a crash between the two
// leaves `latest.old`, which opening the run puts back. Leftover temporary folders are removed on open. So
// every folder named step-N, latest or best is complete; a crash loses at most what came after the last checkpoint.
import { randomBytes } from 'node:crypto'
import {
  copyFile, link, mkdir, open, readdir, readFile, rename, rm, stat, writeFile, type FileHandle,
} from 'node:fs/promises'
import { join } from 'node:path'
import { fsyncDir } from '../disk/safetensorsFile.ts'
import { saveModel } from '../disk/modelFolder.ts'
import { readManifest } from '../disk/nativeFormat.ts'
import type { Provenance } from '../engine/manifest.ts'
import type { TrainingSink } from '../engine/train/loop.ts'
import type { JsonValue } from '../engine/train/monitor.ts'
import { checkTrainSettings, type TrainMode, type TrainSettings } from '../engine/train/settings.ts'
import {
  checkpointDir, checkpointsDir, memorisationDir, memorisationFile, metricsFile, previewFile, previewsDir, runFormat,
  runInfoFile, runPaths, stepName, stepOfName,
} from './layout.ts'
import type { ExecutorRecord } from './executorNames.ts'
import { previewPng } from './preview.ts'

export type RunStatus = 'running' | 'completed' | 'stopped' | 'cancelled' | 'failed'

/** What every run.json holds, whatever adapted the model: a training loop (RunInfo) or BSA (bsa.ts). */
export interface RunRecord {
  format: typeof runFormat
  version: 1
  kind: TrainMode
  /** how a fine-tune adapted its model (finetune/chooseMethod.ts); absent for 'train' and older runs */
  method?: 'adversarial' | 'new-class' | 'fresh-d' | 'bsa'
  status: RunStatus
  createdAt: string
  updatedAt: string
  data: {
    dir: string
    contentHash: string
    /** the folder's class names, index = folder label */
    classes: string[]
    /** model class of each folder class */
    classMap: number[]
    train: number
    heldOut: number
  }
  /** the model a fine-tune started from */
  parent: { dir: string; contentHash: string } | null
  model: { arch: string; resolution: number; gChannels: number; dChannels: number; numClasses: number }
  /** steps in the newest checkpoint */
  step: number
  bestStep: number | null
  /** why the monitor stopped it, or what failed */
  reasons: string[]
  /** what computes the steps (runs of the training loop; absent: TensorFlow.js, before the choice existed) */
  executor?: ExecutorRecord
}

/** run.json of a run the training loop trains. */
export interface RunInfo extends RunRecord {
  settings: TrainSettings
}

/** What a new run's run.json starts from; the folder adds the rest. */
export type NewRun<I extends RunRecord> = Omit<I, 'format' | 'version' | 'status' | 'createdAt' | 'updatedAt' | 'step' | 'bestStep' | 'reasons'>
export type NewRunInfo = NewRun<RunInfo>

/** How a kind of run reads its run.json: checks what is its own (settings), and says how many checkpoints to keep. */
export interface RunKind<I extends RunRecord> {
  /** throws what is wrong with the run.json `info` (its format and version are checked already) */
  check(info: I, path: string): void
  keepCheckpoints(info: I): number
}

const trainingRun: RunKind<RunInfo> = {
  check: (info) => checkTrainSettings(info.settings),
  keepCheckpoints: (info) => info.settings.keepCheckpoints,
}

/** What a run refused, by what the person can do about it. */
export type RunErrorCode =
  | 'not-empty' // a new run's folder holds something (or a run already)
  | 'not-a-run' // no run.json, or one this version does not read
  | 'invalid' // settings the run cannot take
  | 'other-images' // the image folder is not the one the run trained on
  | 'no-checkpoint' // nothing to resume from
  | 'steps-below' // a new total below the steps already trained
  | 'complete' // a resume with nothing left to train
  | 'cancelled' // stopped before training began
  | 'io' // the file system refused

export class RunError extends Error {
  override readonly name = 'RunError'
  constructor(
    readonly code: RunErrorCode,
    message: string,
    readonly path?: string,
  ) {
    super(path ? `${message} (${path})` : message)
  }
}

export class RunFolder<I extends RunRecord = RunInfo> {
  private metricsFile: FileHandle | undefined

  private constructor(
    readonly dir: string,
    public info: I,
    private readonly kind: RunKind<I>,
  ) {}

  /** A new training run in `dir`, which must not exist or be empty. */
  static create(dir: string, info: NewRunInfo): Promise<RunFolder> {
    return RunFolder.createOf(dir, info, trainingRun)
  }

  /** An existing training run: reads run.json, finishes or undoes whatever a crash interrupted. */
  static open(dir: string): Promise<RunFolder> {
    return RunFolder.openOf(dir, trainingRun)
  }

  /** A new run of another kind (BSA) in `dir`, which must not exist or be empty. */
  static async createOf<I extends RunRecord>(dir: string, info: NewRun<I>, kind: RunKind<I>): Promise<RunFolder<I>> {
    const existing: string[] = await readdir(dir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? [] : Promise.reject(e)))
    if (existing.length > 0) {
      throw new RunError(
        'not-empty',
        existing.includes(runPaths.info)
          ? 'this folder already holds a run: continue it with --resume, or choose another --out'
          : 'this folder is not empty: choose a new or empty folder for the run',
        dir,
      )
    }
    const now = new Date().toISOString()
    const run = new RunFolder<I>(dir, {
      format: runFormat, version: 1, status: 'running', createdAt: now, updatedAt: now, step: 0, bestStep: null, reasons: [], ...info,
    } as unknown as I, kind)
    await mkdir(checkpointsDir(dir), { recursive: true })
    await mkdir(previewsDir(dir), { recursive: true })
    await run.writeInfo()
    run.metricsFile = await open(metricsFile(dir), 'a')
    return run
  }

  /** An existing run of a kind: reads run.json, finishes or undoes whatever a crash interrupted. */
  static async openOf<I extends RunRecord>(dir: string, kind: RunKind<I>): Promise<RunFolder<I>> {
    const path = runInfoFile(dir)
    let info: I
    try {
      info = JSON.parse(await readFile(path, 'utf8')) as I
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code
      throw new RunError('not-a-run', code === 'ENOENT' ? 'no run.json here: this is not a training run folder' : `run.json is unreadable: ${(e as Error).message}`, dir)
    }
    if (info?.format !== runFormat || info.version !== 1) throw new RunError('not-a-run', `run.json is not a version 1 '${runFormat}' file`, path)
    kind.check(info, path)
    const run = new RunFolder<I>(dir, info, kind)
    await run.recover()
    run.metricsFile = await open(metricsFile(dir), 'a')
    return run
  }

  /** The newest complete checkpoint folders, newest first (names step-N whose config.json reads). */
  async checkpoints(): Promise<{ step: number; dir: string }[]> {
    const names = await readdir(checkpointsDir(this.dir)).catch(() => [] as string[])
    const found: { step: number; dir: string }[] = []
    for (const name of names) {
      const step = stepOfName(name)
      if (step === undefined) continue
      const dir = join(checkpointsDir(this.dir), name)
      try {
        await readManifest(dir)
        found.push({ step, dir })
      } catch {
        // not a complete checkpoint (cannot happen through this writer): skip it, an older one serves
      }
    }
    return found.sort((a, b) => b.step - a.step)
  }

  async update(patch: Partial<Pick<RunRecord, 'status' | 'step' | 'bestStep' | 'reasons'>> | Partial<Omit<I, 'format' | 'version' | 'createdAt'>>): Promise<void> {
    this.info = { ...this.info, ...patch, updatedAt: new Date().toISOString() } as I
    await this.writeInfo()
  }

  /** Drops metrics lines after `step` (logged after the checkpoint a resume starts from), so the log stays one run's. */
  async truncateMetrics(step: number): Promise<void> {
    await this.metricsFile?.close()
    const path = metricsFile(this.dir)
    const text = await readFile(path, 'utf8').catch(() => '')
    const kept = text.split('\n').filter((line) => {
      if (line.trim() === '') return false
      try {
        return (JSON.parse(line) as { step: number }).step <= step
      } catch {
        return false // a line torn by a crash
      }
    })
    await writeAtomic(path, kept.map((l) => `${l}\n`).join(''))
    this.metricsFile = await open(path, 'a')
  }

  /** What each checkpoint's provenance records besides its source: the parent model, the images, the run folder. */
  get lineage(): Pick<Provenance, 'from' | 'parent' | 'data' | 'run'> {
    const { parent, data, method } = this.info
    return {
      ...(parent ? { from: parent.dir, parent } : {}),
      data: { dir: data.dir, contentHash: data.contentHash },
      run: { dir: this.dir, ...(method ? { method } : {}) },
    }
  }

  /** The sink the loop writes through. `hooks.afterWrite` runs once a checkpoint's files are written and before
   *  anything is renamed (tests inject crashes there). */
  sink(hooks: { afterWrite?: (tmp: string) => Promise<void> | void } = {}): TrainingSink {
    return {
      metrics: async (line: { [key: string]: JsonValue }) => {
        await this.metricsFile!.write(`${JSON.stringify(line)}\n`)
      },
      preview: async (step, samples) => {
        await writeAtomic(previewFile(this.dir, step), previewPng(samples))
      },
      memorisation: async (step, result) => {
        await mkdir(memorisationDir(this.dir), { recursive: true })
        await writeAtomic(memorisationFile(this.dir, step), `${JSON.stringify(result)}\n`)
      },
      checkpoint: async (step, checkpoint, { best }) => {
        await this.metricsFile!.sync()
        const root = checkpointsDir(this.dir)
        const target = checkpointDir(this.dir, step)
        const tmp = join(root, `.${stepName(step)}.tmp-${randomBytes(4).toString('hex')}`)
        const { model, optimiser, state, source, notes } = checkpoint
        try {
          await saveModel(model, tmp, { source, notes, ...this.lineage }, state, optimiser)
          await fsyncDir(tmp)
          await hooks.afterWrite?.(tmp)
          await replaceDir(tmp, target)
        } catch (err) {
          await rm(tmp, { recursive: true, force: true })
          throw err
        }
        await writeAtomic(join(root, runPaths.pointer), `${stepName(step)}\n`)
        await this.publish(target, runPaths.latest)
        if (best) await this.publish(target, runPaths.best)
        await this.prune()
        await this.update({ step, ...(best ? { bestStep: step } : {}) })
      },
    }
  }

  async close(): Promise<void> {
    await this.metricsFile?.sync().catch(() => undefined)
    await this.metricsFile?.close()
    this.metricsFile = undefined
  }

  /** Rebuilds `name` (latest/ or best/) from a checkpoint's files: hard links, or copies where links fail. */
  private async publish(checkpoint: string, name: string): Promise<void> {
    const tmp = join(this.dir, `.${name}.tmp-${randomBytes(4).toString('hex')}`)
    try {
      await mkdir(tmp)
      for (const file of await readdir(checkpoint)) {
        await link(join(checkpoint, file), join(tmp, file)).catch(() => copyFile(join(checkpoint, file), join(tmp, file)))
      }
      await fsyncDir(tmp)
      await replaceDir(tmp, join(this.dir, name))
    } catch (err) {
      await rm(tmp, { recursive: true, force: true })
      throw err
    }
  }

  /** Keeps the newest `keepCheckpoints` checkpoints. */
  private async prune(): Promise<void> {
    const all = await this.checkpoints()
    for (const old of all.slice(this.kind.keepCheckpoints(this.info))) await rm(old.dir, { recursive: true, force: true })
  }

  /** Undoes what a crash interrupted: a swap caught between its renames, temporary folders, torn files. */
  private async recover(): Promise<void> {
    for (const parent of [this.dir, checkpointsDir(this.dir), previewsDir(this.dir)]) {
      for (const name of await readdir(parent).catch(() => [] as string[])) {
        const path = join(parent, name)
        const old = /^(.+)\.old$/.exec(name)
        if (old) {
          if (await exists(join(parent, old[1]))) await rm(path, { recursive: true, force: true })
          else await rename(path, join(parent, old[1]))
        } else if (/\.tmp-[0-9a-f]+$/.test(name)) {
          await rm(path, { recursive: true, force: true })
        }
      }
    }
    await mkdir(checkpointsDir(this.dir), { recursive: true })
    await mkdir(previewsDir(this.dir), { recursive: true })
  }

  private async writeInfo(): Promise<void> {
    await writeAtomic(runInfoFile(this.dir), `${JSON.stringify(this.info, null, 2)}\n`)
  }
}

/** `tmp` becomes `target`, replacing a previous one; a crash between the two renames leaves `target.old`. */
async function replaceDir(tmp: string, target: string): Promise<void> {
  const old = `${target}.old`
  await rm(old, { recursive: true, force: true })
  const had = await exists(target)
  if (had) await rename(target, old)
  await rename(tmp, target)
  await fsyncDir(join(target, '..'))
  // best effort: a reader may hold a file open (Windows refuses then); the next swap or open removes it
  if (had) await rm(old, { recursive: true, force: true }).catch(() => undefined)
}

/** Writes a file beside its target, fsyncs it and renames it into place. */
async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`
  try {
    await writeFile(tmp, data, { flush: true })
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw new RunError('io', `cannot write ${path}: ${(err as Error).message}`)
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}
