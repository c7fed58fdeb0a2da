// The model object the CLI and the studio hold: native folders round-trip exactly, damaged folders are refused
// with the file and tensor named, and no public call leaks a tensor.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CheckpointError } from '../../main/tensors/errors'
import { initBackend } from '../../main/backend/backend'
import { defaultConfig } from '../../main/engine/config'
import { BigGANModel } from '../../main/engine/model'
import { Random } from '../../main/engine/sampling/random'
import { tf } from '../../main/engine/tf'
import { loadModel, saveModel } from '../../main/disk/modelFolder'

let work: string
beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
  work = mkdtempSync(join(tmpdir(), 'biggan-model-'))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

function inputs(model: BigGANModel, batch: number): { z: Float32Array; y: Float32Array } {
  const { zDim, numClasses } = model.config
  const z = new Random(5).normals(batch * zDim)
  const y = new Float32Array(batch * numClasses)
  for (let i = 0; i < batch; i++) y[i * numClasses + (i % numClasses)] = 1
  y[numClasses - 1] = 0.5 // a blend row
  y[0] = 0.5
  return { z, y }
}

describe.each([
  ['biggan', 8],
  ['biggan-deep', 8],
] as const)('a %s model folder', (arch, ch) => {
  it('saves and loads back to identical images, logits and content hash, without leaking tensors', async () => {
    const before = tf.memory().numTensors
    const model = BigGANModel.initialise(defaultConfig(arch, 32, ch, 5), 1)
    const dir = join(work, `${arch}-roundtrip`)
    const manifest = await saveModel(model, dir, { source: 'test' })
    const { z, y } = inputs(model, 3)
    const images = await model.generate(z, y)
    const logits = await model.discriminate(images, y)
    const loaded = await loadModel(dir)
    expect(loaded.manifest!.contentHash).toBe(manifest.contentHash)
    expect(await loaded.generate(z, y)).toEqual(images)
    expect(await loaded.discriminate(images, y)).toEqual(logits)
    expect(loaded.parameterCounts()).toEqual(model.parameterCounts())
    model.dispose()
    loaded.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })

  it('samples finite, unsaturated images straight after initialisation (spectral-norm vectors converged)', async () => {
    // with the random u, v of initialisation, σ = uᵀWv is far too small and a deep generator overflowed to NaN
    for (const attention of [0, 16]) {
      const model = BigGANModel.initialise(defaultConfig(arch, 32, 2 * ch, 5, attention), 3)
      const { z, y } = inputs(model, 2)
      const images = await model.generate(z, y)
      expect(images.every(Number.isFinite)).toBe(true)
      const saturated = images.filter((v) => Math.abs(v) > 0.999).length / images.length
      expect(saturated).toBeLessThan(0.5)
      const logits = await model.discriminate(images, y)
      expect(logits.every((v) => Number.isFinite(v) && Math.abs(v) < 1e4)).toBe(true)
      model.dispose()
    }
  })

  it('leaves the tensor count unchanged around generate and discriminate', async () => {
    const model = BigGANModel.initialise(defaultConfig(arch, 32, ch, 5), 2)
    const { z, y } = inputs(model, 2)
    await model.generate(z, y) // warm-up: backends may cache on first use
    const before = tf.memory().numTensors
    const images = await model.generate(z, y, { truncation: 0.5 })
    await model.discriminate(images, y)
    expect(tf.memory().numTensors).toBe(before)
    model.dispose()
  })
})

describe('damaged model folders', () => {
  let dir: string
  beforeAll(async () => {
    const model = BigGANModel.initialise(defaultConfig('biggan', 32, 4, 3), 9)
    dir = join(work, 'damaged-source')
    await saveModel(model, dir, { source: 'test' })
    model.dispose()
  })

  function copy(name: string, edit: (files: { config: string; weights: Buffer }) => void): string {
    const out = join(work, name)
    rmSync(out, { recursive: true, force: true })
    const files = { config: readFileSync(join(dir, 'config.json'), 'utf8'), weights: readFileSync(join(dir, 'model.safetensors')) }
    edit(files)
    mkdirSync(out)
    writeFileSync(join(out, 'config.json'), files.config)
    writeFileSync(join(out, 'model.safetensors'), files.weights)
    return out
  }

  it('refuses weights that no longer match the content hash', async () => {
    const out = copy('flipped', (f) => {
      f.weights[f.weights.length - 3] ^= 0x01
    })
    await expect(loadModel(out)).rejects.toThrow(/do not match the content hash/)
  })

  it('names the tensor that holds a NaN and allocates nothing for the model', async () => {
    const model = await loadModel(dir)
    const tensors = model.tensors()
    const config = model.config
    model.dispose()
    const poisoned = tensors.G.get('G.blocks.1.conv2.weight')!
    const values = new Float32Array(poisoned.data.slice().buffer)
    values[7] = Number.NaN
    tensors.G.set('G.blocks.1.conv2.weight', { ...poisoned, data: new Uint8Array(values.buffer) })
    const before = tf.memory().numTensors
    const err = (() => {
      try {
        BigGANModel.fromTensors(config, tensors, 'poisoned.safetensors')
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(CheckpointError)
    expect((err as CheckpointError).code).toBe('non-finite')
    expect((err as Error).message).toBe("poisoned.safetensors: tensor 'G.blocks.1.conv2.weight': NaN at element 7; the checkpoint is damaged or the run diverged")
    expect(tf.memory().numTensors).toBe(before)
  })

  it('refuses a config.json field with a wrong value, naming the field', async () => {
    const out = copy('badconfig', (f) => {
      const manifest = JSON.parse(f.config)
      manifest.config.resolution = 'huge'
      f.config = JSON.stringify(manifest)
    })
    await expect(loadModel(out)).rejects.toThrow(/config field 'resolution' must be an integer/)
  })

  it('says a folder without config.json is not a model folder and how to import one', async () => {
    await expect(loadModel(work)).rejects.toThrow(/biggan import/)
  })
})
