import { notImplementedYet, type Command } from '../args.ts'

export const sample: Command = {
  name: 'sample',
  summary: 'render a grid of samples of one class to a PNG',
  usage: 'sample --model DIR --class N|NAME --truncation T --seed S --n K --out grid.png',
  description: `
Draws K truncated latents from seed S, generates K images of one class with the model in DIR, and writes them
as one PNG grid. The same model, class, truncation, seed and K give the same grid.`,
  options: [
    {
      name: 'model',
      value: 'DIR',
      help: "a native model folder (from 'biggan import' or 'biggan init')",
      required: true,
    },
    { name: 'class', value: 'N|NAME', help: "a class index, or a name from the model's class list", required: true },
    {
      name: 'truncation',
      value: 'T',
      help: 'truncation of the latents, in (0, 1]: smaller gives more typical, less varied images',
    },
    { name: 'seed', value: 'S', help: 'random seed (an integer)' },
    { name: 'n', value: 'K', help: 'number of samples in the grid' },
    { name: 'out', value: 'FILE', help: 'the PNG to write, e.g. grid.png', required: true },
  ],
  async run() {
    notImplementedYet('sample')
  },
}
