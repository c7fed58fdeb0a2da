// Adam (Kingma & Ba 2015) with PyTorch's update, as BigGAN-PyTorch trains with it (β1 = 0, β2 = 0.999, ε 1e-6 in
// the released run, 1e-8 its default):
//   m ← β1 m + (1 − β1) g;  v ← β2 v + (1 − β2) g²;  p ← p − lr / (1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
// (tf.train.adam puts ε elsewhere and keys its state by tfjs variable names; this one keys by parameter name, so
// its state can be saved next to the weights.) It owns its moment tensors; dispose() frees them.
// state() / fromState() carry m, v and the step count exactly (float32 moments, an integer t whose bias corrections
// are recomputed in double), so a resumed run takes the same updates as an uninterrupted one.
import { fromFloat32, toFloat32 } from '../../tensors/convert.ts'
import type { TensorMap } from '../../tensors/tensor.ts'
import type { ParamStore } from '../module'
import { tf } from '../tf'

export interface AdamSettings {
  learningRate: number
  beta1: number
  beta2: number
  epsilon: number
}

/** BigGAN-PyTorch's launch_BigGAN_bs256x8.sh: G 1e-4 and D 4e-4, β (0, 0.999), ε 1e-6. */
export const bigganAdam = {
  G: { learningRate: 1e-4, beta1: 0, beta2: 0.999, epsilon: 1e-6 },
  D: { learningRate: 4e-4, beta1: 0, beta2: 0.999, epsilon: 1e-6 },
} as const satisfies Record<string, AdamSettings>

/** Everything a resumed Adam needs: t, and the moments as `<parameter>.m` / `<parameter>.v` float32 tensors. */
export interface AdamState {
  steps: number
  moments: TensorMap
}

export class Adam {
  private readonly m = new Map<string, tf.Variable>()
  private readonly v = new Map<string, tf.Variable>()
  /** steps taken: t in the bias corrections */
  steps = 0

  constructor(
    readonly params: ParamStore,
    readonly settings: AdamSettings,
  ) {}

  /** One update of every parameter that has a gradient; the gradients stay the caller's. */
  apply(grads: ReadonlyMap<string, tf.Tensor>): void {
    this.steps++
    const { learningRate, beta1, beta2, epsilon } = this.settings
    const correction1 = 1 - beta1 ** this.steps
    const correction2 = Math.sqrt(1 - beta2 ** this.steps)
    for (const [name, g] of grads) {
      tf.tidy(() => {
        const m = this.moment(this.m, name, g)
        const v = this.moment(this.v, name, g)
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)))
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)))
        const denominator = tf.add(tf.div(tf.sqrt(v), correction2), epsilon)
        const p = this.params.get(name)
        p.assign(tf.sub(p, tf.mul(tf.div(m, denominator), learningRate / correction1)))
      })
    }
  }

  /** A copy of the state (read back from the backend). */
  state(): AdamState {
    const moments: TensorMap = new Map()
    for (const [suffix, store] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, t] of store) moments.set(`${name}.${suffix}`, fromFloat32(t.shape, t.dataSync() as Float32Array))
    }
    return { steps: this.steps, moments }
  }

  /** An Adam that continues from `state`; every moment must name a parameter of `params` and match its shape. */
  static fromState(params: ParamStore, settings: AdamSettings, state: AdamState): Adam {
    if (!(Number.isSafeInteger(state.steps) && state.steps >= 0)) {
      throw new Error(`optimiser state: steps must be a whole number ≥ 0, got ${state.steps}`)
    }
    const adam = new Adam(params, settings)
    adam.steps = state.steps
    try {
      for (const [key, raw] of state.moments) {
        const match = /^(.*)\.(m|v)$/.exec(key)
        if (!match || !params.has(match[1])) {
          throw new Error(`optimiser state '${key}' names no parameter of this model (expected '<parameter>.m' or '.v')`)
        }
        const shape = params.get(match[1]).shape
        if (raw.shape.length !== shape.length || raw.shape.some((d, i) => d !== shape[i])) {
          throw new Error(`optimiser state '${key}' has shape [${raw.shape}] but its parameter has [${shape}]`)
        }
        const values = toFloat32(raw)
        ;(match[2] === 'm' ? adam.m : adam.v).set(match[1], tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), false)))
      }
      for (const name of adam.m.keys()) {
        if (!adam.v.has(name)) throw new Error(`optimiser state has '${name}.m' but not '${name}.v'`)
      }
      for (const name of adam.v.keys()) {
        if (!adam.m.has(name)) throw new Error(`optimiser state has '${name}.v' but not '${name}.m'`)
      }
    } catch (err) {
      adam.dispose()
      throw err
    }
    return adam
  }

  private moment(moments: Map<string, tf.Variable>, name: string, like: tf.Tensor): tf.Variable {
    let moment = moments.get(name)
    if (!moment) {
      moment = tf.variable(tf.zerosLike(like), false)
      moments.set(name, moment)
    }
    return moment
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose()
    this.m.clear()
    this.v.clear()
  }
}
