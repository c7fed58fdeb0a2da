// The model the engine worker holds, as the contract shows it to the renderer (models:*, runs:open, the 'model'
// event). The worker's record and the contract's ModelInfo are kept apart on purpose: the worker decides what a model
// is, the contract what crosses; so this copies them field by field, and a field added to one is added here too.
import type { ModelInfo } from '../../preload/contract/index.ts'
import type { ModelRecord } from '../engine-host/protocol/engine.ts'

export function modelView(m: ModelRecord): ModelInfo {
  return {
    hash: m.hash,
    name: m.name,
    path: m.path,
    arch: m.arch,
    resolution: m.resolution,
    ch: m.ch,
    numClasses: m.numClasses,
    zDim: m.zDim,
    zChunks: m.zChunks,
    zChunkLabels: m.zChunkLabels,
    semantics: m.semantics,
    truncation: {
      default: m.truncation.default,
      min: m.truncation.min,
      max: m.truncation.max,
      above: m.truncation.above,
      atMost: m.truncation.atMost,
    },
    classNames: m.classNames,
    ...(m.classIds ? { classIds: m.classIds } : {}),
    parameters: { G: m.parameters.G, D: m.parameters.D },
    hasDiscriminator: m.hasDiscriminator,
    hasEma: m.hasEma,
    provenance: m.provenance,
    isDefault: m.isDefault,
    isRandom: m.isRandom,
  }
}
