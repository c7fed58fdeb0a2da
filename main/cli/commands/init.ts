import { intOption, stringOption, UsageError, type Command } from '../args.ts'
import { startBackend } from '../engine.ts'

export const init: Command = {
  name: 'init',
  summary: 'create a freshly initialised model folder',
  usage: 'init --arch biggan|biggan-deep --res R --ch C --classes N --out DIR',
  description: `
Builds a new, untrained BigGAN or BigGAN-deep generator and discriminator for R×R images with channel
multiplier C and N classes, initialised as in the paper (orthogonal), and writes them as a native model folder.
BigGAN gets a hierarchical z of 20 per chunk (one chunk per block, plus one), BigGAN-deep z = 128; both a shared
embedding of 128 and self-attention at 64×64 where the resolution has it.`,
  options: [
    { name: 'arch', value: 'biggan|biggan-deep', help: 'the architecture', required: true },
    { name: 'res', value: 'R', help: 'image resolution in pixels: 32, 64, 128, 256 or 512', required: true },
    {
      name: 'ch',
      value: 'C',
      help: "channel multiplier (the paper's ch: 96 for BigGAN at ImageNet scale, 128 for BigGAN-deep)",
      required: true,
    },
    { name: 'classes', value: 'N', help: 'number of classes', required: true },
    { name: 'out', value: 'DIR', help: 'the model folder to write', required: true },
    { name: 'seed', value: 'S', help: 'random seed of the initialisation (default 0)' },
    { name: 'attention', value: 'R', help: 'resolution of self-attention in G and D (default 64; 0 for none)' },
  ],
  async run({ args, backend, out }) {
    const { defaultConfig } = await import('../../engine/config.ts')
    const { saveModel } = await import('../../disk/modelFolder.ts')
    const { BigGANModel } = await import('../../engine/model.ts')
    const arch = stringOption(args, 'arch')
    if (arch !== 'biggan' && arch !== 'biggan-deep') throw new UsageError(`--arch must be biggan or biggan-deep, not '${arch}'`)
    const attention = intOption(args, 'attention')
    let config
    try {
      config = defaultConfig(arch, intOption(args, 'res')!, intOption(args, 'ch')!, intOption(args, 'classes')!, attention)
    } catch (e) {
      throw new UsageError((e as Error).message)
    }
    await startBackend(backend)
    const model = BigGANModel.initialise(config, intOption(args, 'seed') ?? 0)
    try {
      const dir = args.options.out as string
      const manifest = await saveModel(model, dir, { source: 'init', notes: `orthogonal initialisation, seed ${intOption(args, 'seed') ?? 0}` })
      const counts = model.parameterCounts()
      out(`initialised ${arch}-${config.resolution} (ch ${config.gChannels}, ${config.numClasses} classes) → ${dir}`)
      out(`  G ${counts.G.toLocaleString('en')} parameters, D ${counts.D.toLocaleString('en')}; content hash ${manifest.contentHash}`)
    } finally {
      model.dispose()
    }
  },
}
