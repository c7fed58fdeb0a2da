// Parity with PyTorch-StudioGAN on the fixture checkpoints (test/fixtures/README.md, made by
// scripts/make_studiogan_fixtures.py from StudioGAN's own model code): G, G_ema images and D logits of its
// big_resnet and big_resnet_deep_legacy backbones, with and without self-attention, through the importer's tables.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exportBigganPytorch } from '../../main/checkpoints/importers/bigganPytorch'
import { importStudioGan, type StudioGanImport, type StudioGanInput, type StudioGanSource } from '../../main/checkpoints/importers/studioGan'
import { readSafetensors } from '../../main/checkpoints/safetensors'
import { readTorchCheckpoint } from '../../main/checkpoints/torch'
import { initBackend } from '../../main/backend/backend'
import { parseModelConfig } from '../../main/engine/configParser'
import { loadParameters } from '../../main/engine/init'
import { forwardContext, ParamStore, type Module } from '../../main/engine/module'
import { buildDiscriminator, buildGenerator } from '../../main/engine/networks'
import { tf } from '../../main/engine/tf'
import { importCheckpoint } from '../../main/disk/importCheckpoint'
import { fromFloat32, fromInts, toFloat32, toInt32Array } from '../../main/tensors/convert'
import { CheckpointError } from '../../main/tensors/errors'
import type { RawTensor, TensorMap } from '../../main/tensors/tensor'
import { expectCheckpointError, expectCheckpointErrorAsync } from './helpers/expectError'

const root = join(import.meta.dirname, '../fixtures/studiogan')

function source(variant: string, model: 'G' | 'G_ema' | 'D'): StudioGanSource | undefined {
  const name = readdirSync(join(root, variant)).find((f) => f.startsWith(`model=${model}-`))
  if (!name) return undefined
  return { tensors: readTorchCheckpoint(new Uint8Array(readFileSync(join(root, variant, name))), name).tensors, file: name }
}

function input(variant: string): StudioGanInput {
  const G = source(variant, 'G')
  const ema = source(variant, 'G_ema')
  const D = source(variant, 'D')
  return { ...(G ? { G } : {}), ...(ema ? { ema } : {}), ...(D ? { D } : {}) }
}

function load(network: Module, tensors: TensorMap): ParamStore {
  const store = new ParamStore()
  loadParameters(network, store, tensors, 'fixture')
  return store
}

function nchwToNhwc(t: RawTensor): tf.Tensor4D {
  const [b, c, h, w] = t.shape
  return tf.tidy(() => tf.transpose(tf.tensor4d(toFloat32(t), [b, c, h, w]), [0, 2, 3, 1]))
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])
}

/** Without a tensor: a copy of the source's map lacking `key`. */
function without(src: StudioGanSource, key: string): StudioGanSource {
  const tensors = new Map(src.tensors)
  tensors.delete(key)
  return { ...src, tensors }
}

/** With extra tensors: a copy of the source's map with `extra` added under `state_dict.`. */
function withExtra(src: StudioGanSource, extra: Record<string, RawTensor>): StudioGanSource {
  const tensors = new Map(src.tensors)
  for (const [k, t] of Object.entries(extra)) tensors.set(`state_dict.${k}`, t)
  return { ...src, tensors }
}

const variants = [
  {
    name: 'big_resnet', ema: true,
    config: { arch: 'biggan', gChannels: 4, dChannels: 2, zDim: 32, hierarchical: true, gAttention: [16], dAttention: [16] },
  },
  {
    name: 'big_resnet-noattn', ema: false,
    config: { arch: 'biggan', gChannels: 4, dChannels: 2, zDim: 32, hierarchical: true, gAttention: [], dAttention: [] },
  },
  {
    name: 'big_resnet_deep_legacy', ema: true,
    config: { arch: 'biggan-deep', gChannels: 4, dChannels: 4, zDim: 16, hierarchical: false, gAttention: [16], dAttention: [16] },
  },
  {
    name: 'big_resnet_deep_legacy-noattn', ema: false,
    config: { arch: 'biggan-deep', gChannels: 4, dChannels: 4, zDim: 16, hierarchical: false, gAttention: [], dAttention: [] },
  },
] as const

beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
})

describe.each(variants)('StudioGAN $name checkpoints', ({ name, ema, config }) => {
  let model: StudioGanImport
  let reference: TensorMap
  let z: tf.Tensor2D
  let y: tf.Tensor2D
  const ref = (key: string): RawTensor => {
    const t = reference.get(key)
    if (!t) throw new Error(`reference.safetensors lacks ${key}`)
    return t
  }

  beforeAll(() => {
    model = importStudioGan(input(name))
    reference = readSafetensors(new Uint8Array(readFileSync(join(root, name, 'reference.safetensors'))), 'reference').tensors
    z = tf.tensor2d(toFloat32(ref('z')), ref('z').shape as [number, number])
    const labels = tf.tensor1d(toInt32Array(ref('labels')), 'int32')
    y = tf.tidy(() => tf.cast(tf.oneHot(labels, model.config.numClasses), 'float32') as tf.Tensor2D)
    labels.dispose()
  })

  afterAll(() => tf.dispose([z, y]))

  it('reads the architecture off the tensors, with StudioGAN’s epsilons and stored spectral norm', () => {
    expect(model.config).toEqual({
      resolution: 32, sharedDim: 16, numClasses: 5, bnEps: 1e-4, snEps: 1e-6, nStats: 1, toRgbChannels: 3,
      spectralNormInference: 'stored', statsMode: 'lerp', dSkipAfterReLU: true, ...config, gAttention: [...config.gAttention], dAttention: [...config.dAttention],
    })
    expect(parseModelConfig(JSON.parse(JSON.stringify(model.config)), name)).toEqual(model.config)
    const G = buildGenerator(model.config)
    const D = buildDiscriminator(model.config)!
    // exactly the parameters the networks declare, nothing more
    expect([...model.G.keys()].sort()).toEqual(G.specs().map((s) => s.name).sort())
    expect([...model.D!.keys()].sort()).toEqual(D.specs().map((s) => s.name).sort())
    expect(model.ema === undefined).toBe(!ema)
    if (model.ema) expect([...model.ema.keys()].sort()).toEqual([...model.G.keys()].sort())
  })

  it('renders G (and G_ema) as StudioGAN does, within 1e-4', () => {
    const G = buildGenerator(model.config)
    const generators: [string, TensorMap][] = [['G', model.G], ...(model.ema ? [['G_ema', model.ema] as [string, TensorMap]] : [])]
    for (const [which, tensors] of generators) {
      const params = load(G, tensors)
      const before = tf.memory().numTensors
      const image = G.apply(forwardContext(params, 'eval'), z, y)
      expect(tf.memory().numTensors).toBe(before + 1)
      const expected = nchwToNhwc(ref(`${which}.image_nchw`))
      const error = maxAbsDiff(image, expected)
      console.log(`${name} ${which} image parity (max abs): ${error.toExponential(2)}`)
      expect(error).toBeLessThanOrEqual(1e-4)
      tf.dispose([image, expected])
      params.dispose()
    }
  })

  it('scores images with D as StudioGAN does, within 1e-4', () => {
    const D = buildDiscriminator(model.config)!
    const params = load(D, model.D!)
    for (const [images, logits] of [['G.image_nchw', 'D.fake'], ['x_real_nchw', 'D.real']]) {
      const x = nchwToNhwc(ref(images))
      const out = D.apply(forwardContext(params, 'eval'), x, y)
      const expected = tf.tensor1d(toFloat32(ref(logits)))
      const error = maxAbsDiff(out, expected)
      console.log(`${name} ${logits} logit parity (max abs): ${error.toExponential(2)}`)
      expect(error).toBeLessThanOrEqual(1e-4)
      tf.dispose([x, out, expected])
    }
    params.dispose()
  })
})

describe('StudioGAN refusals', () => {
  const big = (): StudioGanInput => input('big_resnet')
  const deep = (): StudioGanInput => input('big_resnet_deep_legacy')
  const scalar = (v: number): RawTensor => ({ dtype: 'F32', shape: [1], data: new Uint8Array(Float32Array.of(v).buffer) })

  it('refuses an unconditional generator (g_cond_mtd W/O)', () => {
    const { G } = big()
    expectCheckpointError(() => importStudioGan({ G: without(G!, 'state_dict.shared.weight') }), 'unsupported', /g_cond_mtd/)
  })

  it('refuses a discriminator that is not a projection discriminator (AC, MH, W/O)', () => {
    const { G, D } = big()
    expectCheckpointError(() => importStudioGan({ G, D: withExtra(D!, { 'linear2.weight_orig': scalar(1) }) }), 'unsupported', /d_cond_mtd AC/)
    expectCheckpointError(() => importStudioGan({ G, D: without(D!, 'state_dict.embedding.weight_orig') }), 'unsupported', /W\/O/)
  })

  it('refuses InfoGAN heads and networks without spectral norm', () => {
    const { G, D } = big()
    expectCheckpointError(() => importStudioGan({ G: withExtra(G!, { 'info_proj_linear.weight_orig': scalar(1) }) }), 'unsupported', /InfoGAN/)
    expectCheckpointError(() => importStudioGan({ G, D: withExtra(D!, { 'blocks.0.0.conv2d1.weight': scalar(1) }) }), 'unsupported', /apply_d_sn/)
  })

  it('refuses big_resnet_deep_studiogan, whose blocks have learned shortcuts', () => {
    const { G } = deep()
    const e = expectCheckpointError(
      () => importStudioGan({ G: withExtra(G!, { 'blocks.0.0.conv2d0.weight_orig': scalar(1) }) }), 'unsupported', /big_resnet_deep_studiogan/,
    )
    expect(e.tensor).toBe('blocks.0.0.conv2d0.weight_orig')
  })

  it('names the missing tensor, the unknown tensor and the wrong shape', () => {
    const { G, D } = big()
    const missing = expectCheckpointError(() => importStudioGan({ G: without(G!, 'state_dict.blocks.1.0.bn2.bias.weight_v') }), 'missing-key')
    expect(missing.tensor).toBe('blocks.1.0.bn2.bias.weight_v')
    const unknown = expectCheckpointError(() => importStudioGan({ G, D: withExtra(D!, { 'extra.weight_orig': scalar(1) }) }), 'unknown-key')
    expect(unknown.tensor).toBe('extra.weight_orig')
    const bent = withExtra(G!, { 'conv2d5.bias': scalar(1) })
    const shape = expectCheckpointError(() => importStudioGan({ G: bent }), 'shape-mismatch')
    expect(shape.tensor).toBe('conv2d5.bias')
  })

  it('refuses the 64-px generator widths and deep generators without two blocks per resolution', () => {
    const { G } = input('big_resnet-noattn')
    expectCheckpointError(() => importStudioGan({ G: withExtra(G!, { 'blocks.3.0.conv2d1.weight_orig': scalar(1) }) }), 'unsupported', /64-px/)
    const deepG = input('big_resnet_deep_legacy-noattn').G!
    expectCheckpointError(() => importStudioGan({ G: withExtra(deepG, { 'blocks.6.0.conv2d1.weight_orig': scalar(1) }) }), 'unsupported', /g_depth 2/)
  })

  it('refuses attention after a 32-px D block that is not the first at its resolution', () => {
    const { G, D } = big()
    // [block0, attention, block1, block2, block3] → [block0, block1, block2, attention, block3]: attention at 8×8
    // after the second block there, where the engine would place it after the first
    const moved: Record<string, string> = { 'blocks.1.0.': 'blocks.3.0.', 'blocks.2.0.': 'blocks.1.0.', 'blocks.3.0.': 'blocks.2.0.' }
    const tensors = new Map([...D!.tensors].map(([k, t]) => {
      const from = Object.keys(moved).find((m) => k.startsWith(`state_dict.${m}`))
      return [from ? `state_dict.${moved[from]}${k.slice(`state_dict.${from}`.length)}` : k, t] as const
    }))
    expectCheckpointError(() => importStudioGan({ G, D: { ...D!, tensors } }), 'unsupported', /not the first at its resolution/)
  })

  it('refuses a discriminator of the other backbone', () => {
    expectCheckpointError(() => importStudioGan({ G: big().G, D: deep().D }), 'unsupported', /not a big_resnet one/)
  })

  it('exports the generator to BigGAN-PyTorch but refuses the discriminator, whose skip path it lacks', () => {
    const model = importStudioGan(big())
    expect(exportBigganPytorch(model.config, model.G).G.size).toBeGreaterThan(0)
    expectCheckpointError(() => exportBigganPytorch(model.config, model.G, model.D), 'unsupported', /skip path/)
  })

  it('needs a generator', () => {
    expectCheckpointError(() => importStudioGan({ D: big().D }), 'missing-key', /needs the generator/)
  })
})

describe('StudioGAN import from disk', () => {
  it('imports a run folder: G, G_ema and D of the best step', async () => {
    const imported = await importCheckpoint(join(root, 'big_resnet_deep_legacy'))
    expect(imported.family).toBe('studiogan')
    expect(imported.provenance.source).toBe('import:studiogan')
    expect(imported.config.arch).toBe('biggan-deep')
    expect(imported.ema).toBeDefined()
    expect(imported.D).toBeDefined()
  })

  it('imports one generator file on its own, and refuses a discriminator file', async () => {
    const imported = await importCheckpoint(join(root, 'big_resnet-noattn', 'model=G-best-weights-step=100.pth'))
    expect(imported.family).toBe('studiogan')
    expect(imported.D).toBeUndefined()
    await expectCheckpointErrorAsync(
      () => importCheckpoint(join(root, 'big_resnet', 'model=D-best-weights-step=100.pth')), 'unsupported', /discriminator/,
    )
  })
})

describe('StudioGAN importer under hostile input', () => {
  const fixture = input('big_resnet')
  const files = readdirSync(join(root, 'big_resnet')).filter((f) => f.endsWith('.pth'))

  /** importStudioGan on `G` (and the fixture's D): a result or a CheckpointError, nothing else. */
  function outcome(G: StudioGanSource): unknown {
    try {
      importStudioGan({ G, D: fixture.D })
      return undefined
    } catch (err) {
      return err instanceof CheckpointError ? undefined : err
    }
  }

  it('refuses every StudioGAN file truncated at a hundred points with a CheckpointError', () => {
    for (const name of files) {
      const bytes = new Uint8Array(readFileSync(join(root, 'big_resnet', name)))
      const bad: string[] = []
      for (let k = 0; k < 100; k++) {
        const n = Math.floor((bytes.length * k) / 100)
        try {
          importStudioGan({ G: { tensors: readTorchCheckpoint(bytes.subarray(0, n), name).tensors, file: name } })
        } catch (err) {
          if (!(err instanceof CheckpointError)) bad.push(`${name} cut at ${n}: ${String(err)}`)
        }
      }
      expect(bad).toEqual([])
    }
  })

  it('refuses a NaN weight, naming it', () => {
    const tensors = new Map(fixture.G!.tensors)
    const key = 'state_dict.blocks.0.0.conv2d1.weight_orig'
    const t = tensors.get(key)!
    const values = toFloat32(t).slice()
    values[5] = Number.NaN
    tensors.set(key, fromFloat32(t.shape, values))
    const e = expectCheckpointError(() => importStudioGan({ G: { ...fixture.G!, tensors } }), 'non-finite')
    expect(e.tensor).toBe('blocks.0.0.conv2d1.weight_orig')
  })

  it('answers mutated state dicts (dropped, reshaped, retyped, renamed tensors) with a result or a CheckpointError', () => {
    const keys = [...fixture.G!.tensors.keys()]
    const mutation = fc.record({
      key: fc.constantFrom(...keys),
      kind: fc.constantFrom('drop', 'reshape', 'retype', 'rename', 'scalar', 'empty'),
      n: fc.integer({ min: 0, max: 300 }),
      name: fc.constantFrom('__proto__', 'state_dict.blocks.99999.0.conv2d1.weight_orig', 'state_dict.', 'state_dict.blocks.-1.0.x'),
    })
    const result = fc.check(fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
      const tensors = new Map(fixture.G!.tensors)
      for (const m of ms) {
        const t = tensors.get(m.key)
        if (!t) continue
        if (m.kind === 'drop') tensors.delete(m.key)
        else if (m.kind === 'reshape') tensors.set(m.key, fromFloat32([m.n], new Float32Array(m.n)))
        else if (m.kind === 'retype') tensors.set(m.key, fromInts(t.shape, new Array(t.shape.reduce((a, b) => a * b, 1)).fill(m.n)))
        else if (m.kind === 'scalar') tensors.set(m.key, fromFloat32([], Float32Array.of(m.n)))
        else if (m.kind === 'empty') tensors.set(m.key, fromFloat32([0, m.n], new Float32Array(0)))
        else tensors.set(m.name, t)
      }
      return outcome({ ...fixture.G!, tensors }) === undefined
    }), { seed: 20261127, numRuns: 150 })
    expect(result.counterexample ?? []).toEqual([])
  })
})
