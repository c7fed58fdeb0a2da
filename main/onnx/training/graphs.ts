// The paper's two training steps as ONNX graphs: the networks' own forward (main/engine/networks) traced in train
// mode with every parameter and state tensor a graph input, the hinge loss, and the backward pass derived from
// that graph (main/onnx/grad). Nothing here restates a layer: a change to the networks changes these graphs.
//
//   D step: fake = G(z, y) (train mode: its BatchNorm and spectral-norm state move, no gradient to G);
//           logits = D([fake; x], [y; y_x]) in ONE call; L_D = hinge(real half, fake half); outputs ∂L_D/∂D.
//   G step: L_G = −mean D(G(z, y), y); outputs ∂L_G/∂G (D's weights are inputs like any other, and fixed).
// Both output every state update their forwards recorded (spectral-norm u, v, σ; BatchNorm running statistics),
// so the caller lands them after the step exactly as the TensorFlow.js step does (engine/train/step.ts).
import type { ModelConfig } from '../../engine/config.ts'
import type { Forward } from '../../engine/forward.ts'
import { trainableRoles, type ParamSpec, type ParamStore } from '../../engine/module.ts'
import { reconstructionLoss } from '../../engine/finetune/batchStatisticsAdaptation.ts'
import type { Discriminator, Generator } from '../../engine/networks/index.ts'
import { applyDrawn, augmentInputShapes, type AugmentInputName, type AugmentPolicy } from '../../engine/train/augment.ts'
import { discriminatorHinge, generatorHinge } from '../../engine/train/hingeLoss.ts'
import { differentiate } from '../grad/differentiate.ts'
import { GraphBuilder } from '../graph.ts'
import type { Graph } from '../proto.ts'
import { pruned } from '../trace/prune.ts'
import { Tracer, type Value } from '../trace/tracer.ts'

/** The names a step graph's inputs and outputs carry besides the parameters' own. */
export const stepNames = {
  z: 'z',
  y: 'y',
  x: 'x',
  yReal: 'y_real',
  loss: 'loss',
  realLogits: 'logits_real',
  fakeLogits: 'logits_fake',
  /** ∂L/∂p for parameter p */
  grad: (param: string): string => `grad:${param}`,
  /** the new value of state tensor s */
  update: (state: string): string => `update:${state}`,
  /** a DiffAugment draw as an input (engine/train/augment.ts, augmentInputs) */
  augment: (input: AugmentInputName): string => `augment:${input}`,
} as const

export interface StepBatch {
  /** fakes per step (the D step's G samples; the G step's too) */
  fakes: number
  /** real images per D step */
  reals: number
  /** DiffAugment's policies, applied to every image D sees (their draws are inputs); none where absent */
  augment?: readonly AugmentPolicy[]
  /** D parameters FreezeD keeps fixed: the D step outputs no gradient for them, so its backward pass stops above
   *  the frozen blocks (nothing below them needs a gradient) */
  frozen?: readonly string[]
}

/** A step graph and what it reads and writes. */
export interface StepGraph {
  graph: Graph
  /** parameter and state tensors it reads, by engine name (every one of them is a graph input) */
  params: string[]
  /** trainable parameters it outputs a gradient for */
  trained: string[]
  /** state tensors it outputs a new value for */
  updated: string[]
  /** DiffAugment's policies the graph applies (its `augment:*` inputs), in order */
  augment: readonly AugmentPolicy[]
}

/** A forward whose parameters are graph inputs (created on first use) and whose recorded state updates are
 *  collected for the graph's outputs: train mode for the D and G steps; eval mode at ψ = 1 for BSA, whose
 *  parameters outside `inputs` are the store's tensors as constants. */
class InputForward {
  readonly params = new Map<string, Value>()
  readonly updates = new Map<string, Value>()
  readonly forward: Forward<Value>

  constructor(readonly t: Tracer, specs: readonly ParamSpec[], evaluate?: { store: ParamStore; inputs: ReadonlySet<string> }) {
    const shapes = new Map(specs.map((s) => [s.name, s.shape]))
    this.forward = {
      ops: t,
      mode: evaluate ? 'eval' : 'train',
      ...(evaluate ? { truncation: 1 } : {}),
      param: (name) => {
        t.enter(name.slice(0, name.lastIndexOf('.')))
        if (evaluate && !evaluate.inputs.has(name)) return t.constant(evaluate.store.get(name))
        let v = this.params.get(name)
        if (!v) {
          const shape = shapes.get(name)
          if (!shape) throw new Error(`step graph: ${name} is no parameter of the networks`)
          v = t.input(name, shape)
          this.params.set(name, v)
        }
        return v
      },
      record: (name, value) => {
        if (evaluate) throw new Error(`an eval-mode forward records no state, but ${name} was recorded`)
        this.updates.set(name, value)
      },
    }
  }
}

function trainableOf(specs: readonly ParamSpec[]): string[] {
  return specs.filter((s) => trainableRoles.has(s.role)).map((s) => s.name)
}

/** Writes the step's outputs: the loss, the gradients of `wrt`, and every recorded update. */
function finish(
  g: GraphBuilder, t: Tracer, loss: Value, inputs: InputForward, wrt: string[], extra: [Value, string][], augment: readonly AugmentPolicy[],
): StepGraph {
  t.enter('loss')
  t.output(loss, stepNames.loss)
  for (const [v, name] of extra) t.output(v, name)
  const trained = wrt.filter((name) => inputs.params.has(name))
  const grads = differentiate(g, t.stored(loss, []), trained, { stop: t.stops })
  for (const name of trained) {
    const shape = inputs.params.get(name)!.shape
    g.output(grads.get(name)!, stepNames.grad(name), 'float', [...shape])
  }
  for (const [name, value] of inputs.updates) t.output(value, stepNames.update(name))
  return { graph: pruned(g.graph()), params: [...inputs.params.keys()], trained, updated: [...inputs.updates.keys()], augment }
}

/** DiffAugment of D's input images from drawn inputs, or the images as they are. */
function augmented(t: Tracer, images: Value, policies: readonly AugmentPolicy[] = []): Value {
  if (policies.length === 0) return images
  const [batch, height, width] = images.shape
  const inputs = new Map(augmentInputShapes(policies, batch, height, width).map(([name, shape]) => [name, t.input(stepNames.augment(name), shape)]))
  t.enter('augment')
  return applyDrawn(t, images, policies, (name) => inputs.get(name)!)
}

/** The D step: ∂L_D/∂D on [G(z, y); x] in one D call, G's and D's state updates. */
export function discriminatorStepGraph(G: Generator, D: Discriminator, config: ModelConfig, batch: StepBatch): StepGraph {
  const g = new GraphBuilder(`BigGAN Studio D step ${config.arch}-${config.resolution}`)
  const t = new Tracer(g)
  try {
    const R = config.resolution
    const z = t.input(stepNames.z, [batch.fakes, config.zDim])
    const y = t.input(stepNames.y, [batch.fakes, config.numClasses])
    const x = t.input(stepNames.x, [batch.reals, R, R, 3])
    const yReal = t.input(stepNames.yReal, [batch.reals, config.numClasses])
    const inputs = new InputForward(t, [...G.specs(), ...D.specs()])
    const fake = t.stopGradient(G.forward(inputs.forward, z, y))
    const logits = D.forward(inputs.forward, augmented(t, t.concat([fake, x], 0), batch.augment), t.concat([y, yReal], 0))
    const [fakeLogits, realLogits] = t.split(logits, [batch.fakes, batch.reals], 0)
    const loss = discriminatorHinge(t, realLogits, fakeLogits)
    const frozen = new Set(batch.frozen ?? [])
    return finish(g, t, loss, inputs, trainableOf(D.specs()).filter((name) => !frozen.has(name)), [
      [realLogits, stepNames.realLogits],
      [fakeLogits, stepNames.fakeLogits],
    ], batch.augment ?? [])
  } finally {
    t.dispose()
  }
}

/** The G step: ∂L_G/∂G through D, G's and D's state updates. */
export function generatorStepGraph(G: Generator, D: Discriminator, config: ModelConfig, batch: Pick<StepBatch, 'fakes' | 'augment'>): StepGraph {
  const g = new GraphBuilder(`BigGAN Studio G step ${config.arch}-${config.resolution}`)
  const t = new Tracer(g)
  try {
    const z = t.input(stepNames.z, [batch.fakes, config.zDim])
    const y = t.input(stepNames.y, [batch.fakes, config.numClasses])
    const inputs = new InputForward(t, [...G.specs(), ...D.specs()])
    const logits = D.forward(inputs.forward, augmented(t, G.forward(inputs.forward, z, y), batch.augment), y)
    return finish(g, t, generatorHinge(t, logits), inputs, trainableOf(G.specs()), [], batch.augment ?? [])
  } finally {
    t.dispose()
  }
}

/** The names a BSA step graph's inputs and outputs carry besides the trained parameters' own. */
export const bsaStepNames = {
  z: 'z',
  y: 'y',
  x: 'x',
  loss: 'loss',
  l1: 'l1',
  multiScaleL1: 'multi_scale_l1',
  latentPrior: 'latent_prior',
  grad: (name: string): string => `grad:${name}`,
} as const

/** A BSA step graph: which parameters it takes as inputs (the trained ones; the rest are folded in as constants). */
export interface BsaStepGraph {
  graph: Graph
  trained: string[]
}

/**
 * BSA's step (engine/finetune/batchStatisticsAdaptation.ts) as a graph: G in eval mode at ψ = 1 on the batch's
 * latents z [batch, zDim] and classes, the reconstruction loss against x [batch, R, R, 3], and its gradient with
 * respect to the trained parameters (graph inputs) and to z (named `grad:z`). G's other weights are constants: BSA
 * never changes them, so their spectral norms and statistics fold into the graph as in inference.
 */
export function bsaStepGraph(
  G: Generator, config: ModelConfig, store: ParamStore, trained: readonly string[], batch: number, latentWeight: number,
): BsaStepGraph {
  const g = new GraphBuilder(`BigGAN Studio BSA step ${config.arch}-${config.resolution}`)
  const t = new Tracer(g)
  try {
    const R = config.resolution
    const z = t.input(bsaStepNames.z, [batch, config.zDim])
    const y = t.input(bsaStepNames.y, [batch, config.numClasses])
    const x = t.input(bsaStepNames.x, [batch, R, R, 3])
    const { params: inputs, forward } = new InputForward(t, G.specs(), { store, inputs: new Set(trained) })
    const fake = G.forward(forward, z, y)
    t.enter('loss')
    const loss = reconstructionLoss(t, fake, x, z, latentWeight)
    t.output(loss.total, bsaStepNames.loss)
    t.output(loss.l1, bsaStepNames.l1)
    t.output(loss.multiScaleL1, bsaStepNames.multiScaleL1)
    t.output(loss.latentPrior, bsaStepNames.latentPrior)
    const present = trained.filter((name) => inputs.has(name))
    const grads = differentiate(g, t.stored(loss.total, []), [...present, bsaStepNames.z], { stop: t.stops })
    for (const name of present) g.output(grads.get(name)!, bsaStepNames.grad(name), 'float', [...inputs.get(name)!.shape])
    g.output(grads.get(bsaStepNames.z)!, bsaStepNames.grad(bsaStepNames.z), 'float', [batch, config.zDim])
    return { graph: pruned(g.graph()), trained: present }
  } finally {
    t.dispose()
  }
}
