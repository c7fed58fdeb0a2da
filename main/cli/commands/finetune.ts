// `biggan finetune`: a model folder fine-tuned on an image folder by the method the engine chooses (or --method), or
// a run continued (--resume), through the run orchestrator (main/runs/run.ts) with the command line's progress bar.
import { intOption, numberOption, stringOption, switchOption, UsageError, type Command } from '../args.ts'
import { executorFromArgs, resumeCommand, runWithProgress, trainingOptions, trainOptionsFromArgs } from '../runs.ts'
import type { FinetuneMethod } from '../../engine/finetune/chooseMethod.ts'
import type { FinetuneTarget } from '../../engine/finetune/plan.ts'

const methods: readonly FinetuneMethod[] = ['adversarial', 'new-class', 'fresh-d', 'bsa']

export const finetune: Command = {
  name: 'finetune',
  summary: 'fine-tune a model on an image folder (adversarial with FreezeD + DiffAugment/ADA, a new class, a fresh D, or BSA)',
  usage: 'finetune --model DIR --data FOLDER --steps N --out RUN [--method M] [--class N|NAME | --new-class NAME] [options]',
  description: `
Fine-tunes a model folder on an image folder: small data, few steps, starting from weights that already know
images like these. The method follows from the model and the folder (printed with its reason), or --method picks it:
  adversarial  the model has a D and knows the folder's classes: the lowest --freeze-d D blocks stay fixed (FreezeD),
               DiffAugment runs on everything D sees with ADA adapting its strength towards r_t = 0.6, G and D train
               with Adam at a quarter of BigGAN's rates, and the EMA of G is what latest/ and best/ render.
  new-class    as adversarial, after adding a class row for each folder class the model lacks (started from the
               class whose samples lie nearest the folder's images in D's features); latest/ then has the new
               class names.
  fresh-d      for a generator-only model (the released BigGAN-deep weights): a new D is first trained alone against
               the frozen G (--warmup G steps, default 10% of --steps, 100 to 2 000), then G and D train together for
               --steps more.
  bsa          no D at all (chosen under 100 images): G's BatchNorm projections and a latent per image learn to
               reconstruct the images (--steps, --lr-g, --batch, --checkpoint-every, --keep, --seed); latest/ and
               best/ hold the adapted model of the newest checkpoint.
The folder's classes are matched to the model's class names (one subfolder per class); --class maps a one-class
folder onto one existing class, --new-class names the new class a one-class folder becomes.
RUN is laid out as for 'biggan train'; --resume continues it from its newest checkpoint, exactly (bsa runs too).`,
  options: [
    { name: 'model', value: 'DIR', help: 'the native model folder to start from (new runs)' },
    { name: 'method', value: 'adversarial|new-class|fresh-d|bsa', help: "how to fine-tune (default: chosen from the model and the folder)" },
    { name: 'class', value: 'N|NAME', help: 'train a one-class folder as this model class (index or name)' },
    { name: 'new-class', value: 'NAME', help: 'train a one-class folder as a new class of this name' },
    { name: 'class-step', value: 'F', help: "a new class's embedding rows take F× the optimiser's step (default 10)" },
    { name: 'warmup', value: 'N', help: "fresh-d: G steps of D's warm-up against the frozen G (default 10% of --steps, 100–2000)" },
    ...trainingOptions,
  ],
  async run(ctx) {
    const { args } = ctx
    if (switchOption(args, 'resume')) return resumeCommand(ctx, ['model', 'class', 'method', 'new-class', 'warmup', 'class-step'], 'model and classes')
    const missing = ['model', 'data', 'steps'].filter((n) => !(n in args.options))
    if (missing.length > 0) {
      throw new UsageError(`a new fine-tune needs ${missing.map((n) => `--${n}`).join(', ')}. Run 'biggan finetune --help' for usage.`)
    }
    const requested = stringOption(args, 'method')
    if (requested !== undefined && !methods.includes(requested as FinetuneMethod)) {
      throw new UsageError(`--method must be one of ${methods.join(', ')}, not '${requested}'`)
    }
    const newName = stringOption(args, 'new-class')
    const classQuery = stringOption(args, 'class')
    if (newName !== undefined && classQuery !== undefined) throw new UsageError('give --class (an existing class) or --new-class (a new one), not both')
    const target: FinetuneTarget = newName !== undefined
      ? { kind: 'new', name: newName }
      : classQuery !== undefined ? { kind: 'class', query: classQuery } : { kind: 'folder' }
    const warmup = intOption(args, 'warmup')
    const classStep = numberOption(args, 'class-step')
    const modelDir = stringOption(args, 'model')!
    const request = {
      modelDir,
      dataDir: stringOption(args, 'data')!,
      target,
      ...(requested !== undefined ? { method: requested as FinetuneMethod } : {}),
      options: trainOptionsFromArgs(ctx, intOption(args, 'steps')!),
      ...(warmup !== undefined ? { warmup } : {}),
      ...(classStep !== undefined ? { classStep } : {}),
      runDir: stringOption(args, 'out')!,
      executor: executorFromArgs(ctx),
    }
    const { startFinetune } = await import('../../runs/run.ts')
    try {
      return await runWithProgress(ctx, (listener) => startFinetune(request, listener))
    } catch (e) {
      throw planUsage(e, modelDir, target)
    }
  },
}

/** The planner's refusals in the command line's terms (its flags), as usage errors (exit 2). */
function planUsage(e: unknown, modelDir: string, target: FinetuneTarget): unknown {
  if ((e as { name?: string }).name !== 'FinetunePlanError') return e
  const { code, message, folderClasses = [] } = e as { code: string; message: string; folderClasses?: readonly string[] }
  const classes = `${folderClasses.length} classes (${folderClasses.join(', ')})`
  switch (code) {
    case 'needs-one-class-folder':
      return new UsageError(
        target.kind === 'new'
          ? `--new-class names the class of a one-class folder, but this folder has ${classes}`
          : `--class maps a one-class folder onto a model class, but this folder has ${classes}; name its subfolders after the model's classes instead`,
      )
    case 'no-discriminator':
      return new UsageError(
        `${modelDir} has no discriminator (a generator-only model, like the released BigGAN-deep weights): adversarial ` +
          'fine-tuning needs one. Use --method fresh-d (a new D, warmed up against the frozen G) or --method bsa (no D)',
      )
    case 'has-discriminator':
      return new UsageError(`${modelDir} already has a discriminator: fine-tune it with --method adversarial or new-class`)
    default:
      return new UsageError(message)
  }
}
