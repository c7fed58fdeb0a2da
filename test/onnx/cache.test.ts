// Exported graphs are cached per model content hash and exporter version, written atomically (weights in an
// external data file beside the graph), reused while the model is the same and rebuilt when it changes.
import { readdirSync, statSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import { defaultConfig } from '../../main/engine/config'
import { BigGANModel } from '../../main/engine/model'
import { tf } from '../../main/engine/tf'
import { cachedNetworkFile, EXPORT_VERSION } from '../../main/onnx/export'
import { OnnxGenerator } from '../../main/onnx/runtime'
import { classVectors, maxAbsDiff } from './helpers'
import { loadModel, saveModel } from '../../main/disk/modelFolder'

let work: string
beforeAll(async () => {
  await initBackend()
  work = await mkdtemp(join(tmpdir(), 'biggan-onnx-cache-'))
})
afterAll(() => rm(work, { recursive: true, force: true }))

describe('the ONNX graph cache', () => {
  it('writes <hash>-G.vN.onnx with its weights beside it, reuses it for the same model and rebuilds for a changed one', async () => {
    const cache = join(work, 'cache')
    const config = defaultConfig('biggan', 32, 4, 3, 0)
    const original = BigGANModel.initialise(config, 0)
    await saveModel(original, join(work, 'm1'), { source: 'init' })
    original.dispose()
    const model = await loadModel(join(work, 'm1'))
    const file = await cachedNetworkFile(model, 'G', cache)
    expect(basename(file)).toBe(`${model.manifest!.contentHash}-G.v${EXPORT_VERSION}.onnx`)
    expect(statSync(`${file}.data`).size).toBeGreaterThan(statSync(file).size) // the weights live in the data file
    const inode = statSync(file).ino

    // the same model again (another load of the same folder): the same file, not rewritten
    const again = await loadModel(join(work, 'm1'))
    expect(await cachedNetworkFile(again, 'G', cache)).toBe(file)
    expect(statSync(file).ino).toBe(inode)

    // a fine-tuned model (one weight changed, saved anew) has another hash and gets its own graph
    tf.tidy(() => again.params.set('G.linear.bias', tf.add(again.params.get('G.linear.bias'), 0.5), true))
    await saveModel(again, join(work, 'm2'), { source: 'finetune' })
    const changed = await loadModel(join(work, 'm2'))
    const other = await cachedNetworkFile(changed, 'G', cache)
    expect(other).not.toBe(file)
    expect(readdirSync(cache).filter((n) => n.includes('.tmp-'))).toEqual([]) // nothing half-written left

    // each file computes its own model
    const z = new Float32Array(config.zDim).fill(0.3)
    const y = classVectors(config.numClasses, [1])
    for (const [m, f] of [[model, file], [changed, other]] as const) {
      const G = await OnnxGenerator.open(f, config, { threads: 1 })
      expect(maxAbsDiff(await G.generate(z, y), await m.generate(z, y))).toBeLessThanOrEqual(1e-4)
      await G.dispose()
    }
    for (const m of [model, again, changed]) m.dispose()
  })

  it('refuses to cache a model that was never saved (it has no content hash)', async () => {
    const model = BigGANModel.initialise(defaultConfig('biggan', 32, 4, 3, 0), 0)
    await expect(cachedNetworkFile(model, 'G', join(work, 'cache'))).rejects.toThrow(/only a saved model/)
    model.dispose()
  })
})
