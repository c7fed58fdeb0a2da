import type { ModelConfig } from '../../engine/config.ts'
import { stringOption, switchOption, type Command } from '../args.ts'

/** The model part of `info`: architecture, parameter counts, classes, provenance, hash. Reads the folder's
 *  config.json and builds the networks' tables; no weights are loaded. */
async function readModel(dir: string) {
  const { readManifest } = await import('../../disk/nativeFormat.ts')
  const { buildDiscriminator, buildGenerator } = await import('../../engine/networks/index.ts')
  const { countParameters } = await import('../../engine/module.ts')
  const { classNames } = await import('../../engine/classes.ts')
  const m = await readManifest(dir)
  const D = buildDiscriminator(m.config)
  return {
    manifest: m,
    parametersG: countParameters(buildGenerator(m.config).specs()),
    parametersD: D ? countParameters(D.specs()) : null,
    classNames: classNames(m.config),
  }
}

function describeModel(dir: string, model: Awaited<ReturnType<typeof readModel>>, previews: string[]): string[] {
  const { manifest: m, parametersG, parametersD, classNames: names } = model
  const c = m.config
  const fmt = (n: number): string => n.toLocaleString('en')
  return [
    `model     ${dir}`,
    `arch      ${c.arch}-${c.resolution}, ch ${c.gChannels}${c.dChannels ? ` (D ch ${c.dChannels})` : ''}`,
    `latent    z ${c.zDim}${c.hierarchical ? ' (hierarchical)' : ''}, shared embedding ${c.sharedDim}`,
    `attention G ${c.gAttention.join(', ') || 'none'}; D ${c.dAttention.join(', ') || 'none'}`,
    `params    G ${fmt(parametersG)}${parametersD !== null ? `, D ${fmt(parametersD)}` : ', no discriminator'}`,
    `contents  ${Object.entries(m.contents ?? {}).filter(([, v]) => v).map(([k]) => k).join(', ')}`,
    `BN stats  ${c.nStats} row${c.nStats > 1 ? `s (per truncation, '${c.statsMode}' rule)` : ''}; eps BN ${c.bnEps}, SN ${c.snEps}`,
    `classes   ${c.numClasses}: ${names.slice(0, 5).join('; ')}${c.numClasses > 5 ? '; …' : ''}`,
    `source    ${m.provenance.source}${m.provenance.from ? ` (${m.provenance.from})` : ''}, ${m.provenance.createdAt ?? ''}`,
    `hash      ${m.contentHash}`,
    ...previews,
  ]
}

/** The inference runtime: the request, onnxruntime's providers, and for a model what serves it and why. */
async function runtimeReport(tfjsBackend: string, model?: { config: ModelConfig; parametersG: number }) {
  const { describeRuntimes } = await import('../../onnx/select.ts')
  const { defaultCacheDir } = await import('../../onnx/cacheFolder.ts')
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
    { name: 'json', help: 'print the backend and runtime info (and the model\'s facts) as JSON' },
  ],
  async run({ args, backend, out }) {
    // Loaded here, not at the top, so that `biggan --help` does not wait for TensorFlow.js.
    const { initBackend } = await import('../../backend/backend.ts')
    const { runtimeReportLines } = await import('../../onnx/select.ts')
    const b = await initBackend(backend !== undefined ? { backend } : {})
    const dir = stringOption(args, 'model')
    const model = dir !== undefined ? await readModel(dir) : undefined
    const runtime = await runtimeReport(b.name, model ? { config: model.manifest.config, parametersG: model.parametersG } : undefined)
    if (switchOption(args, 'json')) {
      const facts = model && {
        path: dir,
        arch: model.manifest.config.arch,
        resolution: model.manifest.config.resolution,
        parametersG: model.parametersG,
        parametersD: model.parametersD,
        contentHash: model.manifest.contentHash,
      }
      out(JSON.stringify({ ...b, runtime, ...(facts ? { model: facts } : {}) }, null, 2))
      return 0
    }
    out(`backend   ${b.name} (TensorFlow.js ${b.version}, tf backend '${b.tfBackend}')`)
    out(`threads   ${b.threads}`)
    out(`SIMD      ${b.simd ? 'yes' : 'no'}`)
    b.tried.forEach((t, i) => {
      out(`${i === 0 ? 'tried' : ''}`.padEnd(10) + `${t.name}: ${t.ok ? 'ok' : `failed (${t.error})`}`)
    })
    b.notes.forEach((note, i) => out(`${i === 0 ? 'notes' : ''}`.padEnd(10) + note))
    const lines = runtimeReportLines(runtime)
    for (const line of lines.filter((l) => !l.startsWith('previews'))) out(line)
    if (dir !== undefined && model) {
      out('')
      for (const line of describeModel(dir, model, lines.filter((l) => l.startsWith('previews')))) out(line)
    }
    return 0
  },
}
