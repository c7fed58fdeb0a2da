// The names of the exported graphs' inputs and outputs: what the exporter writes and the runtime feeds. Kept apart
// so that running a graph never loads the engine's networks (or TensorFlow.js).

/** G: z [batch, zDim], y [batch, numClasses], stats_weights [1, nStats] where the model has per-truncation rows;
 *  image [batch, R, R, 3] */
export const generatorInputs = { z: 'z', y: 'y', statsWeights: 'stats_weights' } as const
export const generatorOutput = 'image'

/** D: x [batch, R, R, 3], y [batch, numClasses]; logits [batch], features [batch, C] */
export const discriminatorInputs = { x: 'x', y: 'y' } as const
export const discriminatorOutputs = { logits: 'logits', features: 'features' } as const
