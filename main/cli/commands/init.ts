import { notImplementedYet, type Command } from '../args.ts'

export const init: Command = {
  name: 'init',
  summary: 'create a freshly initialised model folder',
  usage: 'init --arch biggan|biggan-deep --res R --ch C --classes N --out DIR',
  description: `
Builds a new, untrained BigGAN or BigGAN-deep generator and discriminator for R×R images with channel
multiplier C and N classes, initialised as in the paper, and writes them as a native model folder to DIR.`,
  options: [
    { name: 'arch', value: 'biggan|biggan-deep', help: 'the architecture', required: true },
    { name: 'res', value: 'R', help: 'image resolution in pixels (e.g. 32, 128, 256)', required: true },
    {
      name: 'ch',
      value: 'C',
      help: "channel multiplier (the paper's ch: 96 for BigGAN at ImageNet scale, 128 for BigGAN-deep)",
      required: true,
    },
    { name: 'classes', value: 'N', help: 'number of classes', required: true },
    { name: 'out', value: 'DIR', help: 'the model folder to write', required: true },
  ],
  async run() {
    notImplementedYet('init')
  },
}
