// Generator metrics' back end: the handlers of metrics:*, over the engine worker that holds the model
// (engine-host/metricsJobs.ts measures there, tfjs included) and the library that keeps every measurement with its
// extractor's hash and the sample counts. Here: checking requests against the open model, naming the job for progress
// and cancellation, and storing what came back.
import { StudioError, type Input, type StudioEvent } from '../../preload/contract/index.ts'
import type { ModelRecord } from '../engine-host/protocol/engine.ts'
import type { EngineClient, Progress } from '../engine-host/client/engineClient.ts'
import type { MetricsCurveRequest } from '../engine-host/protocol/metrics.ts'
import type { Handlers } from '../ipc/router.ts'
import type { Library } from '../store/index.ts'

export interface MetricsOptions {
  engine: EngineClient
  library: Library
  /** the bundled classifier is <resourcesDir>/fashion-mnist-classifier; models in it are read-only */
  resourcesDir: string
  emit: (event: StudioEvent) => void
}

type MetricsChannel = 'metrics:defaultExtractor' | 'metrics:compute' | 'metrics:list' | 'metrics:delete'

/** The job jobs:cancel knows a measurement by. */
export const METRICS_JOB = 'metrics:compute'

const DEFAULT_SEED = 0
const DEFAULT_KID_SUBSETS = 100

export function createMetrics(options: MetricsOptions): { handlers: Pick<Handlers, MetricsChannel> } {
  const { engine, library, resourcesDir, emit } = options

  const model = (): ModelRecord => {
    const m = engine.model
    if (!m) throw new StudioError('failed', 'no model is open: open a model (or the default model) first')
    return m
  }

  /** The worker's request from the channel's input, checked against the open model. */
  const requestOf = (input: Input<'metrics:compute'>, m: ModelRecord): MetricsCurveRequest => {
    const cls = input.class ?? null
    if (cls !== null && cls >= m.numClasses) {
      throw new StudioError('bad-input', `class ${cls} does not exist: ${m.name} has classes 0–${m.numClasses - 1}`)
    }
    if (input.truncations.length === 0) throw new StudioError('bad-input', "choose at least one truncation ('none' for z untruncated)")
    const keys = input.truncations.map((t) => String(t))
    if (new Set(keys).size !== keys.length) throw new StudioError('bad-input', 'a truncation is chosen twice')
    if (m.semantics === 'released') {
      const bad = input.truncations.find((t) => t !== null && t > 1)
      if (bad !== undefined) {
        throw new StudioError('bad-input', `truncation ${bad}: ${m.name} selects BatchNorm statistics by truncation, so use values in (0, 1]`)
      }
    }
    const folder = input.realFolder.trim()
    if (folder === '') throw new StudioError('bad-input', 'type the folder of real images to measure against')
    return {
      extractor: input.extractor ?? 'default',
      realDir: folder,
      n: input.n,
      realLimit: input.realLimit ?? input.n,
      truncations: [...input.truncations],
      class: cls,
      seed: input.seed ?? DEFAULT_SEED,
      kidSubsets: input.kidSubsets ?? DEFAULT_KID_SUBSETS,
      resourcesDir,
    }
  }

  const handlers: Pick<Handlers, MetricsChannel> = {
    'metrics:defaultExtractor': async () => {
      model()
      return engine.call({ op: 'metricsDefaultExtractor', resourcesDir })
    },

    'metrics:compute': async (input) => {
      const m = model()
      const request = requestOf(input, m)
      const r = await engine.call(
        { op: 'metricsCurve', ...request },
        { job: METRICS_JOB, onProgress: (p: Progress) => emit({ type: 'progress', job: METRICS_JOB, label: p.label, done: p.done, total: p.total }) },
      )
      return library.saveGeneratorMetrics({
        model: { hash: m.hash, path: m.path, name: m.name },
        extractor: r.extractor,
        real: r.real,
        fakeCount: r.fakeCount,
        class: request.class,
        settings: {
          truncations: request.truncations,
          seed: request.seed,
          realLimit: request.realLimit,
          kidSubsets: request.kidSubsets,
          k: r.k,
        },
        points: r.points,
        note: r.note,
        savedTo: r.savedTo,
        saveNote: r.saveNote,
        warnings: r.warnings,
      })
    },

    'metrics:list': async ({ modelHash }) => library.listGeneratorMetrics(modelHash ?? model().hash),

    'metrics:delete': async ({ id }) => ({ deleted: library.deleteGeneratorMetrics(id) }),
  }
  return { handlers }
}
