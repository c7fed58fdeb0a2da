import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { fromFloat32, toFloat32 } from '../../main/tensors/convert.ts'
import { CheckpointError } from '../../main/tensors/errors.ts'
import {
  exportHfBigganDeep,
  hfBigganDeepTensors,
  importHfBigganDeep,
  type HfBigganDeepFiles,
} from '../../main/checkpoints/importers/hfBigganDeep'
import type { RawTensor, TensorMap } from '../../main/tensors/tensor.ts'
import { readTorchCheckpoint } from '../../main/checkpoints/torch'

const fixtures = join(import.meta.dirname, '../fixtures/hf-biggan-deep')
let configJson: string
let stateDict: TensorMap

beforeAll(() => {
  configJson = readFileSync(join(fixtures, 'config.json'), 'utf8')
  const bytes = new Uint8Array(readFileSync(join(fixtures, 'pytorch_model.bin')))
  stateDict = readTorchCheckpoint(bytes, 'pytorch_model.bin').tensors
})

const files = (tensors: TensorMap = stateDict, json = configJson): HfBigganDeepFiles => ({
  configJson: json, tensors, configFile: 'biggan/config.json', weightsFile: 'biggan/pytorch_model.bin',
})

function values(t: RawTensor): Float32Array {
  return toFloat32(t)
}

/** The error importHfBigganDeep throws for these inputs. */
function importError(input: HfBigganDeepFiles): CheckpointError {
  try {
    importHfBigganDeep(input)
  } catch (e) {
    expect(e).toBeInstanceOf(CheckpointError)
    return e as CheckpointError
  }
  throw new Error('the import succeeded')
}

function withTensor(name: string, tensor: RawTensor | undefined): TensorMap {
  const copy = new Map(stateDict)
  if (tensor) copy.set(name, tensor)
  else copy.delete(name)
  return copy
}

describe('pytorch-pretrained-BigGAN importer', () => {
  it('turns config.json into the engine config, with the to-RGB width read from the weights', () => {
    const { config } = importHfBigganDeep(files())
    expect(config).toMatchObject({
      arch: 'biggan-deep', resolution: 128, gChannels: 8, zDim: 128, sharedDim: 128, numClasses: 1000,
      hierarchical: false, gAttention: [64], bnEps: 1e-4, snEps: 1e-4, nStats: 51, toRgbChannels: 8,
      spectralNormInference: 'stored', statsMode: 'hf',
    })
  })

  it('maps every HF tensor to one engine tensor and lays kernels out as HWIO and linears as [in, out]', () => {
    const { G } = importHfBigganDeep(files())
    const conv = values(stateDict.get('generator.layers.0.conv_1.weight_orig')!) // [out 32, in 32, 3, 3]
    const hwio = G.get('G.blocks.0.conv1.weight')!
    expect(hwio.shape).toEqual([3, 3, 32, 32])
    const w = values(hwio)
    for (const [o, i, kh, kw] of [[0, 0, 0, 0], [5, 17, 2, 1], [31, 3, 1, 2]]) {
      expect(w[((kh * 3 + kw) * 32 + i) * 32 + o]).toBe(conv[((o * 32 + i) * 3 + kh) * 3 + kw])
    }
    const linear = values(stateDict.get('generator.gen_z.weight_orig')!) // [2048, 256]
    const inOut = values(G.get('G.linear.weight')!) // [256, 2048], rows of the output already NHWC-ordered
    expect(G.get('G.linear.weight')!.shape).toEqual([256, 2048])
    expect(inOut[7 * 2048 + 1000]).toBe(linear[1000 * 256 + 7])
    expect(G.get('G.sharedEmbedding.weight')!.shape).toEqual([1000, 128])
    expect(values(G.get('G.sharedEmbedding.weight')!)[207 * 128 + 5]).toBe(values(stateDict.get('embeddings.weight')!)[5 * 1000 + 207])
    expect(G.get('G.blocks.3.bn2.mean')!.shape).toEqual([51, 32]) // layers[3] = (T, 16, 8): mid = 16·8/4
    expect(G.get('G.attention64.o.weight')!.shape).toEqual([1, 1, 8, 16])
  })

  it("reorders spectral-norm v from PyTorch's fan-in order (in, kh, kw) to the engine's (kh, kw, in)", () => {
    const { G } = importHfBigganDeep(files())
    for (const layer of ['G.blocks.0.conv1', 'G.blocks.9.conv2', 'G.toRgb', 'G.linear', 'G.blocks.4.bn1.gain']) {
      const weight = G.get(`${layer}.weight`)!
      const out = weight.shape[weight.shape.length - 1]
      const wT = values(weight) // W_matᵀ [fanIn, out] in the engine's order
      const u = values(G.get(`${layer}.u`)!)
      const v = values(G.get(`${layer}.v`)!)
      let sigma = 0
      for (let j = 0; j < v.length; j++) for (let o = 0; o < out; o++) sigma += u[o] * wT[j * out + o] * v[j]
      // the fixture's u, v are the true singular vectors, so uᵀ W v is σ only when v's order matches W's
      expect(sigma, layer).toBeCloseTo(values(G.get(`${layer}.sigma`)!)[0], 4)
      expect(sigma, layer).toBeGreaterThan(0)
    }
  })

  it('derives v (and u) from the weight when weight_v is absent', () => {
    const tensors = new Map([...stateDict].filter(([name]) => !name.endsWith('.weight_v')))
    const derived = importHfBigganDeep(files(tensors)).G
    const stored = importHfBigganDeep(files()).G
    for (const layer of ['G.blocks.0.conv1', 'G.linear', 'G.attention64.theta']) {
      for (const part of ['v', 'u', 'sigma']) {
        const a = values(derived.get(`${layer}.${part}`)!)
        const b = values(stored.get(`${layer}.${part}`)!)
        a.forEach((x, i) => expect(x, `${layer}.${part}[${i}]`).toBeCloseTo(b[i], 4))
      }
    }
  })

  it('names the file and tensor of a missing key', () => {
    const e = importError(files(withTensor('generator.layers.3.conv_1.bias', undefined)))
    expect(e.code).toBe('missing-key')
    expect(e.file).toBe('biggan/pytorch_model.bin')
    expect(e.tensor).toBe('generator.layers.3.conv_1.bias')
    expect(e.message).toContain('biggan/pytorch_model.bin')
    expect(e.message).toContain('generator.layers.3.conv_1.bias')
  })

  it('names the file and tensor of an unknown key', () => {
    const e = importError(files(withTensor('generator.layers.11.conv_0.bias', stateDict.get('generator.layers.10.conv_0.bias'))))
    expect(e.code).toBe('unknown-key')
    expect(e.message).toMatch(/biggan\/pytorch_model\.bin: tensor 'generator\.layers\.11\.conv_0\.bias'/)
  })

  it('names the file, tensor and both shapes of a wrong shape', () => {
    const e = importError(files(withTensor('generator.layers.8.snconv1x1_g.weight_orig', fromFloat32([8, 16, 3, 3], new Float32Array(8 * 16 * 9)))))
    expect(e.code).toBe('shape-mismatch')
    expect(e.tensor).toBe('generator.layers.8.snconv1x1_g.weight_orig')
    expect(e.message).toContain('[8,16,3,3]')
    expect(e.message).toContain('[8,16,1,1]')
  })

  it('names the file, tensor and element of a NaN or an infinity', () => {
    for (const bad of [NaN, Infinity]) {
      const name = 'generator.layers.2.bn_1.running_vars'
      const poisoned = values(stateDict.get(name)!)
      poisoned[40] = bad
      const e = importError(files(withTensor(name, fromFloat32([51, 32], poisoned))))
      expect(e.code).toBe('non-finite')
      expect(e.file).toBe('biggan/pytorch_model.bin')
      expect(e.tensor).toBe(name)
      expect(e.message).toContain(`element 40 is ${bad}`)
    }
  })

  it('refuses a config.json whose layers are not a BigGAN-deep generator, naming config.json', () => {
    const layers = JSON.parse(configJson)
    layers.layers[3] = [true, 16, 4]
    const e = importError(files(stateDict, JSON.stringify(layers)))
    expect(e.code).toBe('unsupported')
    expect(e.file).toBe('biggan/config.json')
    // after layers[4], a block that does not end a resolution: not a place BigGAN-deep puts attention
    const moved = { ...JSON.parse(configJson), attention_layer_position: 5 }
    expect(importError(files(stateDict, JSON.stringify(moved))).message).toMatch(/attention before entry 5/)
  })

  it('exports back to the original state dict: same keys in order, shapes and bytes, and the same config', () => {
    const imported = importHfBigganDeep(files())
    const exported = exportHfBigganDeep(imported.config, imported.G)
    expect([...exported.tensors.keys()]).toEqual([...stateDict.keys()])
    for (const [name, original] of stateDict) {
      const back = exported.tensors.get(name)!
      expect(back.shape, name).toEqual(original.shape)
      expect(back.dtype, name).toBe('F32')
      expect(Buffer.from(back.data).equals(Buffer.from(original.data)), name).toBe(true)
    }
    expect(JSON.parse(exported.configJson)).toEqual(JSON.parse(configJson))
  })

  it('has one table row per tensor of the released layouts (506 / 602 / 698 keys at 128 / 256 / 512)', () => {
    const { config } = importHfBigganDeep(files())
    for (const [resolution, keys] of [[128, 506], [256, 602], [512, 698]]) {
      const rows = hfBigganDeepTensors({ ...config, resolution, gChannels: 128, toRgbChannels: 128 })
      expect(rows).toHaveLength(keys)
      expect(new Set(rows.map((r) => r.engine)).size).toBe(keys)
    }
  })
})
