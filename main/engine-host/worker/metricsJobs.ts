// Generator metrics in the worker: the open model's diversity–fidelity curve against a folder of real images
// in a named extractor's feature space, a thin step over main/engine/inspect (generatorMetrics.ts, realImages.ts) that
// reads the folder, measures, and saves the curve into the model folder's metrics/ where that folder is the user's.
// What crosses back is numbers and names; the extractor is opened for the request and freed after it.
import { stat } from 'node:fs/promises'
import { isAbsolute, relative, resolve } from 'node:path'
import { classNames } from '../../engine/classes.ts'
import { checkResolution, discriminatorExtractor, type FeatureExtractor } from '../../engine/inspect/extractors.ts'
import { defaultExtractorSpec, openExtractor } from '../../disk/extractors.ts'
import { diversityFidelityCurve, realFeatures, type DiversityFidelityCurve } from '../../engine/inspect/generatorMetrics.ts'
import { metricsFileName, saveMetrics } from '../../disk/metricsFiles.ts'
import { chooseRealImages } from '../../engine/inspect/realImages.ts'
import type { BigGANModel } from '../../engine/model.ts'
import { HostError } from '../protocol/errors.ts'
import type { Job } from './job.ts'
import type { ExtractorKind, ExtractorSpec, MetricsOperations } from '../protocol/metrics.ts'
import type { OpenModel } from './models.ts'
import { loadFolder } from './imageFolders.ts'

type MetricsHandlers = {
  [O in keyof MetricsOperations]: (request: { op: O } & MetricsOperations[O]['request'], job: Job) => Promise<MetricsOperations[O]['result']>
}

/** The worker's handlers of the generator-metrics operations, over the model it holds. */
export function metricsHandlers(current: () => OpenModel): MetricsHandlers {
  return {
    async metricsDefaultExtractor(request) {
      return { extractor: await defaultKind(current().model, request.resourcesDir) }
    },

    async metricsCurve(request, job) {
      const open = current()
      const { model } = open
      const { kind, extractor } = await openMetricsExtractor(model, request.extractor, request.resourcesDir)
      try {
        try {
          checkResolution(extractor, model.config.resolution)
        } catch (err) {
          throw new HostError('failed', messageOf(err))
        }
        const all = Array.from({ length: model.config.numClasses }, (_, i) => i)
        const classes = request.class === null ? all : [request.class]
        const dataset = await loadFolder(request.realDir, model.config.resolution, request.seed, job, 'real images read', {
          fraction: 0,
          min: 0,
          max: 0,
        })
        job.check()
        let reals: ReturnType<typeof chooseRealImages>
        try {
          const className = request.class === null ? undefined : classNames(model.config)[request.class]
          reals = chooseRealImages(dataset, { ...(className !== undefined ? { className } : {}), limit: request.realLimit, seed: request.seed })
        } catch (err) {
          throw new HostError('failed', messageOf(err))
        }
        const real = await realFeatures(extractor, reals.pixels, reals.count)
        job.check()
        const curve = await diversityFidelityCurve(model, extractor, real, {
          n: request.n,
          classes,
          seed: request.seed,
          truncations: request.truncations,
          realSource: { source: dataset.dir, contentHash: dataset.contentHash },
          comparison: { kid: { subsets: request.kidSubsets, seed: request.seed } },
          onProgress: (done, total) => {
            job.progress('images generated and measured', done, total)
            job.check()
          },
        })
        const saved = await saveBesideModel(open, request.resourcesDir, curve, metricsFileName(extractor, request.class === null ? 'all' : classes))
        const first = curve.points[0]
        return {
          extractor: { kind, name: extractor.name, hash: extractor.hash, dims: extractor.dims },
          real: { path: dataset.dir, hash: dataset.contentHash, count: reals.count },
          fakeCount: request.n,
          classes,
          k: { ...first.k },
          points: curve.points.map((p) => ({
            truncation: p.truncation,
            fd: p.fid,
            kid: { ...p.kid },
            precision: p.precision,
            recall: p.recall,
            density: p.density,
            coverage: p.coverage,
          })),
          note: curve.note,
          ...saved,
          warnings: [...dataset.warnings],
        }
      } finally {
        extractor.dispose()
      }
    },
  }
}

/** The kind 'default' stands for with this model: the bundled classifier for a model with its classes, else D. */
async function defaultKind(model: BigGANModel, resourcesDir: string): Promise<'classifier' | 'discriminator' | null> {
  const spec = await defaultExtractorSpec(model, resourcesDir)
  return spec === undefined ? null : spec === 'fashion-mnist' ? 'classifier' : 'discriminator'
}

/** Opens the extractor a request names (D is borrowed from the model; any other is loaded and owned). */
async function openMetricsExtractor(
  model: BigGANModel, spec: ExtractorSpec, resourcesDir: string,
): Promise<{ kind: ExtractorKind; extractor: FeatureExtractor }> {
  const chosen = spec === 'default' ? await defaultKind(model, resourcesDir) : spec
  if (chosen === null) {
    throw new HostError(
      'failed',
      'this model has no discriminator and the bundled Fashion-MNIST classifier does not know its classes: choose a ' +
        'TensorFlow.js or studio classifier folder as the extractor',
    )
  }
  if (chosen === 'discriminator') {
    if (!model.D) {
      throw new HostError(
        'failed',
        "the 'discriminator' extractor needs the model's D, and this model is generator-only: choose the bundled " +
          'classifier or a classifier folder',
      )
    }
    return { kind: 'discriminator', extractor: discriminatorExtractor(model) }
  }
  if (chosen === 'classifier') {
    try {
      return { kind: 'classifier', extractor: await openExtractor('fashion-mnist', { model, resourcesDir }) }
    } catch (err) {
      throw new HostError('failed', `the bundled Fashion-MNIST classifier could not be opened: ${messageOf(err)}`)
    }
  }
  const folder = resolve(chosen.folder)
  const isFolder = await stat(folder).then((s) => s.isDirectory(), () => false)
  if (!isFolder) {
    throw new HostError(
      'failed',
      `there is no folder ${folder}: choose the folder of a TensorFlow.js model (with model.json) or of a studio classifier (with config.json)`,
    )
  }
  try {
    return { kind: 'user', extractor: await openExtractor(folder, { model, resourcesDir }) }
  } catch (err) {
    throw new HostError('failed', `the extractor in ${folder} could not be opened: ${messageOf(err)}`)
  }
}

/** Writes the curve into <model>/metrics/ unless the model is part of the app's read-only resources; a failed write
 *  is reported, not fatal (the library keeps the numbers either way). */
async function saveBesideModel(
  open: OpenModel, resourcesDir: string, curve: DiversityFidelityCurve, file: string,
): Promise<{ savedTo: string | null; saveNote: string | null }> {
  if ((open.info.isDefault && !open.info.isRandom) || isInside(open.dir, resourcesDir)) {
    return { savedTo: null, saveNote: "not written beside the model: its folder is part of the app's read-only resources" }
  }
  try {
    return { savedTo: await saveMetrics(open.dir, curve, file), saveNote: null }
  } catch (err) {
    return { savedTo: null, saveNote: `not written beside the model: ${messageOf(err)}` }
  }
}

function isInside(path: string, folder: string): boolean {
  const r = relative(resolve(folder), resolve(path))
  return r === '' || (!r.startsWith('..') && !isAbsolute(r))
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
