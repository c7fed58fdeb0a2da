// The ONNX graphs compute what the TensorFlow.js networks compute, on small random models of each family with
// every feature switched on: hierarchical and plain z, soft class vectors, self-attention that matters (γ ≠ 0),
// non-trivial BatchNorm statistics, per-truncation statistics rows under both rules ('hf' and 'lerp'), a to-RGB
// conv wider than 3 channels, EMA weights, and D's logits and pooled features. Also the bundled default model.
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import { defaultConfig, type ModelConfig } from '../../main/engine/config'
import { BigGANModel } from '../../main/engine/model'
import type { ParamStore } from '../../main/engine/module'
import { Random } from '../../main/engine/sampling/random'
import { tf } from '../../main/engine/tf'
import { exportNetworkBytes } from '../../main/onnx/export'
import { attentionChunkRows } from '../../main/engine/layers/attention'
import { imagesPerRun, OnnxDiscriminator, OnnxGenerator } from '../../main/onnx/runtime'
import { classVectors, maxAbsDiff } from './helpers'
import { loadModel } from '../../main/disk/modelFolder'

const TOLERANCE = 1e-4

beforeAll(async () => {
  await initBackend()
})

/** Gives BatchNorm statistics, attention γ and biases values that matter (initialisation leaves 0, 1 and 0). */
function perturb(model: BigGANModel, store: ParamStore, seed: number): void {
  const rng = new Random(seed)
  const specs = [...model.G.specs(), ...(store === model.params && model.D ? model.D.specs() : [])]
  for (const spec of specs) {
    const n = spec.shape.reduce((a, b) => a * b, 1)
    const values =
      spec.role === 'bn-mean' || spec.role === 'bias' ? rng.normals(n).map((v) => 0.3 * v)
      : spec.role === 'bn-var' ? rng.normals(n).map((v) => 0.5 + Math.abs(v))
      : spec.role === 'gamma' ? new Float32Array(n).fill(0.7)
      : spec.role === 'gain' ? rng.normals(n).map((v) => 1 + 0.2 * v)
      : undefined
    if (values) tf.tidy(() => store.set(spec.name, tf.tensor(values, spec.shape), false))
  }
}

function inputs(config: ModelConfig, seed: number): { z: Float32Array; y: Float32Array } {
  const rows: (number | [number, number][])[] = [0, [[1, 0.5], [3, 0.5]], [[2, 0.2], [4, 0.3], [0, 0.5]]]
  return { z: new Random(seed).normals(rows.length * config.zDim), y: classVectors(config.numClasses, rows) }
}

async function compareGenerator(model: BigGANModel, truncations: number[], useEma = true): Promise<string[]> {
  const before = tf.memory().numTensors
  const bytes = exportNetworkBytes(model, 'G', { useEma })
  expect(tf.memory().numTensors, 'the export leaves no tensor behind').toBe(before)
  const G = await OnnxGenerator.open(bytes, model.config, { threads: 1 })
  const { z, y } = inputs(model.config, 11)
  const report: string[] = []
  try {
    for (const truncation of truncations) {
      const error = maxAbsDiff(await G.generate(z, y, { truncation }), await model.generate(z, y, { truncation, useEma }))
      report.push(`G ψ ${truncation}: ${error.toExponential(2)}`)
      expect(error, `G at truncation ${truncation}`).toBeLessThanOrEqual(TOLERANCE)
    }
  } finally {
    await G.dispose()
  }
  return report
}

async function compareDiscriminator(model: BigGANModel, batch = 3): Promise<string[]> {
  const D = await OnnxDiscriminator.open(exportNetworkBytes(model, 'D'), model.config, { threads: 1 })
  const all = inputs(model.config, 12)
  const z = all.z.subarray(0, batch * model.config.zDim)
  const y = all.y.subarray(0, batch * model.config.numClasses)
  try {
    const x = await model.generate(z, y)
    const ours = await D.run(x, y)
    const logits = maxAbsDiff(ours.logits, await model.discriminate(x, y))
    const features = maxAbsDiff(ours.features, await model.discriminatorFeatures(x))
    const scale = Math.max(...(await model.discriminatorFeatures(x)).map(Math.abs), 1)
    expect(logits).toBeLessThanOrEqual(TOLERANCE)
    expect(features / scale).toBeLessThanOrEqual(TOLERANCE)
    return [`D logits ${logits.toExponential(2)}`, `features ${features.toExponential(2)} (of ${scale.toFixed(1)})`]
  } finally {
    await D.dispose()
  }
}

describe('the ONNX export of a random BigGAN', () => {
  let model: BigGANModel
  beforeAll(() => {
    model = BigGANModel.initialise(defaultConfig('biggan', 32, 8, 5, 16), 1)
    perturb(model, model.params, 2)
  })
  afterAll(() => model.dispose())

  it('matches TensorFlow.js for G (hierarchical z, soft classes, attention) and D (logits, features)', async () => {
    const report = [...(await compareGenerator(model, [1])), ...(await compareDiscriminator(model))]
    console.log(`random BigGAN-32 ch8, ONNX vs TensorFlow.js (max abs): ${report.join(', ')}`)
  })

  it("exports the EMA of G where the model has one, and G's own weights on request", async () => {
    const ema = model.ensureEma()
    perturb(model, ema, 3) // the EMA now differs from G
    const report = [...(await compareGenerator(model, [1], true)), ...(await compareGenerator(model, [1], false))]
    console.log(`random BigGAN-32 ch8 EMA / raw G, ONNX vs TensorFlow.js (max abs): ${report.join(', ')}`)
  })
})

describe('the ONNX export of a random BigGAN without hierarchical z', () => {
  it('matches TensorFlow.js', async () => {
    const config: ModelConfig = { ...defaultConfig('biggan', 32, 8, 5, 0), hierarchical: false, zDim: 24, dChannels: 0 }
    const model = BigGANModel.initialise(config, 4)
    perturb(model, model.params, 5)
    try {
      console.log(`random plain-z BigGAN-32, ONNX vs TensorFlow.js (max abs): ${(await compareGenerator(model, [1])).join(', ')}`)
    } finally {
      model.dispose()
    }
  })
})

describe('the ONNX export of a random BigGAN-deep with per-truncation statistics', () => {
  for (const statsMode of ['hf', 'lerp'] as const) {
    it(`matches TensorFlow.js at grid and off-grid truncations ('${statsMode}' rows), with a 6-channel to-RGB conv, and D`, async () => {
      const config: ModelConfig = { ...defaultConfig('biggan-deep', 32, 8, 5, 16), nStats: 6, statsMode, toRgbChannels: 6 }
      const model = BigGANModel.initialise(config, 6)
      perturb(model, model.params, 7)
      try {
        const report = [...(await compareGenerator(model, [1, 0.6, 0.37, 0.05])), ...(await compareDiscriminator(model))]
        console.log(`random BigGAN-deep-32 ch8 (${statsMode}), ONNX vs TensorFlow.js (max abs): ${report.join(', ')}`)
      } finally {
        model.dispose()
      }
    })
  }
})

describe('the ONNX export at every resolution', () => {
  for (const arch of ['biggan', 'biggan-deep'] as const) {
    it(`builds ${arch} G and D from the architecture tables at 32 to 512 px, matching TensorFlow.js`, async () => {
      const report: string[] = []
      for (const resolution of [32, 64, 128, 256, 512]) {
        const config = defaultConfig(arch, resolution, 8, 3, resolution >= 64 ? 32 : 16) // narrow: the layout is what is tested
        const model = BigGANModel.initialise(config, resolution)
        perturb(model, model.params, resolution + 1)
        try {
          const G = await OnnxGenerator.open(exportNetworkBytes(model, 'G'), config, { threads: 1 })
          const { z, y } = inputs(config, 5)
          const one = { z: z.subarray(0, config.zDim), y: y.subarray(0, config.numClasses) }
          const error = maxAbsDiff(await G.generate(one.z, one.y), await model.generate(one.z, one.y))
          await G.dispose()
          expect(error, `${arch}-${resolution} G`).toBeLessThanOrEqual(TOLERANCE)
          report.push(`${resolution}: G ${error.toExponential(1)}`)
          if (model.D) report.push(...(await compareDiscriminator(model, 1)).map((r) => `${resolution}: ${r}`))
        } finally {
          model.dispose()
        }
      }
      console.log(`${arch} at every resolution, ONNX vs TensorFlow.js (max abs): ${report.join(', ')}`)
    })
  }
})

describe('the ONNX export of self-attention on a large map', () => {
  it('splits β = softmax(θᵀφ) into chunks of query rows (never the whole map at once) and still matches TensorFlow.js', async () => {
    // 64×64 positions: β is [batch, 4096, 1024], 16 MiB an image, so 8 chunks of 512 rows (2 MiB an image each)
    expect(attentionChunkRows(64 * 64)).toBe(512)
    expect(attentionChunkRows(32 * 32)).toBe(32 * 32) // 1 MiB an image: whole
    for (const arch of ['biggan', 'biggan-deep'] as const) {
      const model = BigGANModel.initialise({ ...defaultConfig(arch, 64, 8, 3, 64), dChannels: 0 }, 8) // G only: D has no block at 64
      perturb(model, model.params, 9)
      try {
        console.log(`${arch}-64 with attention at 64, ONNX (8 chunks) vs TensorFlow.js (max abs): ${(await compareGenerator(model, [1])).join(', ')}`)
      } finally {
        model.dispose()
      }
    }
  })
})

describe('G on onnxruntime at batches wider than one run', () => {
  it('runs them in parts that keep the widest activation within budget, image for image as TensorFlow.js', async () => {
    const paperDeep = { ...defaultConfig('biggan-deep', 128, 128, 1000), dChannels: 0, nStats: 51, toRgbChannels: 128 }
    expect(imagesPerRun(paperDeep)).toBe(1) // a 128×128×256 activation is 16 MiB an image
    expect(imagesPerRun(defaultConfig('biggan', 32, 16, 10, 16))).toBeGreaterThanOrEqual(32) // the studio's batches run whole

    const config = { ...defaultConfig('biggan-deep', 128, 8, 3, 64), dChannels: 0 }
    const perRun = imagesPerRun(config)
    expect(perRun).toBe(8) // 128×128×16 floats: 1 MiB an image
    const model = BigGANModel.initialise(config, 10)
    perturb(model, model.params, 11)
    const G = await OnnxGenerator.open(exportNetworkBytes(model, 'G'), config, { threads: 1 })
    try {
      const batch = perRun + 2
      const z = new Random(12).normals(batch * config.zDim)
      const y = classVectors(3, Array.from({ length: batch }, (_, i) => i % 3))
      const error = maxAbsDiff(await G.generate(z, y), await model.generate(z, y))
      console.log(`biggan-deep-128 ch8, batch ${batch} in runs of ${perRun}, ONNX vs TensorFlow.js (max abs): ${error.toExponential(2)}`)
      expect(error).toBeLessThanOrEqual(TOLERANCE)
    } finally {
      await G.dispose()
      model.dispose()
    }
  })
})

const defaultModel = join(import.meta.dirname, '../../resources/default-model')

describe('the ONNX export of the bundled default model', () => {
  it('matches TensorFlow.js', async () => {
    const model = await loadModel(defaultModel)
    try {
      const report = await compareGenerator(model, [1])
      if (model.D) report.push(...(await compareDiscriminator(model)))
      console.log(`default model, ONNX vs TensorFlow.js (max abs): ${report.join(', ')}`)
    } finally {
      model.dispose()
    }
  })
})
