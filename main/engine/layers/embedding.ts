// Class embeddings, weight [numClasses, dim]. Both take a soft class vector y [batch, numClasses] (one-hot, or a
// blend of classes) and return y · E: the same as a row lookup for one-hot y, but differentiable on wasm, which
// lacks the UnsortedSegmentSum kernel that tf.gather's gradient needs.
import type { Forward } from '../forward'
import { Module } from '../module'
import { SpectrallyNormalisedLayer, type SpectralNormSettings } from './spectralNorm'

/** G's shared class embedding (paper §3: one embedding feeds every conditional BatchNorm). No spectral norm:
 *  BigGAN-PyTorch found that SN on it "randomly cripples G". */
export class SharedEmbedding extends Module {
  constructor(
    name: string,
    readonly numClasses: number,
    readonly dim: number,
  ) {
    super(name)
    this.declare('weight', [numClasses, dim], 'embedding')
  }

  /** [batch, numClasses] → [batch, dim] */
  apply<T>(f: Forward<T>, y: T): T {
    return f.ops.matMul(y, f.param(`${this.name}.weight`))
  }
}

/** The projection discriminator's class embedding, spectrally normalised with one row per class (W_mat = E). */
export class SNEmbedding extends SpectrallyNormalisedLayer {
  constructor(
    name: string,
    readonly numClasses: number,
    readonly dim: number,
    sn: SpectralNormSettings,
  ) {
    super(name, sn, [numClasses, dim], 'outputs-first', 'embedding')
  }

  /** [batch, numClasses] → [batch, dim] */
  apply<T>(f: Forward<T>, y: T): T {
    return f.ops.matMul(y, this.normalisedWeight(f))
  }
}
