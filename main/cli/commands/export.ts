import { stringOption, UsageError, type Command } from '../args.ts'
import { openModel } from '../engine.ts'

export const exportCommand: Command = {
  name: 'export',
  summary: 'write a model back out with the original PyTorch key names, as safetensors',
  usage: 'export --model DIR --out OUT_DIR [--format hf-biggan-deep|biggan-pytorch]',
  description: `
Writes the model's weights under the key names and layouts of the PyTorch code it fits, as safetensors files
(safetensors.torch.load_file, then load_state_dict), so weights fine-tuned here go back to PyTorch:
  biggan-deep → pytorch-pretrained-BigGAN: OUT_DIR/config.json + OUT_DIR/model.safetensors (the generator;
                the EMA where the model has one)
  biggan      → BigGAN-PyTorch: OUT_DIR/G.safetensors, D.safetensors, G_ema.safetensors (those the model has)`,
  options: [
    { name: 'model', value: 'DIR', help: 'a native model folder', required: true },
    { name: 'out', value: 'OUT_DIR', help: 'the folder to write', required: true },
    { name: 'format', value: 'FAMILY', help: 'hf-biggan-deep or biggan-pytorch (default: the one the architecture fits)' },
  ],
  async run({ args, backend, out }) {
    const { exportCheckpoint, exportFamily } = await import('../../disk/exportCheckpoint.ts')
    const format = stringOption(args, 'format')
    if (format !== undefined && format !== 'hf-biggan-deep' && format !== 'biggan-pytorch') {
      throw new UsageError(`--format must be hf-biggan-deep or biggan-pytorch, not '${format}'`)
    }
    const model = await openModel(stringOption(args, 'model')!, backend)
    try {
      const family = format ?? exportFamily(model.config)
      const files = await exportCheckpoint(stringOption(args, 'out')!, model.config, model.tensors(), family)
      out(`exported as ${family}:`)
      for (const f of files) out(`  ${f}`)
    } finally {
      model.dispose()
    }
  },
}
