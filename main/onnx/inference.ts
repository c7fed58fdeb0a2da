// G and D as inference graphs: the networks' own forward (main/engine/networks), traced in eval mode with every
// weight a constant, so spectral norm (W / σ), the stored BatchNorm statistics and everything else that depends on
// weights alone fold into the graph's initializers, computed by the engine's own ops on TensorFlow.js.
//
// G inputs:  z [batch, zDim], y [batch, numClasses] (one-hot or a soft class mix), and where the model has per-
//            truncation BatchNorm statistics, stats_weights [1, nStats] (the engine's statsRows(ψ) spread over the
//            rows), so one graph serves every ψ.  Output: image [batch, R, R, 3] in [−1, 1], NHWC.
// D inputs:  x [batch, R, R, 3] NHWC in [−1, 1], y [batch, numClasses].
//   Outputs: logits [batch] (the projection discriminator) and features [batch, C], the pooled features it scores.
import type { ModelConfig } from '../engine/config.ts'
import type { Forward } from '../engine/forward.ts'
import type { ParamStore } from '../engine/module.ts'
import type { Discriminator, Generator } from '../engine/networks/index.ts'
import type { GraphBuilder } from './graph.ts'
import { discriminatorInputs, discriminatorOutputs, generatorInputs, generatorOutput } from './io.ts'
import { Tracer, type Value } from './trace/tracer.ts'

/** An eval forward whose parameters are the store's tensors, as constants. */
function constantForward(t: Tracer, store: ParamStore, statsWeights?: Value): Forward<Value> {
  return {
    ops: t,
    mode: 'eval',
    statsWeights,
    param: (name) => {
      t.enter(name.slice(0, name.lastIndexOf('.')))
      return t.constant(store.get(name))
    },
    record: (name) => {
      throw new Error(`an eval forward records no state, but ${name} was recorded`)
    },
  }
}

/** Adds G's inputs, layers and output to `g`. */
export function buildGenerator(g: GraphBuilder, G: Generator, config: ModelConfig, store: ParamStore): void {
  const t = new Tracer(g)
  try {
    const z = t.input(generatorInputs.z, [-1, config.zDim])
    const y = t.input(generatorInputs.y, [-1, config.numClasses])
    const statsWeights = config.nStats > 1 ? t.input(generatorInputs.statsWeights, [1, config.nStats]) : undefined
    const image = G.forward(constantForward(t, store, statsWeights), z, y)
    t.enter('G')
    t.output(image, generatorOutput)
  } finally {
    t.dispose()
  }
}

/** Adds D's inputs, layers and outputs to `g`. */
export function buildDiscriminator(g: GraphBuilder, D: Discriminator, config: ModelConfig, store: ParamStore): void {
  const t = new Tracer(g)
  try {
    const R = config.resolution
    const x = t.input(discriminatorInputs.x, [-1, R, R, 3])
    const y = t.input(discriminatorInputs.y, [-1, config.numClasses])
    const f = constantForward(t, store)
    const features = D.features(f, x)
    const logits = D.head(f, features, y)
    t.enter('D')
    t.output(logits, discriminatorOutputs.logits)
    t.output(features, discriminatorOutputs.features)
  } finally {
    t.dispose()
  }
}
