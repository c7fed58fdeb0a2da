import type { ModelConfig } from '../../engine/config.ts'
import { stringOption, switchOption, type Command } from '../args.ts'

// The model part of `info`: architecture, parameter counts, classes, provenance, hash. Reads the folder's
// config.json and builds the networks' tables; no weights are loaded.
async function describeModel(dir: string, tfjsBackend: string): Promise<string[]> {
  const { readManifest } = await import('../../checkpoints/native.ts')
  const { buildDiscriminator, buildGenerator } = await import('../../engine/networks/index.ts')
  const { countParameters } = await import('../../engine/module.ts')
  const { classNames } = await import('../../engine/classes.ts')
  const m = await readManifest(dir)
  const c = m.config
  const G = countParameters(buildGenerator(c).specs())
  const D = buildDiscriminator(c)
  const names = classNames(c)
  const fmt = (n: number): string => n.toLocaleString('en')
  return [
    `model     ${dir}`,
    `arch      ${c.arch}-${c.resolution}, ch ${c.gChannels}${c.dChannels ? ` (D ch ${c.dChannels})` : ''}`,
    `latent    z ${c.zDim}${c.hierarchical ? ' (hierarchical)' : ''}, shared embedding ${c.sharedDim}`,
    `attention G ${c.gAttention.join(', ') || 'none'}; D ${c.dAttention.join(', ') || 'none'}`,
    `params    G ${fmt(G)}${D ? `, D ${fmt(countParameters(D.specs()))}` : ', no discriminator'}`,
    `contents  ${Object.entries(m.contents ?? {}).filter(([, v]) => v).map(([k]) => k).join(', ')}`,
    `BN stats  ${c.nStats} row${c.nStats > 1 ? `s (per truncation, '${c.statsMode}' rule)` : ''}; eps BN ${c.bnEps}, SN ${c.snEps}`,
    `classes   ${c.numClasses}: ${names.slice(0, 5).join('; ')}${c.numClasses > 5 ? '; …' : ''}`,
    `source    ${m.provenance.source}${m.provenance.from ? ` (${m.provenance.from})` : ''}, ${m.provenance.createdAt ?? ''}`,
    `hash      ${m.contentHash}`,
    ...(await runtimeLines(tfjsBackend, { config: c, parametersG: G })).filter((l) => l.startsWith('previews')),
  ]
}

// The inference runtime: the setting, onnxruntime's providers, and for a model the choice 'auto' measured.
async function runtimeLines(tfjsBackend: string, model?: { config: ModelConfig; parametersG: number }): Promise<string[]> {
  const { defaultCacheDir, describeRuntimes } = await import('../../onnx/select.ts')
  return describeRuntimes({ cacheDir: defaultCacheDir(), tfjsBackend, ...(model ? { model } : {}) })
}

export const info: Command = {
  name: 'info',
  summary: 'show the TensorFlow.js backend this machine computes on, and a model',
  usage: 'info [--model DIR] [--json]',
  description: `
Loads the fastest TensorFlow.js backend that works here, or the one --backend or BIGGAN_BACKEND forces, and
prints its name, its compute threads, whether the wasm SIMD build runs, and every backend it tried on the way.
Then the inference runtime (onnxruntime or TensorFlow.js, BIGGAN_RUNTIME) and onnxruntime's providers; with a
model, which runtime serves its previews and samples.`,
  options: [
    { name: 'model', value: 'DIR', help: 'also describe the model in DIR: architecture, parameter counts, classes, provenance, hash' },
    { name: 'json', help: 'print the backend info as JSON' },
  ],
  async run({ args, backend, out }) {
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
      for (const line of await runtimeLines(b.name)) out(line)
    }
    const dir = stringOption(args, 'model')
    if (dir !== undefined) {
      out('')
      for (const line of await describeModel(dir, b.name)) out(line)
    }
    return 0
  },
}
