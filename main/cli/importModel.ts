// The import step `biggan import` and `biggan get` share: a checkpoint (folder or file) through the import dispatch
// into a native model folder, with what was written reported.
import { startBackend } from './engine.ts'

export async function importToFolder(
  src: string, dir: string, backend: string | undefined, out: (line: string) => void, err: (line: string) => void,
): Promise<void> {
  const { importCheckpoint } = await import('../disk/importCheckpoint.ts')
  const { saveModel } = await import('../disk/modelFolder.ts')
  const { BigGANModel } = await import('../engine/model.ts')
  const imported = await importCheckpoint(src, (message) => err(message))
  await startBackend(backend)
  const model = BigGANModel.fromTensors(imported.config, imported, src)
  try {
    err(`writing ${dir}`)
    const manifest = await saveModel(model, dir, imported.provenance)
    const counts = model.parameterCounts()
    out(`imported ${imported.family} → ${dir}`)
    out(`  ${manifest.config.arch}-${manifest.config.resolution}, G ${counts.G.toLocaleString('en')} parameters` +
      (model.D ? `, D ${counts.D.toLocaleString('en')}` : ', no discriminator') + (model.ema ? ', with EMA' : ''))
    out(`  content hash ${manifest.contentHash}`)
  } finally {
    model.dispose()
  }
}
