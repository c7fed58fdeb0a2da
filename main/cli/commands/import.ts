import type { Command } from '../args.ts'
import { importToFolder } from '../importModel.ts'

export const importCommand: Command = {
  name: 'import',
  summary: 'convert a checkpoint into a native model folder',
  usage: 'import SRC --out DIR',
  description: `
Reads any supported checkpoint, a folder or a single file, checks every tensor's name and shape against the
architecture its config describes, and writes a native model folder to DIR. Checkpoints are parsed as data only:
a pickle that asks for code is refused, never run.
Supported: pytorch-pretrained-BigGAN (config.json + pytorch_model.bin: biggan-deep-128/256/512),
BigGAN-PyTorch (G.pth and/or G_ema.pth, optional D.pth, state_dict.pth or config.json), in both PyTorch formats,
TF-Hub modules (deepmind/biggan-128/256/512 and biggan-deep-128/256/512): the module folder (saved_model.pb +
variables/) or its .tar.gz archive as downloaded, and PyTorch-StudioGAN's big_resnet / big_resnet_deep_legacy runs
(a checkpoints/<run> folder of model=G-best-weights-step=N.pth, model=G_ema-…, model=D-…; the best set, else the
current one).`,
  positionals: [{ name: 'SRC', help: 'the checkpoint: a folder, a single file or a TF-Hub .tar.gz', required: true }],
  options: [{ name: 'out', value: 'DIR', help: 'the native model folder to write', required: true }],
  async run({ args, backend, out, err }) {
    const [src] = args.positionals
    await importToFolder(src, args.options.out as string, backend, out, err)
  },
}
