import { notImplementedYet, type Command } from '../args.ts'

export const importCommand: Command = {
  name: 'import',
  summary: 'convert a checkpoint into a native model folder',
  usage: 'import SRC --out DIR',
  description: `
Reads any supported checkpoint, a folder or a single file, checks every tensor's name and shape against the
architecture its config describes, and writes a native model folder to DIR. Checkpoints are parsed as data only:
a pickle that asks for code is refused, never run.`,
  positionals: [{ name: 'SRC', help: 'the checkpoint: a folder or a single file', required: true }],
  options: [{ name: 'out', value: 'DIR', help: 'the native model folder to write', required: true }],
  async run() {
    notImplementedYet('import')
  },
}
