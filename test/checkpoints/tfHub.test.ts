// TF-Hub BigGAN and BigGAN-deep modules: an engine model's own weights, written under the module names and
// TensorFlow layouts into a real tensor bundle (and, for BigGAN-deep, a graph holding the statistics), import back
// exactly and render; folders and .tar.gz archives dispatch through importCheckpoint; hostile archives are refused
// before anything is unpacked.

import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { importTfHubBiggan } from '../../main/checkpoints/importers/tfHubBiggan'
import { importTfHubBigganDeep } from '../../main/checkpoints/importers/tfHubBigganDeep'
import { readGraphStacks } from '../../main/checkpoints/tf/savedModel'
import { readTensorBundle } from '../../main/checkpoints/tf/tensorBundle'
import { initBackend } from '../../main/backend/backend'
import { importCheckpoint } from '../../main/disk/importCheckpoint'
import { defaultConfig, type ModelConfig } from '../../main/engine/config'
import { BigGANModel } from '../../main/engine/model'
import { Random } from '../../main/engine/sampling/random'
import { fromFloat32, toFloat32 } from '../../main/tensors/convert'
import type { TensorMap } from '../../main/tensors/tensor'
import { biggan as cli } from '../cli/inProcess'
import { expectCheckpointError, expectCheckpointErrorAsync } from './helpers/expectError'
import {
  bigganHubVariables, deepHubVariables, moduleEntries, savedModelWithStacks, tarGz, writeBundle, writeModuleFolder,
} from './helpers/hubModule'

const bigganConfig: ModelConfig = {
  ...defaultConfig('biggan', 64, 2, 3, 32), bnEps: 1e-4, snEps: 1e-4, spectralNormInference: 'power-step',
  dChannels: 0, dAttention: [],
}
const deepConfig: ModelConfig = {
  ...defaultConfig('biggan-deep', 64, 4, 3, 32), bnEps: 1e-4, snEps: 1e-4, nStats: 3, toRgbChannels: 4,
  statsMode: 'hf', dChannels: 0, dAttention: [],
}

let work: string
let biggan: { G: TensorMap }
let deep: { G: TensorMap }
beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
  work = mkdtempSync(join(tmpdir(), 'biggan-tfhub-'))
  for (const [config, set] of [[bigganConfig, (g: TensorMap) => (biggan = { G: g })], [deepConfig, (g: TensorMap) => (deep = { G: g })]] as const) {
    const model = BigGANModel.initialise(config, 3)
    set(model.tensors().G)
    model.dispose()
  }
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

/** Reads the bundle back with the real reader, as the disk layer does. */
function roundTripBundle(variables: TensorMap): TensorMap {
  const b = writeBundle(variables, { blockSize: 512 })
  return readTensorBundle({ index: b.index, shards: [b.data] }).tensors
}

function expectSameTensors(actual: TensorMap, expected: TensorMap, skip: (name: string) => boolean): void {
  const differ = [...expected].filter(([n]) => !skip(n)).filter(([n, t]) => {
    const a = actual.get(n)
    if (!a || a.shape.join() !== t.shape.join()) return true
    const want = toFloat32(t)
    return toFloat32(a).some((x, i) => x !== want[i])
  }).map(([n]) => n)
  expect(differ).toEqual([])
  expect([...actual.keys()].filter((n) => !expected.has(n))).toEqual([])
}

async function rendersFinite(config: ModelConfig, G: TensorMap): Promise<void> {
  const model = BigGANModel.fromTensors(config, { G })
  try {
    const z = new Random(1).normals(2 * config.zDim).map((x) => x * 0.5)
    const y = new Float32Array(2 * config.numClasses)
    y[0] = 1
    y[config.numClasses + 2] = 1
    const images = await model.generate(z, y, { truncation: 0.5 })
    expect(images.length).toBe(2 * config.resolution * config.resolution * 3)
    expect(images.every(Number.isFinite)).toBe(true)
  } finally {
    model.dispose()
  }
}

describe('TF-Hub BigGAN modules', () => {
  it('import the engine\'s own weights written under the hub names back exactly, config included', () => {
    const tensors = roundTripBundle(bigganHubVariables(bigganConfig, biggan.G))
    const imported = importTfHubBiggan({ tensors, file: 'variables.index' })
    expect(imported.config).toEqual(bigganConfig)
    // σ is an estimate the module does not store: recomputed by one power step
    expectSameTensors(imported.G, biggan.G, (n) => n.endsWith('.sigma'))
    expect([...imported.G].filter(([n]) => n.endsWith('.sigma')).every(([, t]) => toFloat32(t)[0] > 0)).toBe(true)
  })

  it('renders finite images from the imported weights', async () => {
    const imported = importTfHubBiggan({ tensors: roundTripBundle(bigganHubVariables(bigganConfig, biggan.G)), file: 'x' })
    await rendersFinite(imported.config, imported.G)
  })

  it('reads the EMA copy where the module has both, accepts the module/ scope, and derives v when u1 is absent', () => {
    const variables = bigganHubVariables(bigganConfig, biggan.G)
    const scoped: TensorMap = new Map([...variables].map(([n, t]) => [`module/${n}`, t]))
    scoped.set('module/Generator/GBlock/conv0/w', fromFloat32([3, 3, 32, 32], new Float32Array(9 * 32 * 32).fill(7)))
    scoped.delete('module/Generator/GBlock/conv0/u1')
    const imported = importTfHubBiggan({ tensors: roundTripBundle(scoped), file: 'x' })
    expect(toFloat32(imported.G.get('G.blocks.0.conv1.weight')!)).toEqual(toFloat32(biggan.G.get('G.blocks.0.conv1.weight')!))
    const v = toFloat32(imported.G.get('G.blocks.0.conv1.v')!)
    expect(Math.hypot(...v)).toBeCloseTo(1, 5)
    expect(imported.notes).toMatch(/1 v vectors derived/)
  })

  it('refuses a module with a missing, misshapen or foreign variable, naming it', () => {
    const variables = bigganHubVariables(bigganConfig, biggan.G)
    const without = new Map(variables)
    without.delete('Generator/GBlock_2/HyperBN_1/beta/w/ema_b999900')
    expectCheckpointError(() => importTfHubBiggan({ tensors: without, file: 'v.index' }), 'missing-key', /GBlock_2\/HyperBN_1\/beta\/w/)
    const misshapen = new Map(variables)
    misshapen.set('Generator/GBlock_1/conv1/w/ema_b999900', fromFloat32([3, 3, 16, 17], new Float32Array(9 * 16 * 17)))
    expectCheckpointError(() => importTfHubBiggan({ tensors: misshapen, file: 'v.index' }), 'shape-mismatch', /GBlock_1\/conv1\/w.*\[3,3,16,17\].*\[3,3,16,16\]/)
    const foreign = new Map(variables)
    foreign.set('Generator/GBlock/conv7/w', fromFloat32([1], Float32Array.of(1)))
    expectCheckpointError(() => importTfHubBiggan({ tensors: foreign, file: 'v.index' }), 'unknown-key', /conv7\/w.*another model/)
  })
})

describe('TF-Hub BigGAN-deep modules', () => {
  it('import weights and per-truncation statistics exactly, via the graph\'s stacks, and render', async () => {
    const { variables, stacks } = deepHubVariables(deepConfig, deep.G)
    const graph = readGraphStacks(savedModelWithStacks(stacks), 'saved_model.pb')
    expect(graph.unreadable.get('stack_0')).toMatch(/not float32/)
    const imported = importTfHubBigganDeep({ tensors: roundTripBundle(variables), stacks: graph.stacks, file: 'v.index', graphFile: 'saved_model.pb' })
    expect(imported.config).toEqual({ ...deepConfig, spectralNormInference: 'stored' })
    // u, v and σ come from one power step, as pytorch-pretrained-BigGAN's converter computes them
    expectSameTensors(imported.G, deep.G, (n) => /\.(u|v|sigma)$/.test(n))
    await rendersFinite(imported.config, imported.G)
  })

  it('refuses a graph without the statistics, saying which stack holds what', () => {
    const { variables, stacks } = deepHubVariables(deepConfig, deep.G)
    const graph = readGraphStacks(savedModelWithStacks(stacks.slice(0, 5)), 'saved_model.pb')
    expectCheckpointError(
      () => importTfHubBigganDeep({ tensors: variables, stacks: graph.stacks, file: 'v.index', graphFile: 'saved_model.pb' }),
      'missing-key', /saved_model\.pb.*no stack_13, which holds layers\.0\.bn_2\.running_vars \(statistics 6 of/,
    )
  })
})

describe('importing TF-Hub modules from disk', () => {
  it('imports a module folder, a file inside it and its .tar.gz archive through importCheckpoint', async () => {
    const bundle = writeBundle(bigganHubVariables(bigganConfig, biggan.G))
    const folder = join(work, 'biggan-64')
    writeModuleFolder(folder, bundle)
    const fromFolder = await importCheckpoint(folder)
    expect(fromFolder.family).toBe('tfhub-biggan')
    expect(fromFolder.provenance.source).toBe('import:tfhub-biggan')
    expect((await importCheckpoint(join(folder, 'variables', 'variables.index'))).family).toBe('tfhub-biggan')
    const archive = join(work, 'biggan-64.tar.gz')
    writeFileSync(archive, tarGz(moduleEntries('biggan-64_2', bundle)))
    const fromArchive = await importCheckpoint(archive)
    expectSameTensors(fromArchive.G, fromFolder.G, () => false)
    expect(fromArchive.provenance.from).toBe(archive)

    const { variables, stacks } = deepHubVariables(deepConfig, deep.G)
    const deepArchive = join(work, 'deep.tgz')
    writeFileSync(deepArchive, tarGz(moduleEntries('.', writeBundle(variables), savedModelWithStacks(stacks)).slice(1)))
    expect((await importCheckpoint(deepArchive)).family).toBe('tfhub-biggan-deep')
  })

  it('imports a BigGAN-deep module archive with `biggan import` into a native model folder', async () => {
    const { variables, stacks } = deepHubVariables(deepConfig, deep.G)
    const archive = join(work, 'biggan-deep-64_1.tar.gz')
    writeFileSync(archive, tarGz(moduleEntries('biggan-deep-64_1', writeBundle(variables), savedModelWithStacks(stacks))))
    const result = await cli('import', archive, '--out', join(work, 'cli-deep'))
    expect(result.err).not.toMatch(/error/i)
    expect(result.code).toBe(0)
    expect(result.out).toMatch(/imported tfhub-biggan-deep → .*cli-deep\n  biggan-deep-64, G [\d,]+ parameters, no discriminator/)
  })

  it('refuses a module whose data shard is missing, naming the shard to copy', async () => {
    const folder = join(work, 'no-shard')
    writeModuleFolder(folder, writeBundle(bigganHubVariables(bigganConfig, biggan.G)))
    rmSync(join(folder, 'variables', 'variables.data-00000-of-00001'))
    await expectCheckpointErrorAsync(() => importCheckpoint(folder), 'missing-key', /variables\.data-00000-of-00001, which is missing/)
  })

  it.each([
    ['a ../ entry', { path: '../escaped.txt', data: new Uint8Array(3) }, /'\.\.' segment/],
    ['an absolute path', { path: '/tmp/biggan-hub-absolute.txt', data: new Uint8Array(3) }, /absolute path/],
    ['a symbolic link out', { path: 'module/variables/variables.index', type: 'symlink' as const, linkpath: '/etc/passwd' }, /is a link/],
    ['a hard link', { path: 'module/hard', type: 'hardlink' as const, linkpath: '../../etc/passwd' }, /is a link/],
  ])('refuses an archive with %s before unpacking anything', async (_, entry, message) => {
    const archive = join(work, `hostile-${readdirSync(work).length}.tar.gz`)
    writeFileSync(archive, tarGz([entry, ...moduleEntries('module', writeBundle(new Map()))]))
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('biggan-hub-')).length
    await expectCheckpointErrorAsync(() => importCheckpoint(archive), 'bad-header', message)
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('biggan-hub-')).length).toBe(before)
    expect(existsSync(join(work, 'escaped.txt'))).toBe(false)
    expect(existsSync('/tmp/biggan-hub-absolute.txt')).toBe(false)
  })
})
