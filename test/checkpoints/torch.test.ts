import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { toFloat32 } from '../../main/tensors/convert'
import { detectTorchFormat, pickledToPlain, readTorchCheckpoint } from '../../main/checkpoints/torch'
import type { TensorMap } from '../../main/tensors/tensor'
import { pickle } from './helpers/pickleBuilder'
import { concat, tinyTorchLegacy, tinyTorchZip } from './helpers/torchBuilder'

const hfBin = 'test/fixtures/hf-biggan-deep/pytorch_model.bin'
const gEma = 'test/fixtures/biggan-pytorch/G_ema.pth'
const dPth = 'test/fixtures/biggan-pytorch/D.pth'

const shapes = (tensors: TensorMap, names: string[]): Record<string, number[]> =>
  Object.fromEntries(names.map((n) => [n, tensors.get(n)?.shape ?? []]))
const norms = (tensors: TensorMap, suffix: string): number[] =>
  [...tensors].filter(([k]) => k.endsWith(suffix)).map(([, t]) => Math.hypot(...toFloat32(t)))

describe('torch fixtures', () => {
  it('reads the legacy torch stream of the HF fixture: 506 tensors with the biggan-deep layout at channel_width 8', () => {
    const bytes = readFileSync(hfBin)
    expect(detectTorchFormat(bytes)).toBe('legacy')
    const { tensors, root } = readTorchCheckpoint(bytes, hfBin)
    expect(tensors.size).toBe(506)
    expect(root).toBeInstanceOf(Map)
    expect(shapes(tensors, [
      'embeddings.weight', 'generator.gen_z.weight_orig', 'generator.gen_z.weight_u', 'generator.gen_z.weight_v',
      'generator.layers.0.bn_0.running_means', 'generator.layers.0.conv_1.weight_orig', 'generator.layers.0.conv_1.weight_v',
      'generator.layers.3.conv_3.weight_orig', 'generator.layers.8.gamma', 'generator.layers.8.snconv1x1_theta.weight_orig',
      'generator.layers.8.snconv1x1_g.weight_orig', 'generator.layers.8.snconv1x1_o_conv.weight_orig',
      'generator.bn.running_vars', 'generator.conv_to_rgb.weight_orig', 'generator.conv_to_rgb.weight_v',
    ])).toEqual({
      'embeddings.weight': [128, 1000],
      'generator.gen_z.weight_orig': [2048, 256], // 4·4·16·ch
      'generator.gen_z.weight_u': [2048],
      'generator.gen_z.weight_v': [256],
      'generator.layers.0.bn_0.running_means': [51, 128],
      'generator.layers.0.conv_1.weight_orig': [32, 32, 3, 3], // mid = in/4
      'generator.layers.0.conv_1.weight_v': [288],
      'generator.layers.3.conv_3.weight_orig': [64, 32, 1, 1],
      'generator.layers.8.gamma': [1],
      'generator.layers.8.snconv1x1_theta.weight_orig': [2, 16, 1, 1],
      'generator.layers.8.snconv1x1_g.weight_orig': [8, 16, 1, 1],
      'generator.layers.8.snconv1x1_o_conv.weight_orig': [16, 8, 1, 1],
      'generator.bn.running_vars': [51, 8],
      'generator.conv_to_rgb.weight_orig': [8, 8, 3, 3],
      'generator.conv_to_rgb.weight_v': [72],
    })
    expect([...tensors.keys()].filter((k) => k.endsWith('.weight_v'))).toHaveLength(126)
    // The fixture sets weight_u / weight_v to true singular vectors: unit norms prove the bytes land at the right offsets.
    for (const n of [...norms(tensors, '.weight_u'), ...norms(tensors, '.weight_v')]) expect(n).toBeCloseTo(1, 5)
    expect(toFloat32(tensors.get('generator.layers.8.gamma')!)[0]).toBeCloseTo(0.7, 6)
  })

  it('reads the zip-format G_ema.pth of BigGAN-PyTorch with its unit u0 vectors and 0-d gamma', () => {
    const bytes = readFileSync(gEma)
    expect(detectTorchFormat(bytes)).toBe('zip')
    const { tensors } = readTorchCheckpoint(bytes, gEma)
    expect(tensors.size).toBe(166)
    expect(shapes(tensors, [
      'shared.weight', 'linear.weight', 'linear.u0', 'linear.sv0', 'blocks.0.0.conv1.weight', 'blocks.0.0.bn1.gain.weight',
      'blocks.3.1.gamma', 'blocks.3.1.theta.weight', 'output_layer.2.weight',
    ])).toEqual({
      'shared.weight': [1000, 128],
      'linear.weight': [2048, 20],
      'linear.u0': [1, 2048],
      'linear.sv0': [1],
      'blocks.0.0.conv1.weight': [128, 128, 3, 3],
      'blocks.0.0.bn1.gain.weight': [128, 148],
      'blocks.3.1.gamma': [],
      'blocks.3.1.theta.weight': [2, 16, 1, 1],
      'output_layer.2.weight': [3, 8, 3, 3],
    })
    for (const n of norms(tensors, '.u0')) expect(n).toBeCloseTo(1, 5)
    expect(toFloat32(tensors.get('blocks.3.1.gamma')!)[0]).toBeCloseTo(0.7, 6)
  })

  it('reads the zip-format D.pth of BigGAN-PyTorch', () => {
    const { tensors } = readTorchCheckpoint(readFileSync(dPth), dPth)
    expect(tensors.size).toBe(88)
    expect(shapes(tensors, ['blocks.0.0.conv1.weight', 'linear.weight', 'embed.weight', 'embed.u0'])).toEqual({
      'blocks.0.0.conv1.weight': [8, 3, 3, 3], 'linear.weight': [1, 128], 'embed.weight': [1000, 128], 'embed.u0': [1, 1000],
    })
  })
})

describe('tiny torch checkpoints', () => {
  const expected = {
    'linear.weight': { shape: [2, 3], values: [1, 2, 3, 4, 5, 6] },
    'linear.bias': { shape: [2], values: [0.5, -0.5] },
    'linear.weight_t': { shape: [3, 2], values: [1, 4, 2, 5, 3, 6] },
  }
  const check = (tensors: TensorMap): void => {
    expect(Object.fromEntries([...tensors].map(([k, t]) => [k, { shape: t.shape, values: [...toFloat32(t)] }]))).toEqual(expected)
  }

  it('reads a zip checkpoint, copying a transposed (strided) view out in C order', () => {
    check(readTorchCheckpoint(tinyTorchZip()).tensors)
  })

  it('reads a legacy checkpoint with two tensors sharing one storage', () => {
    check(readTorchCheckpoint(tinyTorchLegacy()).tensors)
  })

  it('reads a legacy checkpoint saved with pickle protocol 4 (framed magic number)', () => {
    const p2 = tinyTorchLegacy()
    const magic4 = pickle().proto(4).frame(12).long1(0x1950a86a20f9469cfc6cn).stop().bytes()
    check(readTorchCheckpoint(concat([magic4, p2.subarray(15)])).tensors)
  })

  it('byte-swaps the storages of a zip whose byteorder record says big', () => {
    check(readTorchCheckpoint(tinyTorchZip(undefined, { bigEndian: true })).tensors)
  })

  it("reads a BigGAN-PyTorch state_dict.pth-like dict (no tensors, numpy best_FID, config) as plain data", () => {
    const f8 = new Uint8Array(Float64Array.from([12.5]).buffer)
    const minus1 = [0x4a, 0xff, 0xff, 0xff, 0xff] as const
    const pkl = pickle().proto(2).emptyDict().mark()
      .shortUnicode('itr').int(138000).shortUnicode('best_FID')
      .global('numpy.core.multiarray', 'scalar')
      .global('numpy', 'dtype').shortUnicode('f8').bool(false).bool(true).tuple3().reduce()
      .mark().int(3).shortUnicode('<').none().none().none().op(...minus1).op(...minus1).int(0).tuple().build()
      .global('_codecs', 'encode').unicode(String.fromCharCode(...f8)).shortUnicode('latin1').tuple2().reduce()
      .tuple2().reduce()
      .shortUnicode('config').emptyDict().mark().shortUnicode('G_ch').int(96).shortUnicode('hier').bool(true)
      .shortUnicode('G_attn').shortUnicode('64').setitems()
      .setitems().stop().bytes()
    const { root, tensors } = readTorchCheckpoint(tinyTorchZip(undefined, { pkl }))
    expect(tensors.size).toBe(0)
    expect(pickledToPlain(root)).toEqual({ itr: 138000, best_FID: 12.5, config: { G_ch: 96, hier: true, G_attn: '64' } })
  })
})
