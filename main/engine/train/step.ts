// One BigGAN training step as BigGAN-PyTorch's train_fns.GAN_training_function takes it (one D step, one G step,
// no accumulation). Both networks run in train mode: batch-statistic BatchNorm and one spectral-norm power step per
// forward, whose new u (and BN running statistics) land right after that forward, as PyTorch writes them in place.
//
//   D step: fake = G(z, y) without gradient; logits = D([fake; x], [y; y_x]) in ONE call (the two halves share the
//           same u); L_D = hinge(real half, fake half); ∂L_D/∂D.
//   (the caller's D optimiser may step here: BigGAN-PyTorch updates D before the G step)
//   G step: L_G = −mean D(G(z', y'), y'); ∂L_G/∂G, plus the orthogonal-regularisation gradient if β > 0.
//
// The step returns losses and gradients; applying them (Adam, EMA) is the loop's business.
// An optional `augment` (DiffAugment) transforms every image D sees, reals and fakes, in both steps, inside the
// gradient tape, so G's gradient flows back through it; the D step also hands back D's logits for ADA's r_t.
import { applyUpdates, forwardContext, trainableRoles, type ForwardContext, type Module, type ParamStore } from '../module'
import { tf } from '../tf'
import type { Random } from '../sampling/random'
import { applyAugmentation, drawAugmentation, type AugmentDraw, type AugmentPolicy } from './augment'
import { discriminatorHingeLoss, generatorHingeLoss } from './hingeLoss'
import { orthogonalRegularisationGradients } from './orthogonalRegularisation'

/** Any generator: BigGAN or BigGAN-deep. */
export interface GeneratorNetwork extends Module {
  apply(ctx: ForwardContext, z: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor4D
}

/** Any projection discriminator. */
export interface DiscriminatorNetwork extends Module {
  apply(ctx: ForwardContext, x: tf.Tensor4D, y: tf.Tensor2D): tf.Tensor1D
}

export interface Trainee<N extends Module> {
  net: N
  params: ParamStore
}

export interface TrainingBatch {
  /** latents [batch, zDim] and class vectors [batch, numClasses] of the fakes in the D step */
  z: tf.Tensor2D
  y: tf.Tensor2D
  /** real images [batchReal, R, R, 3] in [−1, 1] and their class vectors [batchReal, numClasses] */
  x: tf.Tensor4D
  yReal: tf.Tensor2D
  /** latents and classes for the G step (BigGAN-PyTorch samples new ones); default z and y */
  zG?: tf.Tensor2D
  yG?: tf.Tensor2D
}

export interface StepOptions {
  /** β of the orthogonal regularisation added to G's gradients; 0 (default) = off, as the released run. Paper 1e-4. */
  orthogonalRegularisation?: number
  /** runs between the D step and the G step with D's gradients, e.g. the D optimiser */
  afterDiscriminatorStep?: (dGrads: ReadonlyMap<string, tf.Tensor>) => void
  /** applied to every image D sees, in both steps (DiffAugment); default none */
  augment?: Augment
}

/** DiffAugment for one step: a differentiable transform of D's input images [batch, R, R, 3] (a new tensor), whose
 *  random draws a compiled step takes as inputs instead (`draw`, then augment.ts's augmentInputs). Either way one
 *  call draws once from the run's augmentation stream. */
export interface Augment {
  (x: tf.Tensor4D): tf.Tensor4D
  readonly policies: readonly AugmentPolicy[]
  draw(batch: number, height: number, width: number): AugmentDraw[]
}

/** DiffAugment with `policies` at probability `p`, drawing from `rng`: what a step takes as its Augment. */
export function augmentation(policies: readonly AugmentPolicy[], p: number, rng: Random): Augment {
  const draw = (batch: number, height: number, width: number): AugmentDraw[] => drawAugmentation(batch, height, width, [...policies], p, rng)
  return Object.assign((x: tf.Tensor4D) => applyAugmentation(x, draw(x.shape[0], x.shape[1], x.shape[2])), { policies, draw })
}

/** D's logits in the D step (after augmentation), owned with the gradients. */
export interface DiscriminatorLogits {
  real: tf.Tensor1D
  fake: tf.Tensor1D
}

export interface Gradients {
  loss: tf.Scalar
  /** by parameter name */
  grads: Map<string, tf.Tensor>
  /** D's logits, from the D step only */
  logits?: DiscriminatorLogits
}

export interface StepResult {
  dLoss: tf.Scalar
  gLoss: tf.Scalar
  dGrads: Map<string, tf.Tensor>
  gGrads: Map<string, tf.Tensor>
  /** frees the losses and gradients */
  dispose(): void
}

/** Differentiates `loss` with respect to the trainable parameters of `trainee`, by parameter name. */
function gradientsOf(trainee: Trainee<Module>, loss: () => tf.Scalar): Gradients {
  const names = trainee.net.specs().filter((s) => trainableRoles.has(s.role)).map((s) => s.name)
  const variables = names.map((n) => trainee.params.get(n))
  const { value, grads } = tf.variableGrads(() => tf.tidy(loss), variables)
  const byName = new Map<string, tf.Tensor>()
  names.forEach((name, i) => {
    const g = grads[variables[i].name]
    if (g) byName.set(name, g)
  })
  return { loss: value, grads: byName }
}

/** ∂L_D/∂D on [fakes; reals] in one D call; G's and D's state updates land. */
export function discriminatorStep(
  G: Trainee<GeneratorNetwork>, D: Trainee<DiscriminatorNetwork>, batch: TrainingBatch, augment?: Augment,
): Gradients & { logits: DiscriminatorLogits } {
  const gCtx = forwardContext(G.params, 'train')
  const fake = G.net.apply(gCtx, batch.z, batch.y) // outside any gradient tape: detached
  applyUpdates(gCtx)
  const dCtx = forwardContext(D.params, 'train')
  try {
    const [fakes] = batch.z.shape
    let kept: DiscriminatorLogits | undefined
    const step = gradientsOf(D, () => {
      const images = tf.concat([fake, batch.x], 0)
      const logits = D.net.apply(dCtx, augment ? augment(images) : images, tf.concat([batch.y, batch.yReal], 0))
      const [fakeLogits, realLogits] = tf.split(logits, [fakes, logits.shape[0] - fakes]) as tf.Tensor1D[]
      kept = { real: tf.keep(realLogits.clone()), fake: tf.keep(fakeLogits.clone()) }
      return discriminatorHingeLoss(realLogits, fakeLogits)
    })
    applyUpdates(dCtx)
    return { ...step, logits: kept! }
  } finally {
    fake.dispose()
  }
}

/** ∂L_G/∂G through D (D's weights fixed); G's and D's state updates land. Adds the orthogonal-regularisation
 *  gradient of strength β when β > 0 (after the backward pass, on the current weights, as BigGAN-PyTorch). */
export function generatorStep(
  G: Trainee<GeneratorNetwork>, D: Trainee<DiscriminatorNetwork>, batch: Pick<TrainingBatch, 'z' | 'y' | 'zG' | 'yG'>, beta = 0,
  augment?: Augment,
): Gradients {
  const z = batch.zG ?? batch.z
  const y = batch.yG ?? batch.y
  const gCtx = forwardContext(G.params, 'train')
  const dCtx = forwardContext(D.params, 'train')
  const step = gradientsOf(G, () => {
    const fake = G.net.apply(gCtx, z, y)
    return generatorHingeLoss(D.net.apply(dCtx, augment ? augment(fake) : fake, y))
  })
  applyUpdates(gCtx)
  applyUpdates(dCtx)
  if (beta > 0) {
    for (const [name, ortho] of orthogonalRegularisationGradients(G.net, G.params, beta)) {
      const g = step.grads.get(name)
      step.grads.set(name, g ? tf.add(g, ortho) : ortho.clone())
      g?.dispose()
      ortho.dispose()
    }
  }
  return step
}

/**
 * What computes a step's losses, gradients and state updates: TensorFlow.js on the engine's backend (the functions
 * above), or a compiled step graph (onnxruntime: main/onnx/training). Both take the model's weights as they stand,
 * land the state updates their forwards record (spectral-norm u, v, σ; BatchNorm running statistics) in the
 * model's ParamStore, and hand back gradients as tensors the caller owns; the optimiser and the EMA stay the
 * session's, so every method (FreezeD, new-class step scales, warm-up, orthogonal regularisation) is the same on
 * either.
 */
export interface StepExecutor {
  readonly name: 'tfjs' | 'onnx'
  /** what computes, for a person: 'onnxruntime (CPU, 2 threads)', 'TensorFlow.js (wasm)' */
  readonly label: string
  discriminatorStep(
    G: Trainee<GeneratorNetwork>, D: Trainee<DiscriminatorNetwork>, batch: TrainingBatch, augment?: Augment,
  ): Promise<Gradients & { logits: DiscriminatorLogits }>
  /** ∂L_G/∂G without the orthogonal-regularisation term (the session adds it after accumulation) */
  generatorStep(G: Trainee<GeneratorNetwork>, D: Trainee<DiscriminatorNetwork>, batch: Pick<TrainingBatch, 'z' | 'y'>, augment?: Augment): Promise<Gradients>
  dispose(): Promise<void>
}

/** The step on TensorFlow.js: the reference the compiled steps are tested against, and the fallback. `label` is
 *  what a person is told computes (the runs layer adds the wasm backend's threads, which the engine does not know). */
export function tfjsStepExecutor(label = `TensorFlow.js (${tf.getBackend()})`): StepExecutor {
  return {
    name: 'tfjs',
    label,
    discriminatorStep: async (G, D, batch, augment) => discriminatorStep(G, D, batch, augment),
    generatorStep: async (G, D, batch, augment) => generatorStep(G, D, batch, 0, augment),
    dispose: async () => {},
  }
}

/** One D step then one G step; the caller owns (and disposes) the result. */
export function trainingStep(
  G: Trainee<GeneratorNetwork>, D: Trainee<DiscriminatorNetwork>, batch: TrainingBatch, options: StepOptions = {},
): StepResult {
  const d = discriminatorStep(G, D, batch, options.augment)
  tf.dispose([d.logits.real, d.logits.fake])
  let g: Gradients
  try {
    options.afterDiscriminatorStep?.(d.grads)
    g = generatorStep(G, D, batch, options.orthogonalRegularisation ?? 0, options.augment)
  } catch (e) {
    tf.dispose([d.loss, ...d.grads.values()])
    throw e
  }
  return {
    dLoss: d.loss,
    gLoss: g.loss,
    dGrads: d.grads,
    gGrads: g.grads,
    dispose: () => tf.dispose([d.loss, g.loss, ...d.grads.values(), ...g.grads.values()]),
  }
}
