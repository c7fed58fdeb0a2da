import { writeFile } from 'node:fs/promises'
import { intOption, numberOption, stringOption, UsageError, type Command } from '../args.ts'
import { oneHot, openModel } from '../engine.ts'
import { openCommandInference, runtimeOption, runtimeRequest } from '../runtime.ts'

export const sample: Command = {
  name: 'sample',
  summary: 'render a grid of samples of one class to a PNG',
  usage: 'sample --model DIR --class N|NAME --truncation T --seed S --n K [--upscale F --filter nearest|smooth] --out grid.png',
  description: `
Draws K truncated latents from seed S, generates K images of one class with the model in DIR, and writes them
as one PNG grid. The same model, class, truncation, seed and K give the same grid (on the same runtime).
Truncation has the semantics the model needs: models with per-truncation BatchNorm statistics (the released
BigGAN-deep weights) take z = T · TN(−2, 2) and T also selects the statistics, T in (0, 1]; other models take
the paper's truncated normal, values beyond ±T resampled. Without --truncation: none (T = 1 for the former).
G runs on onnxruntime or TensorFlow.js: --runtime (or BIGGAN_RUNTIME) picks one; 'auto', the default, takes the
faster here, timed once per machine and model size.
--upscale F writes the grid F times larger (F from 1 to 16): --filter nearest (the default) repeats each pixel as
an F×F block, smooth interpolates bilinearly; the PNG's record names the factor and filter.`,
  options: [
    { name: 'model', value: 'DIR', help: "a native model folder (from 'biggan import' or 'biggan init')", required: true },
    { name: 'class', value: 'N|NAME', help: "a class index, or a name from the model's class list", required: true },
    { name: 'truncation', value: 'T', help: 'truncation of the latents: smaller gives more typical, less varied images' },
    { name: 'seed', value: 'S', help: 'random seed (an integer, default 0)' },
    { name: 'n', value: 'K', help: 'number of samples in the grid (default 16)' },
    { name: 'columns', value: 'C', help: 'grid columns (default ⌈√K⌉)' },
    { name: 'upscale', value: 'F', help: 'enlarge the grid F times, 1 to 16 (default 1: as generated)' },
    { name: 'filter', value: 'nearest|smooth', help: "how --upscale enlarges: 'nearest' blocks (default) or 'smooth' (bilinear)" },
    { name: 'out', value: 'FILE', help: 'the PNG to write, e.g. grid.png', required: true },
    runtimeOption,
  ],
  async run({ args, backend, out }) {
    const { findClass, classNames } = await import('../../engine/classes.ts')
    const { Random } = await import('../../engine/sampling/random.ts')
    const { encodePng } = await import('../../images/png.ts')
    const { gridLayout, tileGrid } = await import('../../images/pixels.ts')
    const { toPixels } = await import('../../engine/pixels.ts')
    const { upscaleOf, upscaleRgb } = await import('../../images/upscale.ts')
    const n = intOption(args, 'n') ?? 16
    if (n < 1 || n > 1024) throw new UsageError(`--n must be between 1 and 1024, not ${n}`)
    const seed = intOption(args, 'seed') ?? 0
    const t = numberOption(args, 'truncation')
    const runtime = runtimeRequest(args)
    let upscale
    try {
      upscale = upscaleOf(intOption(args, 'upscale') ?? 1, stringOption(args, 'filter') ?? 'nearest')
    } catch (e) {
      throw new UsageError(`--upscale/--filter: ${(e as Error).message}`)
    }
    const model = await openModel(stringOption(args, 'model')!, backend)
    let inference: Awaited<ReturnType<typeof openCommandInference>> | undefined
    try {
      const { config } = model
      let cls: number
      try {
        cls = findClass(config, stringOption(args, 'class')!)
      } catch (e) {
        throw new UsageError((e as Error).message)
      }
      const policy = model.truncation
      const refused = t !== undefined ? policy.problem(t) : undefined
      if (refused) throw new UsageError(`--truncation: ${refused}`)
      const truncation = policy.of(t)
      inference = await openCommandInference(model, runtime)
      const z = policy.sample(new Random(seed), n, t)
      const y = oneHot(new Array<number>(n).fill(cls), config.numClasses)
      const images: Float32Array[] = []
      const batch = 16 // bounded batches keep memory flat for large K
      for (let i = 0; i < n; i += batch) {
        const k = Math.min(batch, n - i)
        images.push(
          await inference.generate(z.subarray(i * config.zDim, (i + k) * config.zDim), y.subarray(i * config.numClasses, (i + k) * config.numClasses), {
            truncation: policy.statisticsPsi(t),
          }),
        )
      }
      const all = new Float32Array(images.reduce((s, a) => s + a.length, 0))
      images.reduce((o, a) => (all.set(a, o), o + a.length), 0)
      const columns = intOption(args, 'columns') ?? Math.ceil(Math.sqrt(n))
      const tiled = tileGrid(toPixels(all), gridLayout(n, config.resolution, columns))
      const grid = upscaleRgb(tiled.rgb, tiled.width, tiled.height, upscale)
      const record = {
        model: model.manifest?.contentHash,
        class: cls,
        truncation,
        seed,
        n,
        runtime: inference.runtime,
        ...(upscale.factor > 1 ? { upscale } : {}),
      }
      const file = stringOption(args, 'out')!
      await writeFile(file, encodePng(grid.rgb, grid.width, grid.height, { 'biggan-sample': JSON.stringify(record) }))
      out(`wrote ${file}: ${n} samples of class ${cls} (${classNames(config)[cls]}), ${grid.width}×${grid.height}, on ${inference.label}`)
    } finally {
      await inference?.dispose()
      model.dispose()
    }
  },
}
