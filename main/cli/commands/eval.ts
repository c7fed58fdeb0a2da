import { notImplementedYet, type Command } from '../args.ts'

export const evalCommand: Command = {
  name: 'eval',
  summary: 'run the generator and discriminator on given inputs (safetensors in, safetensors out)',
  usage: 'eval --model DIR --in IN.safetensors --out OUT.safetensors',
  description: `
Runs the model in DIR on exactly the inputs in IN and writes the outputs to OUT, for parity checks against
other implementations. B is the batch size.

IN holds:
  z           [B, zdim]      float32 latents
  y           [B, classes]   float32 class vectors (one-hot or mixtures), or instead
  classes     [B]            int class indices
  truncation  [1]            optional; the truncation value for models that take one
  x           [B, H, W, 3]   optional real images, NHWC in [-1, 1], for d_logits

OUT holds:
  image          [B, H, W, 3]  generated images, NHWC in [-1, 1]
  d_logits       [B]           discriminator logits of x (when IN has x)
  d_logits_fake  [B]           discriminator logits of the generated images`,
  options: [
    { name: 'model', value: 'DIR', help: 'a native model folder', required: true },
    { name: 'in', value: 'IN.safetensors', help: 'the inputs (see above)', required: true },
    { name: 'out', value: 'OUT.safetensors', help: 'where to write the outputs', required: true },
  ],
  async run() {
    notImplementedYet('eval')
  },
}
