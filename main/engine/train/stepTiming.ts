// How long one training step's computation takes on a step executor: what a run's 'auto' compares to pick what
// computes its steps (TensorFlow.js or the step compiled for onnxruntime). A trial batch of the run's shape (its own
// seed, never the run's random streams), timed once warm (timeWarm). A step is what the
// loop runs per G step: `dSteps` D steps and one G step, DiffAugment's policies included. The optimiser and the EMA
// are not timed: they run the same whichever executor computes the gradients.
//
// The trial's forwards record state as any training forward does (one spectral-norm power step, BatchNorm running
// statistics); it is put back afterwards, so a trial on the run's own model leaves it exactly as it was.
import type { AugmentPolicy } from './augment'
import { oneHot } from '../images'
import type { BigGANModel } from '../model'
import { trainableRoles } from '../module'
import { Random } from '../sampling/random'
import { tf } from '../tf'
import { augmentation, type DiscriminatorNetwork, type GeneratorNetwork, type StepExecutor, type Trainee } from './step'

/** The shape of the run's step: what changes its cost. */
export interface StepShape {
  batchSize: number
  dSteps: number
  augment: readonly AugmentPolicy[]
}

/** Milliseconds per training step (`dSteps` D steps and one G step) of `model` on `executor`, timed after a warm-up;
 *  G's and D's state is as it was when this returns. */
export async function timeTrainingStep(executor: StepExecutor, model: BigGANModel, shape: StepShape): Promise<number> {
  const { config } = model
  const G: Trainee<GeneratorNetwork> = { net: model.G, params: model.params }
  const D: Trainee<DiscriminatorNetwork> = { net: model.D!, params: model.params }
  const rng = new Random(0x7e57)
  const { batchSize: b } = shape
  const { resolution: r, zDim, numClasses } = config
  const labels = Array.from({ length: b }, (_, i) => i % numClasses)
  const augment = shape.augment.length === 0 ? undefined : augmentation(shape.augment, 0.5, rng)
  const batch = {
    z: tf.randomNormal([b, zDim], 0, 1, 'float32', 1) as tf.Tensor2D,
    y: tf.tensor2d(oneHot(labels, numClasses), [b, numClasses]),
    x: tf.randomUniform([b, r, r, 3], -1, 1, 'float32', 2) as tf.Tensor4D,
    yReal: tf.tensor2d(oneHot(labels, numClasses), [b, numClasses]),
  }
  const state = [...stateOf(G), ...stateOf(D)]
  const kept = state.map(([, v]) => v.clone())
  try {
    return await timeWarm(async () => {
      for (let i = 0; i < shape.dSteps; i++) {
        const d = await executor.discriminatorStep(G, D, batch, augment)
        tf.dispose([d.loss, ...d.grads.values(), d.logits.real, d.logits.fake])
      }
      const g = await executor.generatorStep(G, D, batch, augment)
      tf.dispose([g.loss, ...g.grads.values()])
    })
  } finally {
    state.forEach(([, v], i) => v.assign(kept[i]))
    tf.dispose([...kept, ...Object.values(batch)])
  }
}

/** Milliseconds `step` takes once warm: a warm-up run, then the faster of two timed runs (the first after a warm-up
 *  can still be slow: one alone read twice the steady step of the default model's shape), or one where the warm-up
 *  took over ten seconds (a paper-size step, whose time varies little and costs many seconds a run). */
export async function timeWarm(step: () => Promise<void>): Promise<number> {
  const once = async (): Promise<number> => {
    const t0 = performance.now()
    await step()
    return performance.now() - t0
  }
  const warmUp = await once()
  const first = await once()
  return warmUp > 10_000 ? first : Math.min(first, await once())
}

/** A network's state parameters (what its training forwards update), as variables. */
function stateOf(trainee: Trainee<GeneratorNetwork | DiscriminatorNetwork>): [string, tf.Variable][] {
  return trainee.net.specs().filter((s) => !trainableRoles.has(s.role)).map((s) => [s.name, trainee.params.get(s.name)])
}
