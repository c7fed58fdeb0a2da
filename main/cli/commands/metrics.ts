import { intOption, stringOption, UsageError, type Command } from '../args.ts'
import { openModel } from '../engine.ts'
import { label, parseClasses, parseTruncations, progress } from './leakage.ts'

export const metrics: Command = {
  name: 'metrics',
  summary: 'FID, KID, precision/recall and density/coverage against a folder of real images, per truncation',
  usage: 'metrics --model DIR --data FOLDER [--extractor fashion-mnist|d|DIR] [--n N] [--truncations LIST] [--class X] [--out FILE.json]',
  description: `
Measures the model against the real images in FOLDER in the feature space of an extractor: the bundled
Fashion-MNIST classifier, the model's own discriminator ('d', biased towards its own generator: for monitoring),
or a TensorFlow.js or studio classifier folder. For each truncation: N generated images (spread evenly over the
classes, or all of --class X, 8-bit like the reals) against up to --real images of the folder (of class X's
subfolder with --class): Fréchet distance, KID (×10³, mean ± std over subsets of min(1000, N, reals) drawn
without replacement; the mean alone when a subset would be both sets whole), precision and recall (k = 3,
Kynkäänniemi et al. 2019), density and coverage (k = 5, Naeem et al. 2020). Together they are the diversity–
fidelity curve, saved as JSON in DIR/metrics/ (or --out) with the extractor's hash and the sample counts.
These are not Inception features: never compare the numbers with published FIDs, and compare FIDs only at equal
counts. Truncation values are the model's (see 'biggan sample --help'); 'none' draws z untruncated.`,
  options: [
    { name: 'model', value: 'DIR', help: 'a native model folder', required: true },
    { name: 'data', value: 'FOLDER', help: 'real images (JPEG, PNG, WebP; one subfolder per class, or one class)', required: true },
    {
      name: 'extractor',
      value: 'fashion-mnist|d|DIR',
      help: 'the feature space (default: fashion-mnist for a model with its classes, else d)',
    },
    { name: 'n', value: 'N', help: 'generated images per truncation (default 500)' },
    { name: 'real', value: 'N', help: 'real images used at most, drawn at random with the seed (default: N)' },
    { name: 'truncations', value: 'LIST', help: "comma-separated truncation values, 'none' for none (default 1,0.7,0.4)" },
    { name: 'class', value: 'X', help: 'one class (index or name): its samples against its subfolder (default: all classes)' },
    { name: 'seed', value: 'S', help: 'seed of the latents, the real subset and the KID subsets (default 0)' },
    { name: 'kid-subsets', value: 'N', help: 'KID subsets (default 100)' },
    { name: 'out', value: 'FILE.json', help: 'where to write the curve (default: DIR/metrics/diversity-fidelity_….json)' },
  ],
  async run(ctx) {
    const { args, backend, out, err } = ctx
    const { defaultExtractorSpec, openExtractor } = await import('../../disk/extractors.ts')
    const { checkResolution } = await import('../../engine/inspect/extractors.ts')
    const { diversityFidelityCurve, realFeatures } = await import('../../engine/inspect/generatorMetrics.ts')
    const { metricsFileName, saveMetrics } = await import('../../disk/metricsFiles.ts')
    const { writeJsonAtomic } = await import('../../disk/atomic.ts')
    const { loadImageFolder } = await import('../../data/dataset.ts')
    const { chooseRealImages } = await import('../../engine/inspect/realImages.ts')
    const { classNames } = await import('../../engine/classes.ts')
    const n = intOption(args, 'n') ?? 500
    if (n < 6 || n > 100_000) throw new UsageError(`--n must be between 6 and 100000 (recall needs more than k = 3 fakes), not ${n}`)
    const realLimit = intOption(args, 'real') ?? n
    if (realLimit < 6) throw new UsageError(`--real must be at least 6 (density/coverage need more than k = 5 reals), not ${realLimit}`)
    const seed = intOption(args, 'seed') ?? 0
    const kidSubsets = intOption(args, 'kid-subsets') ?? 100
    if (kidSubsets < 1) throw new UsageError(`--kid-subsets must be at least 1, not ${kidSubsets}`)
    const truncations = parseTruncations(stringOption(args, 'truncations') ?? '1,0.7,0.4', 'truncations')
    const modelDir = stringOption(args, 'model')!
    const dataDir = stringOption(args, 'data')!
    const model = await openModel(modelDir, backend)
    let extractor: Awaited<ReturnType<typeof openExtractor>> | undefined
    try {
      const classArg = stringOption(args, 'class')
      const classes = classArg === undefined ? await parseClasses(model, 'all') : await parseClasses(model, classArg)
      if (classes.length !== 1 && classArg !== undefined) throw new UsageError('--class takes one class')
      const spec = stringOption(args, 'extractor') ?? (await defaultExtractorSpec(model))
      if (spec === undefined) throw new UsageError('this model has no discriminator and the bundled classifier does not know its classes: give --extractor DIR')
      if ((spec === 'd' || spec === 'discriminator') && !model.D) {
        throw new UsageError("--extractor d needs the model's discriminator, and this model is generator-only: give --extractor fashion-mnist or a folder")
      }
      extractor = await openExtractor(spec, { model })
      try {
        checkResolution(extractor, model.config.resolution)
      } catch (e) {
        throw new UsageError((e as Error).message)
      }
      err(`extractor ${extractor.name} (${extractor.hash.slice(0, 12)}), ${extractor.dims}-d features`)

      const dataset = await loadImageFolder(dataDir, {
        resolution: model.config.resolution,
        seed,
        heldOut: { fraction: 0, min: 0, max: 0 },
        onProgress: (() => {
          const report = progress(ctx, 'real images read')
          return ({ done, total }: { done: number; total: number }) => report(done, total)
        })(),
      })
      for (const w of dataset.warnings) err(`warning: ${w}`)
      let reals: ReturnType<typeof chooseRealImages>
      try {
        reals = chooseRealImages(dataset, { ...(classArg !== undefined ? { className: classNames(model.config)[classes[0]] } : {}), limit: realLimit, seed })
      } catch (e) {
        throw new UsageError((e as Error).message)
      }
      const real = await realFeatures(extractor, reals.pixels, reals.count)

      const curve = await diversityFidelityCurve(model, extractor, real, {
        n,
        classes,
        seed,
        truncations,
        realSource: { source: dataset.dir, contentHash: dataset.contentHash },
        comparison: { kid: { subsets: kidSubsets, seed } },
        onPoint: (p) => err(`truncation ${label(p.truncation)}: FID ${p.fid.toFixed(3)}, precision ${p.precision.toFixed(3)}, recall ${p.recall.toFixed(3)}`),
      })
      const names = classNames(model.config)
      out(`model ${modelDir} (${model.manifest?.contentHash.slice(0, 12) ?? 'no hash'}); extractor ${extractor.name} (${extractor.hash.slice(0, 12)}), ${extractor.dims}-d`)
      out(`${reals.count} real images from ${dataset.dir}; ${n} generated per truncation; classes: ${classArg === undefined ? 'all' : names[classes[0]]}`)
      out('')
      out('| truncation | FID | KID ×10³ | precision | recall | density | coverage |')
      out('|---|---:|---:|---:|---:|---:|---:|')
      for (const p of curve.points) {
        out(
          `| ${label(p.truncation)} | ${p.fid.toFixed(3)} | ${(1000 * p.kid.mean).toFixed(3)}${p.kid.subsets > 1 ? ` ± ${(1000 * p.kid.std).toFixed(3)}` : ''} | ` +
            `${p.precision.toFixed(3)} | ${p.recall.toFixed(3)} | ${p.density.toFixed(3)} | ${p.coverage.toFixed(3)} |`,
        )
      }
      out('')
      out(`k = ${curve.points[0].k.precisionRecall} (precision/recall), ${curve.points[0].k.densityCoverage} (density/coverage). ${curve.note}`)
      const kid = curve.points[0].kid
      out(kid.subsets > 1
        ? `KID over ${kid.subsets} subsets of ${kid.subsetSize}.`
        : `KID from both sets whole (${kid.subsetSize} each): no smaller subsets to spread over, so no ±.`)
      const file = stringOption(args, 'out')
      const written = file
        ? await writeJsonAtomic(file, curve, 'write the generator metrics')
        : await saveMetrics(modelDir, curve, metricsFileName(extractor, classArg === undefined ? 'all' : classes))
      out(`wrote ${written}`)
    } finally {
      extractor?.dispose()
      model.dispose()
    }
  },
}
