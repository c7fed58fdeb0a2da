import { readFile } from 'node:fs/promises'
import { systemReason } from '../../data/errors.ts'
import { UsageError, type Command } from '../args.ts'
import { oneHot, openModel } from '../engine.ts'
import { openCommandInference, runtimeOption, runtimeRequest } from '../runtime.ts'

export const evalCommand: Command = {
  name: 'eval',
  summary: 'run the generator and discriminator on given inputs (safetensors in, safetensors out)',
  usage: 'eval --model DIR --in IN.safetensors --out OUT.safetensors',
  description: `
Runs the model in DIR on exactly the inputs in IN and writes the outputs to OUT, for parity checks against
other implementations. B is the batch size. z is used exactly as given (already scaled or truncated by the
caller); truncation only selects per-truncation BatchNorm statistics where the model has them.
IN holds:
  z           [B, zdim]      float32 latents
  y           [B, classes]   float32 class vectors (one-hot or mixtures), or instead
  classes     [B]            int class indices
  truncation  [1]            optional (float64 keeps HF's statistics rule exact)
  x           [B, H, W, 3]   optional real images, NHWC in [-1, 1], for d_logits
OUT holds:
  image          [B, H, W, 3]  generated images, NHWC in [-1, 1]
  d_logits       [B]           discriminator logits of x (when the model has D and IN has x)
  d_logits_fake  [B]           discriminator logits of the generated images (when the model has D)
G and D run on onnxruntime or TensorFlow.js: --runtime (or BIGGAN_RUNTIME) picks one; 'auto', the default, takes
the faster here, timed once per machine and model size. Both reproduce the reference fixtures within 1e-4.`,
  options: [
    { name: 'model', value: 'DIR', help: 'a native model folder', required: true },
    { name: 'in', value: 'IN.safetensors', help: 'the inputs (see above)', required: true },
    { name: 'out', value: 'OUT.safetensors', help: 'where to write the outputs', required: true },
    runtimeOption,
  ],
  async run({ args, backend, out }) {
    const { readSafetensors } = await import('../../checkpoints/safetensors.ts')
    const { fromFloat32, toFloat32, toFloat64, toInt32Array } = await import('../../tensors/convert.ts')
    const { writeSafetensorsFile } = await import('../../disk/safetensorsFile.ts')
    const inPath = args.options.in as string
    const runtime = runtimeRequest(args)
    let bytes: Uint8Array
    try {
      bytes = new Uint8Array(await readFile(inPath))
    } catch (e) {
      throw new UsageError(`cannot read --in ${inPath}: ${systemReason(e)}`)
    }
    const { tensors } = readSafetensors(bytes, inPath)
    const model = await openModel(args.options.model as string, backend)
    let inference: Awaited<ReturnType<typeof openCommandInference>> | undefined
    try {
      const { config } = model
      const need = (name: string, shape: (number | null)[]): Float32Array | undefined => {
        const t = tensors.get(name)
        if (!t) return undefined
        if (t.shape.length !== shape.length || shape.some((d, i) => d !== null && d !== t.shape[i])) {
          throw new UsageError(`${inPath}: '${name}' has shape [${t.shape}], expected [${shape.map((d) => d ?? 'B')}]`)
        }
        return toFloat32(t)
      }
      const z = need('z', [null, config.zDim])
      if (!z) throw new UsageError(`${inPath} has no 'z' [B, ${config.zDim}]`)
      const batch = z.length / config.zDim
      let y = need('y', [batch, config.numClasses])
      if (!y) {
        const c = tensors.get('classes')
        if (!c) throw new UsageError(`${inPath} needs 'y' [B, ${config.numClasses}] or 'classes' [B]`)
        if (c.shape.length !== 1 || c.shape[0] !== batch) throw new UsageError(`${inPath}: 'classes' must be [${batch}]`)
        const classes = toInt32Array(c, 'classes')
        const bad = classes.find((k) => k < 0 || k >= config.numClasses)
        if (bad !== undefined) throw new UsageError(`${inPath}: class ${bad} is outside 0..${config.numClasses - 1}`)
        y = oneHot(classes, config.numClasses)
      }
      const tRaw = tensors.get('truncation')
      const truncation = tRaw ? toFloat64(tRaw)[0] : undefined
      const r = config.resolution
      const x = need('x', [batch, r, r, 3])
      inference = await openCommandInference(model, runtime)
      const image = await inference.generate(z, y, truncation !== undefined ? { truncation } : {})
      const outputs: [string, ReturnType<typeof fromFloat32>][] = [['image', fromFloat32([batch, r, r, 3], image)]]
      if (model.hasDiscriminator) {
        if (x) outputs.push(['d_logits', fromFloat32([batch], await inference.discriminate(x, y))])
        outputs.push(['d_logits_fake', fromFloat32([batch], await inference.discriminate(image, y))])
      }
      const outPath = args.options.out as string
      await writeSafetensorsFile(outPath, { producer: 'biggan eval', model: model.manifest?.contentHash ?? '' }, outputs)
      out(`wrote ${outPath}: ${outputs.map(([name, t]) => `${name} [${t.shape}]`).join(', ')}, on ${inference.label}`)
    } finally {
      await inference?.dispose()
      model.dispose()
    }
  },
}
