import { intOption, stringOption, switchOption, UsageError, type Command } from '../args.ts'
import { startBackend } from '../engine.ts'
import { loadData, resumeRun, startRun, trainingOptions, trainOptionsFromArgs } from './train.ts'

export const finetune: Command = {
  name: 'finetune',
  summary: 'fine-tune a model with its discriminator on an image folder (FreezeD, DiffAugment + ADA, EMA)',
  usage: 'finetune --model DIR --data FOLDER --steps N --out RUN [--class N|NAME] [options]',
  description: `
Adversarial fine-tuning of a model folder that has a discriminator (finetune-metrics §2): the lowest --freeze-d
D blocks stay fixed (FreezeD), DiffAugment runs on everything D sees with ADA adapting its strength towards
r_t = 0.6, G and D train with Adam at a quarter of BigGAN's rates, and the EMA of G is what latest/ and best/
render. The folder's classes must be the model's class names (one subfolder per class), or --class maps a
one-class folder onto one existing class. Models without a discriminator (the released BigGAN-deep weights)
cannot be fine-tuned this way yet: generator-only adaptation comes next.
RUN is laid out as for 'biggan train'; --resume continues it from its newest checkpoint.`,
  options: [
    { name: 'model', value: 'DIR', help: 'the native model folder to start from (new runs)' },
    { name: 'class', value: 'N|NAME', help: 'train a one-class folder as this model class (index or name)' },
    ...trainingOptions,
  ],
  async run(ctx) {
    const { args } = ctx
    if (switchOption(args, 'resume')) {
      const fixed = ['model', 'class'].filter((n) => n in args.options)
      if (fixed.length > 0) throw new UsageError(`a resumed run keeps its model and classes; drop ${fixed.map((n) => `--${n}`).join(', ')}`)
      return resumeRun(ctx)
    }
    const missing = ['model', 'data', 'steps'].filter((n) => !(n in args.options))
    if (missing.length > 0) {
      throw new UsageError(`a new fine-tune needs ${missing.map((n) => `--${n}`).join(', ')}. Run 'biggan finetune --help' for usage.`)
    }
    const { BigGANModel } = await import('../../engine/model.ts')
    const { matchClasses } = await import('../../engine/train/session.ts')
    const options = trainOptionsFromArgs(ctx, intOption(args, 'steps')!)
    const dir = stringOption(args, 'model')!
    await startBackend(ctx.backend)
    const model = await BigGANModel.load(dir)
    try {
      if (!model.D) {
        throw new UsageError(
          `${dir} has no discriminator (a generator-only model, like the released BigGAN-deep weights): adversarial ` +
            'fine-tuning needs one. Generator-only adaptation is the next mode to come; for now, import a checkpoint ' +
            "that includes D (BigGAN-PyTorch's G+D release) or train with 'biggan train'",
        )
      }
      const dataset = await loadData(ctx, stringOption(args, 'data')!, model.config.resolution, options.seed ?? 0)
      let classMap: number[]
      try {
        classMap = matchClasses(model.config, dataset.classes, stringOption(args, 'class'))
      } catch (e) {
        throw new UsageError((e as Error).message)
      }
      return await startRun(ctx, 'finetune', model, dataset, classMap, options, { dir, contentHash: model.manifest!.contentHash })
    } catch (e) {
      model.dispose()
      throw e
    }
  },
}
