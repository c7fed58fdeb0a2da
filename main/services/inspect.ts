// The class-leakage inspection's back end: the handlers of inspect:*, over the engine worker that holds the
// model (engine-host/inspectJobs.ts does the work there, tfjs included). Here: checking requests against the open
// model, naming jobs for progress and cancellation, and finding a run's folder for leakage over its checkpoints.
import { StudioError, type Input, type JudgeSpec, type Point, type StudioEvent } from '../../preload/contract/index.ts'
import type { ModelRecord } from '../engine-host/protocol/engine.ts'
import type { EngineClient, Progress } from '../engine-host/client/engineClient.ts'
import type { Handlers } from '../ipc/router.ts'
import type { Library } from '../store/index.ts'
import { packPoint, truncationProblem } from './points.ts'

export interface InspectOptions {
  engine: EngineClient
  library: Library
  /** the bundled classifier is <resourcesDir>/fashion-mnist-classifier */
  resourcesDir: string
  emit: (event: StudioEvent) => void
}

type InspectChannel = 'inspect:evidence' | 'inspect:leakage' | 'inspect:leakageCheckpoints' | 'inspect:saliency' | 'inspect:cell'

/** The jobs jobs:cancel knows them by. */
export const INSPECT_JOBS = {
  evidence: 'inspect:evidence',
  leakage: 'inspect:leakage',
  checkpoints: 'inspect:leakageCheckpoints',
  saliency: 'inspect:saliency',
  cell: 'inspect:cell',
} as const

const DEFAULT_K = 5

export function createInspect(options: InspectOptions): { handlers: Pick<Handlers, InspectChannel> } {
  const { engine, library, resourcesDir, emit } = options
  const progressOf = (job: string) => (p: Progress) => emit({ type: 'progress', job, label: p.label, done: p.done, total: p.total })

  const model = (): ModelRecord => {
    const m = engine.model
    if (!m) throw new StudioError('failed', 'no model is open: open a model (or the default model) first')
    return m
  }

  /** Checks the classes and truncations of a leakage request against the open model. */
  const leakageOf = (input: Input<'inspect:leakage'>, m: ModelRecord) => {
    for (const c of input.classes) {
      if (c >= m.numClasses) throw new StudioError('bad-input', `class ${c} does not exist: ${m.name} has classes 0–${m.numClasses - 1}`)
    }
    if (input.classes.length === 0) throw new StudioError('bad-input', 'choose at least one class')
    if (new Set(input.classes).size !== input.classes.length) throw new StudioError('bad-input', 'a class is chosen twice')
    if (input.truncations.length === 0) throw new StudioError('bad-input', 'choose at least one truncation')
    checkTruncations(m, input.truncations)
    return {
      classes: [...input.classes],
      seeds: input.seeds,
      firstSeed: input.firstSeed ?? 0,
      truncations: [...input.truncations],
      judge: judgeOf(input.judge),
      resourcesDir,
    }
  }

  const handlers: Pick<Handlers, InspectChannel> = {
    'inspect:evidence': async ({ point, k, judge }) => {
      const packed = packPoint(model(), point)
      return engine.call(
        { op: 'inspectEvidence', point: packed, k: k ?? DEFAULT_K, judge: judge ?? 'discriminator', resourcesDir },
        { job: INSPECT_JOBS.evidence, view: INSPECT_JOBS.evidence, transfer: [packed.z.buffer, packed.y.buffer] as ArrayBuffer[] },
      )
    },

    'inspect:leakage': async (input) => {
      const request = leakageOf(input, model())
      return engine.call({ op: 'inspectLeakage', ...request }, { job: INSPECT_JOBS.leakage, onProgress: progressOf(INSPECT_JOBS.leakage) })
    },

    'inspect:leakageCheckpoints': async ({ runId, folders, ...input }) => {
      const request = leakageOf(input, model())
      const dirs = [...(folders ?? [])]
      if (runId !== undefined) {
        try {
          dirs.unshift(library.getRun(runId).runDir)
        } catch (err) {
          throw new StudioError('failed', `run ${runId} is not in the library: ${err instanceof Error ? err.message : String(err)}`)
        }
      }
      if (dirs.length === 0) throw new StudioError('bad-input', 'name a run (runId) or model folders (folders) to measure')
      const { checkpoints } = await engine.call(
        { op: 'inspectCheckpoints', ...request, folders: dirs },
        { job: INSPECT_JOBS.checkpoints, onProgress: progressOf(INSPECT_JOBS.checkpoints) },
      )
      return { truncations: request.truncations, checkpoints }
    },

    'inspect:saliency': async ({ point, sample, class: k, judge }) => {
      const m = model()
      if ((point === undefined) === (sample === undefined)) {
        throw new StudioError('bad-input', 'give either a point or a leakage sample (class, seed, truncation), not both')
      }
      if (sample) {
        if (sample.class >= m.numClasses) throw new StudioError('bad-input', `class ${sample.class} does not exist: ${m.name} has classes 0–${m.numClasses - 1}`)
        checkTruncations(m, [sample.truncation])
      }
      const packed = point ? packPoint(m, point as Point) : undefined
      return engine.call(
        {
          op: 'inspectSaliency',
          class: k,
          judge: judgeOf(judge),
          resourcesDir,
          ...(packed ? { point: packed } : {}),
          ...(sample ? { sample: { ...sample } } : {}),
        },
        { job: INSPECT_JOBS.saliency, view: INSPECT_JOBS.saliency, ...(packed ? { transfer: [packed.z.buffer, packed.y.buffer] as ArrayBuffer[] } : {}) },
      )
    },

    'inspect:cell': async ({ class: cls, seeds, truncation, k, judge }) => {
      const m = model()
      if (cls >= m.numClasses) throw new StudioError('bad-input', `class ${cls} does not exist: ${m.name} has classes 0–${m.numClasses - 1}`)
      if (seeds.length === 0) throw new StudioError('bad-input', 'a cell needs at least one seed')
      checkTruncations(m, [truncation])
      const { width, height, count, pixels, ...rest } = await engine.call(
        { op: 'inspectCell', class: cls, seeds: [...seeds], truncation, k: k ?? DEFAULT_K, judge: judgeOf(judge), resourcesDir },
        { job: INSPECT_JOBS.cell, view: INSPECT_JOBS.cell },
      )
      return { images: { width, height, count, pixels }, ...rest }
    },
  }
  return { handlers }
}

function judgeOf(judge: JudgeSpec | undefined): JudgeSpec {
  if (judge === undefined) return 'default'
  return typeof judge === 'string' ? judge : { folder: judge.folder }
}

/** Null (none) fits every model: for a 'released' one it is ψ = 1. */
function checkTruncations(m: ModelRecord, truncations: readonly (number | null)[]): void {
  for (const t of truncations) {
    const problem = t === null ? undefined : truncationProblem(m, t)
    if (problem) throw new StudioError('bad-input', problem)
  }
}
