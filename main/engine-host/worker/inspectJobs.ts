// Class-leakage inspection in the worker: D's class evidence for a point's image, the leakage matrix over
// truncations and over a run's checkpoints, saliency, and a leakage cell's images. Each is a thin step over
// main/engine/inspect; what crosses back is typed arrays and numbers. A judge other than D (the bundled classifier, a
// user's folder) is loaded here, once, and kept until another is asked for: its weights never reach the main thread.
import { argmaxRows } from '../../engine/inspect/classifier.ts'
import { classNames } from '../../engine/classes.ts'
import { classRank, imageEvidence, topClasses } from '../../engine/inspect/evidence.ts'
import { discriminatorExtractor, matchClasses, type FeatureExtractor } from '../../engine/inspect/extractors.ts'
import { defaultExtractorSpec, openExtractor } from '../../disk/extractors.ts'
import { leakageMatrix, leakageSamples, quantise, type LeakageReport } from '../../engine/inspect/leakage.ts'
import { checkpointFolders, leakageOverCheckpoints } from '../../runs/leakage.ts'
import { saliency } from '../../engine/inspect/saliency.ts'
import type { BigGANModel } from '../../engine/model.ts'
import { toPixels } from '../../engine/pixels.ts'
import { rgbToRgba } from '../../images/raster.ts'
import type { IntendedRank, InspectOperations, JudgeInfo, JudgeSpec, LeakageMatrixRequest, LeakageResult } from '../protocol/inspect.ts'
import { HostError } from '../protocol/errors.ts'
import type { Job } from './job.ts'
import type { OpenModel } from './models.ts'
import type { PackedPoint } from '../protocol/points.ts'
import { renderRgb } from './render.ts'

type InspectHandlers = {
  [O in keyof InspectOperations]: (request: { op: O } & InspectOperations[O]['request'], job: Job) => Promise<InspectOperations[O]['result']>
}

/** A judge ready to use: `route` as leakageMatrix takes it, `extractor` for scores and saliency. */
interface Judge {
  route: FeatureExtractor | 'discriminator'
  extractor: FeatureExtractor
}

/** The one loaded classifier judge, by what opened it. */
let cached: { key: string; extractor: FeatureExtractor } | undefined

/** The judge 'default' stands for: the bundled classifier for a model whose classes it knows, else D. */
async function defaultJudge(model: BigGANModel, resourcesDir: string): Promise<'classifier' | 'discriminator'> {
  const spec = await defaultExtractorSpec(model, resourcesDir)
  if (spec === undefined) {
    throw new HostError(
      'failed',
      'this model has no discriminator and the bundled Fashion-MNIST classifier does not know its classes: choose a classifier folder as the judge',
    )
  }
  return spec === 'fashion-mnist' ? 'classifier' : 'discriminator'
}

/** Opens the judge `spec` names for `model` (D is borrowed, a classifier is loaded once and kept). */
export async function openJudge(model: BigGANModel, spec: JudgeSpec, resourcesDir: string): Promise<Judge> {
  const resolved = spec === 'default' ? await defaultJudge(model, resourcesDir) : spec
  const chosen = resolved === 'classifier' ? 'fashion-mnist' : resolved
  if (chosen === 'discriminator') {
    if (!model.D) {
      throw new HostError(
        'failed',
        "the judge 'discriminator' needs the model's D, and this model is generator-only (the released BigGAN-deep " +
          'weights have none): choose the bundled classifier or a classifier folder',
      )
    }
    return { route: 'discriminator', extractor: discriminatorExtractor(model) }
  }
  const key = typeof chosen === 'string' ? `spec:${chosen}` : `folder:${chosen.folder}`
  if (cached?.key !== key) {
    const extractor = await openExtractor(typeof chosen === 'string' ? chosen : chosen.folder, { model, resourcesDir }).catch((err: unknown) => {
      throw new HostError('failed', `the judge could not be opened: ${err instanceof Error ? err.message : String(err)}`)
    })
    if (!extractor.classify || !extractor.classes) {
      extractor.dispose()
      throw new HostError('failed', `${extractor.name} has no class outputs, so it cannot say which class an image shows: choose a classifier`)
    }
    cached?.extractor.dispose()
    cached = { key, extractor }
  }
  return { route: cached.extractor, extractor: cached.extractor }
}

/** The judge as the contract shows it. */
function judgeInfo(e: FeatureExtractor): JudgeInfo {
  const count = e.classes?.count ?? 0
  return {
    name: e.name,
    hash: e.hash,
    scoreKind: e.scoreKind ?? 'probability',
    classes: Array.from({ length: count }, (_, i) => e.classes?.names?.[i] ?? `class ${i}`),
  }
}

function report(r: LeakageReport): LeakageResult {
  return {
    judge: { ...r.judge, classes: [...r.judge.classes] },
    model: { ...r.model },
    classes: r.classes.map((c) => ({ ...c })),
    classMatch: r.classMatch,
    seeds: [...r.seeds],
    truncations: r.truncations.map((t) => ({
      truncation: t.truncation,
      counts: t.counts,
      seeds: t.seeds,
      leakage: t.leakage,
      perClass: t.perClass,
    })),
  }
}

/** leakageMatrix's options from a request, its progress told to the job and its cancellation checked after each batch. */
function leakageOptions(request: LeakageMatrixRequest, job: Job, label: string) {
  return {
    classes: request.classes,
    seeds: request.seeds,
    firstSeed: request.firstSeed,
    truncations: request.truncations,
    onProgress: (done: number, total: number) => {
      job.progress(label, done, total)
      job.check()
    },
  }
}

/** One rendered point in [−1, 1], exactly as the studio shows it (8-bit): [1, R, R, 3]. */
async function pointImage(open: OpenModel, point: PackedPoint, job: Job): Promise<Uint8Array> {
  const points = { count: 1, z: point.z, y: point.y, truncation: Float64Array.of(point.truncation) }
  return renderRgb(open, points, job)
}

/** The class a one-hot y asks for (null for a blend) and where the judge ranks it: D's classes are the model's own,
 *  a classifier's are matched by name, else by index (as the leakage matrix matches them). */
function intendedRank(model: BigGANModel, judge: Judge, y: Float32Array, scores: Float32Array): IntendedRank | null {
  const hot = y.findIndex((v) => v !== 0)
  if (hot < 0 || y[hot] !== 1 || y.some((v, i) => i !== hot && v !== 0)) return null
  const names = classNames(model.config)
  let column: number
  if (judge.route === 'discriminator') column = hot
  else {
    try {
      column = matchClasses(model.config.classNames, judge.extractor.classes?.names, scores.length).map[hot]
    } catch {
      column = -1
    }
  }
  const known = column >= 0 && column < scores.length
  return { class: hot, name: names[hot] ?? `class ${hot}`, column: known ? column : null, rank: known ? classRank(scores, column) : null }
}

/** The worker's handlers of the inspection operations, over the model it holds. */
export function inspectHandlers(current: () => OpenModel): InspectHandlers {
  return {
    async inspectEvidence(request, job) {
      const open = current()
      const { model } = open
      const judge = await openJudge(model, request.judge === 'default' ? 'discriminator' : request.judge, request.resourcesDir)
      // a classifier of another resolution is refused before G runs: a large model's render is not spent on it
      if (judge.route !== 'discriminator') checkJudgeResolution(judge.extractor, model)
      const rgb = await pointImage(open, request.point, job)
      job.check()
      const scores =
        judge.route === 'discriminator'
          ? await imageEvidence(model, rgb, 1)
          : await judge.extractor.classify!(Float32Array.from(rgb, (p) => p / 127.5 - 1))
      const info = judgeInfo(judge.extractor)
      const intended = intendedRank(model, judge, request.point.y, scores)
      return { judge: info, top: topClasses(scores, info.classes, request.k), scores: Float32Array.from(scores), intended }
    },

    async inspectLeakage(request, job) {
      const { model } = current()
      const judge = await openJudge(model, request.judge, request.resourcesDir)
      return report(await leakageMatrix(model, judge.route, leakageOptions(request, job, 'samples judged')))
    },

    async inspectCheckpoints(request, job) {
      const dirs: string[] = []
      for (const folder of request.folders) {
        try {
          dirs.push(...(await checkpointFolders(folder)))
        } catch (err) {
          throw new HostError('failed', err instanceof Error ? err.message : String(err))
        }
      }
      job.check()
      // a classifier judges every checkpoint alike; D is each checkpoint's own (leakageMatrix borrows it per model)
      const spec = request.judge === 'default' ? await defaultJudge(current().model, request.resourcesDir) : request.judge
      const route = spec === 'discriminator' ? 'discriminator' : (await openJudge(current().model, spec, request.resourcesDir)).route
      // progress over all checkpoints at once: each one judges the same number of samples
      let measured = 0
      const options = {
        ...leakageOptions(request, job, ''),
        onProgress: (done: number, total: number) => {
          job.progress(`checkpoint ${measured + 1} of ${dirs.length}: samples judged`, measured * total + done, dirs.length * total)
          job.check()
        },
      }
      const results = await leakageOverCheckpoints(dirs, route, options, () => measured++)
      return {
        checkpoints: results.map((r) => ({ dir: r.dir, step: r.step, contentHash: r.contentHash, leakage: [...r.leakage], report: report(r.report) })),
      }
    },

    async inspectSaliency(request, job) {
      const open = current()
      const { model } = open
      const judge = await openJudge(model, request.judge, request.resourcesDir)
      checkJudgeResolution(judge.extractor, model)
      let image: Float32Array
      if (request.sample) {
        const { class: cls, seed, truncation } = request.sample
        image = quantise(await leakageSamples(model, cls, [seed], truncation))
      } else if (request.point) {
        image = Float32Array.from(await pointImage(open, request.point, job), (p) => p / 127.5 - 1)
      } else throw new HostError('bad-input', 'saliency needs a point or a leakage sample')
      job.check()
      const s = await saliency(judge.extractor, image, request.class)
      return { resolution: s.resolution, map: s.map, score: s.score, maxGradient: s.maxGradient, class: s.class, judge: judgeInfo(judge.extractor) }
    },

    async inspectCell(request, job) {
      const { model } = current()
      const judge = await openJudge(model, request.judge, request.resourcesDir)
      checkJudgeResolution(judge.extractor, model)
      const r = model.config.resolution
      // as leakageMatrix judges them: generated by the engine, then quantised to 8 bits
      const images = await leakageSamples(model, request.class, request.seeds, request.truncation)
      job.check()
      const pixels = toPixels(images)
      const info = judgeInfo(judge.extractor)
      const count = request.seeds.length
      const k = info.classes.length
      const scores = await judge.extractor.classify!(Float32Array.from(pixels, (p) => p / 127.5 - 1))
      const top = Array.from({ length: count }, (_, i) => topClasses(scores.subarray(i * k, (i + 1) * k), info.classes, request.k))
      return { width: r, height: r, count, pixels: rgbToRgba(pixels), judge: info, top, detected: Array.from(argmaxRows(scores, k)) }
    },
  }
}

function checkJudgeResolution(extractor: FeatureExtractor, model: BigGANModel): void {
  if (extractor.resolution !== model.config.resolution) {
    throw new HostError(
      'failed',
      `${extractor.name} takes ${extractor.resolution}×${extractor.resolution} images and this model makes ` +
        `${model.config.resolution}×${model.config.resolution}: choose a judge of the model's resolution`,
    )
  }
}
