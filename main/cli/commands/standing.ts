import { intOption, numberOption, stringOption, UsageError, type Command } from '../args.ts'
import { openModel } from '../engine.ts'

export const standing: Command = {
  name: 'standing',
  summary: "replace G's BatchNorm statistics by standing statistics (paper App. C.1)",
  usage: 'standing --model DIR [--out DIR] [--accumulations N] [--batch B] [--truncation T] [--seed S]',
  description: `
Averages G's batch moments over N fresh forwards (train-mode BatchNorm, random z and classes) and stores them
as its BatchNorm statistics, in the EMA generator where the model has one. Models with per-truncation rows get
each row accumulated at its own truncation; others with the sampler given by --truncation (the paper's
resampled threshold; default none). Writes the model back (to --out, or in place).`,
  options: [
    { name: 'model', value: 'DIR', help: 'a native model folder', required: true },
    { name: 'out', value: 'DIR', help: 'where to write the result (default: the model folder itself)' },
    { name: 'accumulations', value: 'N', help: 'forwards averaged per statistics row (default 16)' },
    { name: 'batch', value: 'B', help: 'batch size of each forward (default 16)' },
    { name: 'truncation', value: 'T', help: 'truncation threshold of z for one-row models (default none)' },
    { name: 'seed', value: 'S', help: 'random seed (default 0)' },
  ],
  async run({ args, backend, out }) {
    const { accumulateStandingStatistics } = await import('../../engine/train/standingStatistics.ts')
    const { saveModel } = await import('../../disk/modelFolder.ts')
    const dir = stringOption(args, 'model')!
    const t = numberOption(args, 'truncation')
    if (t !== undefined && !(t > 0)) throw new UsageError(`--truncation must be > 0, not ${t}`)
    const model = await openModel(dir, backend)
    try {
      const accumulations = intOption(args, 'accumulations') ?? 16
      const batch = intOption(args, 'batch') ?? 16
      if (accumulations < 1 || batch < 2) throw new UsageError('--accumulations must be ≥ 1 and --batch ≥ 2 (a variance needs two samples)')
      accumulateStandingStatistics(model.G, model.ema ?? model.params, model.config, {
        accumulations,
        batch,
        seed: intOption(args, 'seed') ?? 0,
        ...(t !== undefined ? { truncation: { kind: 'paper', threshold: t } } : {}),
      })
      const target = stringOption(args, 'out') ?? dir
      const manifest = await saveModel(model, target, {
        source: 'standing-statistics',
        from: model.manifest?.contentHash ?? dir,
        notes: `standing statistics: ${accumulations} × ${batch} per row${t !== undefined ? `, threshold ${t}` : ''}`,
      })
      out(`standing statistics written to ${target} (${model.ema ? 'EMA generator' : 'generator'}); content hash ${manifest.contentHash}`)
    } finally {
      model.dispose()
    }
  },
}
