import { stringOption, switchOption, type Command } from '../args.ts'

// EXTENSION POINT: the engine will supply describeModel(dir) (architecture, resolution, classes, parameter
// count) and this function will forward to it. Until then it reports "not available" and `info --model` exits 2.
async function describeModel(_dir: string): Promise<string[] | null> {
  return null
}

export const info: Command = {
  name: 'info',
  summary: 'show the TensorFlow.js backend this machine computes on (and, later, a model)',
  usage: 'info [--model DIR] [--json]',
  description: `
Loads the fastest TensorFlow.js backend that works here, or the one --backend or BIGGAN_BACKEND forces, and
prints its name, its compute threads, whether the wasm SIMD build runs, and every backend it tried on the way.`,
  options: [
    { name: 'model', value: 'DIR', help: 'also describe the model in DIR (not available yet: exits with code 2)' },
    { name: 'json', help: 'print the backend info as JSON' },
  ],
  async run({ args, backend, out, err }) {
    // Loaded here, not at the top, so that `biggan --help` does not wait for TensorFlow.js.
    const { initBackend } = await import('../../engine/backend.ts')
    const b = await initBackend(backend !== undefined ? { backend } : {})
    if (switchOption(args, 'json')) {
      out(JSON.stringify(b, null, 2))
    } else {
      out(`backend   ${b.name} (TensorFlow.js ${b.version}, tf backend '${b.tfBackend}')`)
      out(`threads   ${b.threads}`)
      out(`SIMD      ${b.simd ? 'yes' : 'no'}`)
      b.tried.forEach((t, i) => {
        out(`${i === 0 ? 'tried' : ''}`.padEnd(10) + `${t.name}: ${t.ok ? 'ok' : `failed (${t.error})`}`)
      })
      b.notes.forEach((note, i) => out(`${i === 0 ? 'notes' : ''}`.padEnd(10) + note))
    }
    const dir = stringOption(args, 'model')
    if (dir !== undefined) {
      const lines = await describeModel(dir)
      if (lines === null) {
        err('model info: not yet available')
        return 2
      }
      lines.forEach((line) => out(line))
    }
    return 0
  },
}
