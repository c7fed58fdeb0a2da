// A TensorFlow.js model folder the user points to (model.json + weight shards, as tfjs-converter or
// model.save() writes them) as a feature extractor (engine/inspect/extractors.ts), read from the local file system
// through a small IO handler: no network, no tfjs-node. Features: a layers model's feature layer (default the one before the last),
// or a graph model's output; class scores: the last layer's softmax (applied here when the model ends in logits).
// The folder's identity for every number computed with it is a sha256 over model.json and its weight files in
// manifest order (plus extractor.json where there is one).
//
// extractor.json (optional, beside model.json) says what the file alone cannot:
//   { "inputRange": [0, 1],               the pixel range the model expects (default [−1, 1], the engine's)
//     "classNames": ["cat", …],            one per output class, to match them with a generator's classes by name
//     "featureLayer": "dense_1" }          a layers model's feature layer (default: the one before the last)
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { isAbsolute, join, normalize, relative } from 'node:path'
import { systemReason } from '../data/errors.ts'
import { tf } from '../engine/tf.ts'
import { checkImages, classColumn, type FeatureExtractor } from '../engine/inspect/extractors.ts'

export const tfjsModelFile = 'model.json'
export const tfjsSidecarFile = 'extractor.json'
const defaultBatch = 64

export interface TfjsSidecar {
  inputRange?: [number, number]
  classNames?: string[]
  featureLayer?: string
}

export interface TfjsFolder {
  dir: string
  /** 'layers-model' or 'graph-model' (model.json's format; Keras-converted files without one are layers models) */
  format: 'layers-model' | 'graph-model'
  /** sha256 over model.json, the weight files and extractor.json */
  hash: string
  sidecar: TfjsSidecar
  /** the handler tf.loadLayersModel / tf.loadGraphModel read from */
  handler: tf.io.IOHandler
  /** class names from extractor.json, else from model.json's userDefinedMetadata.classNames */
  classNames?: string[]
}

/** Reads model.json and every weight file once (hashing them) and returns a handler that serves them from memory. */
export async function readTfjsFolder(dir: string): Promise<TfjsFolder> {
  const modelPath = join(dir, tfjsModelFile)
  const modelBytes = await readOrExplain(modelPath, `no ${tfjsModelFile} in ${dir}: a TensorFlow.js model folder holds model.json and its weight shards`)
  let json: tf.io.ModelJSON
  try {
    json = JSON.parse(modelBytes.toString('utf8')) as tf.io.ModelJSON
  } catch (err) {
    throw new Error(`${modelPath} is not valid JSON (${(err as Error).message})`)
  }
  if (typeof json !== 'object' || json === null || typeof json.modelTopology !== 'object' || json.modelTopology === null) {
    throw new Error(`${modelPath} has no modelTopology: it is not a TensorFlow.js model.json`)
  }
  const manifest: tf.io.WeightsManifestConfig = Array.isArray(json.weightsManifest) ? json.weightsManifest : []
  const hash = createHash('sha256')
  hash.update(modelBytes)
  const shards: Buffer[] = []
  for (const group of manifest) {
    for (const path of group.paths ?? []) {
      const file = insideFolder(dir, path, modelPath)
      const bytes = await readOrExplain(file, `${modelPath} lists weight file '${path}', which cannot be read`)
      hash.update(`\0${path}\0`)
      hash.update(bytes)
      shards.push(bytes)
    }
  }
  const sidecar = await readSidecar(dir)
  if (sidecar.bytes) {
    hash.update(`\0${tfjsSidecarFile}\0`)
    hash.update(sidecar.bytes)
  }
  const weightData = concatenate(shards)
  const handler: tf.io.IOHandler = {
    load: () => tf.io.getModelArtifactsForJSON(json, async (m) => [tf.io.getWeightSpecs(m), weightData]),
  }
  const format = json.format === 'graph-model' ? 'graph-model' : 'layers-model'
  const metadata = json.userDefinedMetadata as { classNames?: unknown } | undefined
  const fromMetadata = Array.isArray(metadata?.classNames) && metadata.classNames.every((n) => typeof n === 'string') ? metadata.classNames : undefined
  const classNames = sidecar.value.classNames ?? (fromMetadata as string[] | undefined)
  return { dir, format, hash: hash.digest('hex'), sidecar: sidecar.value, handler, ...(classNames ? { classNames } : {}) }
}

/** A TensorFlow.js layers or graph model folder as an extractor (extractor.json: see the top of this file). */
export async function tfjsExtractor(dir: string): Promise<FeatureExtractor> {
  const folder = await readTfjsFolder(dir)
  const name = `tfjs:${dir}`
  const [lo, hi] = folder.sidecar.inputRange ?? [-1, 1]
  let model: tf.LayersModel | tf.GraphModel
  try {
    model = folder.format === 'graph-model' ? await tf.loadGraphModel(folder.handler) : await tf.loadLayersModel(folder.handler)
  } catch (err) {
    throw new Error(`cannot load the TensorFlow.js ${folder.format} in ${dir}: ${(err as Error).message}`)
  }
  try {
    const shape = model.inputs[0]?.shape
    if (!shape || shape.length !== 4 || shape[1] == null || shape[1] !== shape[2] || (shape[3] !== 1 && shape[3] !== 3)) {
      throw new Error(
        `${join(dir, tfjsModelFile)}: the model takes input [${shape?.map((d) => d ?? 'batch')}]; an image extractor needs ` +
          '[batch, R, R, 3] or [batch, R, R, 1] (NHWC, square)',
      )
    }
    const resolution = shape[1] as number
    const channels = shape[3] as number
    // engine images [b, R, R, 3] in [−1, 1] → the model's range and channels
    const prepare = (x: tf.Tensor4D): tf.Tensor4D => tf.tidy(() => {
      const ranged = tf.add(tf.mul(tf.add(x, 1), (hi - lo) / 2), lo) as tf.Tensor4D
      return channels === 1 ? (tf.mean(ranged, 3, true) as tf.Tensor4D) : ranged
    })
    const net = model instanceof tf.LayersModel ? layersParts(model, folder.sidecar.featureLayer, dir) : graphParts(model)
    const probe = tf.tidy(() => net.run(prepare(tf.zeros([1, resolution, resolution, 3]))))
    const dims = probe.features.shape[1]
    const outputs = probe.output.shape.length === 2 ? probe.output.shape[1] : 0
    tf.dispose([probe.features, probe.output])
    const names = folder.classNames
    if (names && outputs > 0 && names.length !== outputs) {
      throw new Error(`${dir}: ${names.length} class names but the model has ${outputs} outputs`)
    }
    const size = resolution * resolution * 3
    const batched = async (images: Float32Array, pick: 'features' | 'scores'): Promise<Float32Array> => {
      const n = checkImages(images, resolution, name).length / size
      const width = pick === 'features' ? dims : outputs
      const out = new Float32Array(n * width)
      for (let start = 0; start < n; start += defaultBatch) {
        const b = Math.min(defaultBatch, n - start)
        const t = tf.tidy(() => {
          const { features, output } = net.run(prepare(tf.tensor4d(images.subarray(start * size, (start + b) * size), [b, resolution, resolution, 3])))
          return pick === 'features' ? features : net.probabilities(output)
        })
        try {
          out.set(await t.data(), start * width)
        } finally {
          t.dispose()
        }
      }
      return out
    }
    const extractor: FeatureExtractor = {
      name,
      hash: folder.hash,
      dims,
      resolution,
      ...(outputs > 1 ? { classes: { count: outputs, ...(names ? { names } : {}) }, scoreKind: 'probability' as const } : {}),
      features: (images) => batched(images, 'features'),
      ...(outputs > 1
        ? {
            classify: (images: Float32Array) => batched(images, 'scores'),
            classScore: (x: tf.Tensor4D, c: number) => tf.tidy(() => classColumn(net.score(net.run(prepare(x)).output), c)),
          }
        : {}),
      dispose: () => model.dispose(),
    }
    return extractor
  } catch (err) {
    model.dispose()
    throw err
  }
}

interface NetParts {
  /** features [b, dims] (flattened) and the model's output */
  run(x: tf.Tensor4D): { features: tf.Tensor2D; output: tf.Tensor }
  /** output → probabilities [b, classes] */
  probabilities(output: tf.Tensor): tf.Tensor2D
  /** output → the differentiable class score per class: logits, or log-probabilities after a softmax */
  score(output: tf.Tensor): tf.Tensor2D
}

/** A layers model: features from `featureLayer` (default the layer before the last), the output from the last. */
function layersParts(model: tf.LayersModel, featureLayer: string | undefined, dir: string): NetParts {
  const layers = model.layers
  let feature: tf.layers.Layer
  if (featureLayer !== undefined) {
    const found = layers.find((l) => l.name === featureLayer)
    if (!found) throw new Error(`${dir}: extractor.json names featureLayer '${featureLayer}', but the model has no such layer (layers: ${layers.map((l) => l.name).join(', ')})`)
    feature = found
  } else {
    if (layers.length < 2) throw new Error(`${dir}: the model has one layer; features come from the layer before the last`)
    feature = layers[layers.length - 2]
  }
  const both = tf.model({ inputs: model.inputs, outputs: [feature.output as tf.SymbolicTensor, model.outputs[0]] })
  const last = layers[layers.length - 1]
  const softmaxOutput = (last.getConfig() as { activation?: unknown }).activation === 'softmax'
  return {
    run: (x) => {
      const [features, output] = both.apply(x) as tf.Tensor[]
      return { features: tf.reshape(features, [features.shape[0], -1]) as tf.Tensor2D, output }
    },
    probabilities: (output) => (softmaxOutput ? (output as tf.Tensor2D) : tf.softmax(output as tf.Tensor2D)),
    score: (output) => (softmaxOutput ? tf.log(tf.add(output, 1e-12)) : output) as tf.Tensor2D,
  }
}

/** A graph model: its (first) output is both the feature vector and the class scores. Rows already on the simplex
 *  (non-negative, summing to 1) are taken as probabilities; anything else as logits. */
function graphParts(model: tf.GraphModel): NetParts {
  const looksLikeProbabilities = (t: tf.Tensor2D): boolean => {
    const ok = tf.tidy(() => tf.logicalAnd(tf.all(tf.greaterEqual(t, 0)), tf.all(tf.less(tf.abs(tf.sub(tf.sum(t, 1), 1)), 1e-3))))
    const v = ok.dataSync()[0] === 1
    ok.dispose()
    return v
  }
  return {
    run: (x) => {
      const out = model.predict(x)
      const output = Array.isArray(out) ? out[0] : out instanceof tf.Tensor ? out : Object.values(out)[0]
      return { features: tf.reshape(output, [output.shape[0], -1]) as tf.Tensor2D, output }
    },
    probabilities: (output) => (looksLikeProbabilities(output as tf.Tensor2D) ? (output as tf.Tensor2D) : tf.softmax(output as tf.Tensor2D)),
    score: (output) => output as tf.Tensor2D,
  }
}

/** A weight path of model.json, resolved inside the folder (a manifest cannot make us read elsewhere). */
function insideFolder(dir: string, path: string, modelPath: string): string {
  const outside = (): never => {
    throw new Error(`${modelPath} lists weight file '${String(path)}' outside its folder; weight paths must be relative and inside it`)
  }
  if (typeof path !== 'string' || isAbsolute(path)) outside()
  const full = normalize(join(dir, path))
  const rel = relative(dir, full)
  if (rel.startsWith('..') || isAbsolute(rel)) outside()
  return full
}

async function readSidecar(dir: string): Promise<{ value: TfjsSidecar; bytes?: Buffer }> {
  const path = join(dir, tfjsSidecarFile)
  let bytes: Buffer
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { value: {} }
    throw new Error(`cannot read ${path}: ${systemReason(err)}`)
  }
  let o: Record<string, unknown>
  try {
    o = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>
  } catch (err) {
    throw new Error(`${path} is not valid JSON (${(err as Error).message})`)
  }
  const value: TfjsSidecar = {}
  if (o.inputRange !== undefined) {
    const r = o.inputRange
    if (!Array.isArray(r) || r.length !== 2 || !r.every((v) => typeof v === 'number' && Number.isFinite(v)) || !(r[1] > r[0])) {
      throw new Error(`${path}: inputRange must be [low, high] with low < high, e.g. [0, 1] or [0, 255]`)
    }
    value.inputRange = [r[0], r[1]]
  }
  if (o.classNames !== undefined) {
    if (!Array.isArray(o.classNames) || !o.classNames.every((n) => typeof n === 'string')) {
      throw new Error(`${path}: classNames must be a list of strings, one per output class`)
    }
    value.classNames = [...o.classNames] as string[]
  }
  if (o.featureLayer !== undefined) {
    if (typeof o.featureLayer !== 'string') throw new Error(`${path}: featureLayer must be a layer name`)
    value.featureLayer = o.featureLayer
  }
  return { value, bytes }
}

async function readOrExplain(path: string, message: string): Promise<Buffer> {
  try {
    return await readFile(path)
  } catch (err) {
    throw new Error(`${message} (${(err as Error).message})`)
  }
}

function concatenate(buffers: Buffer[]): ArrayBuffer {
  const total = buffers.reduce((n, b) => n + b.byteLength, 0)
  const out = new Uint8Array(total)
  let offset = 0
  for (const b of buffers) {
    out.set(b, offset)
    offset += b.byteLength
  }
  return out.buffer
}
