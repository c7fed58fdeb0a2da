// A discriminator for a generator-only model. The released BigGAN-deep weights (TF-Hub / HF) have no D (DeepMind
// never published the discriminators); what practitioners do in the issue trackers is train a D from scratch
// against the pretrained G. The new D is built for the model's own config
// (orthogonal init, init.ts) and first trained alone against the frozen G, so that G's first adversarial gradients
// come from a D that already separates the folder's images from G's samples rather than from random filters.
import type { ModelConfig } from '../config'
import { exportParameters, initialise } from '../init'
import { BigGANModel } from '../model'
import { ParamStore } from '../module'
import { buildDiscriminator } from '../networks'

export interface FreshDiscriminatorOptions {
  /** seed of the orthogonal initialisation */
  seed: number
  /** D's channel multiplier `ch`; default G's (the paper uses the same width for both) */
  dChannels?: number
}

/** What the training loop does before joint training: `steps` D steps against the frozen G. */
export interface DiscriminatorWarmup {
  steps: number
  trainG: false
}

/** Why a fresh D cannot be built for this config, or undefined when it can. */
export function freshDiscriminatorProblem(config: ModelConfig): string | undefined {
  if (config.arch === 'biggan-deep' && config.resolution > 256) {
    return `BigGAN-deep defines no discriminator above 256×256 (BigGAN-PyTorch has none; the released ${config.resolution}-px weights ` +
      'are generator-only). Fine-tune this model without a discriminator (batch statistics adaptation), or start from a 256-px model'
  }
  return undefined
}

/**
 * A NEW model: `model`'s G (and EMA) copied unchanged, plus a freshly initialised D for the same config with
 * dChannels = G's width unless given. D's self-attention sits where the config already puts it, else at G's
 * attention resolutions below the image size (BigGAN and BigGAN-deep place D's at 64×64 as G's). `model` stays the
 * caller's. A model that already has a D is refused: its D is worth more than a random one.
 */
export function withFreshDiscriminator(model: BigGANModel, options: FreshDiscriminatorOptions): BigGANModel {
  if (model.D) {
    throw new Error('this model already has a discriminator; fine-tune it (FreezeD) rather than replacing it with a random one')
  }
  const problem = freshDiscriminatorProblem(model.config)
  if (problem) throw new Error(problem)
  const dChannels = options.dChannels ?? model.config.gChannels
  if (!(Number.isInteger(dChannels) && dChannels >= 1)) throw new Error(`dChannels must be a whole number ≥ 1, got ${dChannels}`)
  if (model.config.arch === 'biggan-deep' && dChannels % 4 !== 0) {
    throw new Error(`BigGAN-deep's D needs dChannels divisible by 4 (its bottlenecks are ch/4 wide), got ${dChannels}`)
  }
  const { gAttention, dAttention, resolution } = model.config
  const config: ModelConfig = {
    ...model.config,
    dChannels,
    dAttention: dAttention.length > 0 ? dAttention : gAttention.filter((r) => r < resolution),
  }
  const D = buildDiscriminator(config)
  if (!D) throw new Error('no discriminator for this config') // dChannels ≥ 1 always builds one
  const store = new ParamStore()
  let dTensors
  try {
    initialise(D, store, options.seed)
    dTensors = exportParameters(D, store)
  } finally {
    store.dispose()
  }
  const { G, ema } = model.tensors()
  return BigGANModel.fromTensors(config, { G, D: dTensors, ...(ema ? { ema } : {}) })
}

/**
 * The default warm-up for a run of `runSteps` joint steps: 10% of the run, at least 100 steps and at most 2 000,
 * never longer than the run itself. [ours: no source prescribes a warm-up; FreezeD and BigGAN-PyTorch start from a
 * pretrained D.] 100 steps at batch 8–16 show D around a thousand reals and fakes, enough to stop it being a random
 * critic; 2 000 keeps the frozen-G phase a small share of a fine-tune's usual 5k–20k iterations (FreezeD trained 20k,
 * CDC 1k–5k).
 * `steps` overrides the default (0 disables the warm-up).
 */
export function discriminatorWarmup(runSteps: number, steps?: number): DiscriminatorWarmup {
  if (!(Number.isInteger(runSteps) && runSteps >= 0)) throw new Error(`runSteps must be a whole number ≥ 0, got ${runSteps}`)
  if (steps !== undefined) {
    if (!(Number.isInteger(steps) && steps >= 0)) throw new Error(`warm-up steps must be a whole number ≥ 0, got ${steps}`)
    return { steps, trainG: false }
  }
  const scaled = Math.min(2000, Math.max(100, Math.round(0.1 * runSteps)))
  return { steps: Math.min(runSteps, scaled), trainG: false }
}
