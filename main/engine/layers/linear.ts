// A spectrally normalised fully connected layer, weight [in, out] (x · W, the TF layout).
import type { Forward } from '../forward'
import { SpectrallyNormalisedLayer, type SpectralNormSettings } from './spectralNorm'

export class SNLinear extends SpectrallyNormalisedLayer {
  constructor(
    name: string,
    readonly inFeatures: number,
    readonly outFeatures: number,
    sn: SpectralNormSettings,
    readonly bias = true,
  ) {
    super(name, sn, [inFeatures, outFeatures], 'outputs-last')
    if (bias) this.declare('bias', [outFeatures], 'bias')
  }

  /** [batch, in] → [batch, out] */
  apply<T>(f: Forward<T>, x: T): T {
    const y = f.ops.matMul(x, this.normalisedWeight(f))
    return this.bias ? f.ops.add(y, f.param(`${this.name}.bias`)) : y
  }
}
