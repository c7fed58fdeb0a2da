// The exponential moving average of G's weights (paper §4, decay 0.9999), the generator that is evaluated and
// released. Before `startStep` the average is pegged to G (a plain copy), as in BigGAN-PyTorch (start 20000).
//
// What is averaged: like BigGAN-PyTorch's utils.ema, which walks the whole state dict, every parameter G declares,
// its state included: BatchNorm running statistics and spectral-norm u, v, σ too. Averaged u and v are then put
// back on the unit sphere, because the engine's 'stored' inference uses them as unit singular vectors
// (BigGAN-PyTorch's eval runs a power step that normalises them anyway). Standing statistics, when computed for
// the EMA generator later, replace its averaged BatchNorm statistics.
import type { Module, ParamStore } from '../module'
import { tf } from '../tf'

export interface EmaSettings {
  /** 0.9999 in the paper and BigGAN-PyTorch */
  decay: number
  /** steps before this copy G instead of averaging */
  startStep: number
}

export const bigganEma: EmaSettings = { decay: 0.9999, startStep: 20000 }

/** ema ← decay·ema + (1 − decay)·G for every parameter G declares (ema ← G before startStep). */
export function updateEmaGenerator(G: Module, params: ParamStore, ema: ParamStore, step: number, settings: EmaSettings): void {
  const decay = step < settings.startStep ? 0 : settings.decay
  for (const spec of G.specs()) {
    tf.tidy(() => {
      const source = params.get(spec.name)
      if (!ema.has(spec.name)) {
        ema.set(spec.name, source, false)
        return
      }
      let averaged = decay === 0 ? source : tf.add(tf.mul(ema.get(spec.name), decay), tf.mul(source, 1 - decay))
      if (spec.role === 'sn-u' || spec.role === 'sn-v') averaged = tf.div(averaged, tf.norm(averaged))
      ema.get(spec.name).assign(averaged)
    })
  }
}
