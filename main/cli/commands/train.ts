// `biggan train`: a new BigGAN trained from scratch on an image folder, or a run continued (--resume), through the
// run orchestrator (main/runs/run.ts) with the command line's progress bar (../runs.ts).
import { intOption, stringOption, switchOption, UsageError, type Command } from '../args.ts'
import { executorFromArgs, resumeCommand, runWithProgress, trainingOptions, trainOptionsFromArgs } from '../runs.ts'
import type { TrainRequest } from '../../runs/run.ts'

export const train: Command = {
  name: 'train',
  summary: 'train a BigGAN from scratch on an image folder (headless, resumable)',
  usage: 'train --data DIR --arch biggan|biggan-deep --res R --ch C --steps N --out RUN [options]',
  description: `
The paper's training loop: for each G step, --d-steps D steps on fresh reals and fakes (hinge loss), then a G
step with orthogonal regularisation, Adam (β1 0, β2 0.999) on both, and an exponential moving average of G.
Classes are the folder's subfolders (their names become the model's class names). DiffAugment with ADA's
adaptive strength guards D against overfitting small folders; a collapse monitor (σ0 of G's layers, D's loss,
r_t) stops the run early and keeps the best checkpoint.
RUN gets run.json, metrics.jsonl, previews/step-N.png, memorisation/step-N.json (each preview sample's nearest training images), checkpoints/step-N/ (the newest --keep), and latest/ and
best/, model folders that 'biggan info', 'sample' and 'eval' open. Ctrl-C finishes the current step, writes a
checkpoint and stops; --resume continues exactly where the checkpoint left off.`,
  options: [
    { name: 'arch', value: 'biggan|biggan-deep', help: 'the architecture (new runs)' },
    { name: 'res', value: 'R', help: 'image resolution: 32, 64, 128, 256 or 512 (new runs)' },
    { name: 'ch', value: 'C', help: 'channel multiplier ch of G and D (new runs; the paper: 96)' },
    { name: 'attention', value: 'R', help: 'self-attention resolution in G and D (default 64; 0 for none)' },
    ...trainingOptions,
  ],
  async run(ctx) {
    const { args } = ctx
    if (switchOption(args, 'resume')) return resumeCommand(ctx, ['arch', 'res', 'ch', 'attention'], 'model')
    const missing = ['data', 'arch', 'res', 'ch', 'steps'].filter((n) => !(n in args.options))
    if (missing.length > 0) {
      throw new UsageError(`a new run needs ${missing.map((n) => `--${n}`).join(', ')}. Run 'biggan train --help' for usage.`)
    }
    const { defaultConfig } = await import('../../engine/config.ts')
    const { startTraining } = await import('../../runs/run.ts')
    const arch = stringOption(args, 'arch')
    if (arch !== 'biggan' && arch !== 'biggan-deep') throw new UsageError(`--arch must be biggan or biggan-deep, not '${arch}'`)
    const resolution = intOption(args, 'res')!
    const ch = intOption(args, 'ch')!
    const attention = intOption(args, 'attention')
    try {
      defaultConfig(arch, resolution, ch, 1, attention) // the arguments, checked before anything starts
    } catch (e) {
      throw new UsageError((e as Error).message)
    }
    const request: TrainRequest = {
      dataDir: stringOption(args, 'data')!,
      arch,
      resolution,
      ch,
      ...(attention !== undefined ? { attention } : {}),
      options: trainOptionsFromArgs(ctx, intOption(args, 'steps')!),
      runDir: stringOption(args, 'out')!,
      executor: executorFromArgs(ctx),
    }
    return runWithProgress(ctx, (listener) => startTraining(request, listener))
  },
}
