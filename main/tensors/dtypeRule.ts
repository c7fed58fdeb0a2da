// Which dtype a tensor may have, by what it is, for every reader: the native model folder and both importers.
// Weights, and every other value the engine computes with (BatchNorm statistics, spectral-norm vectors, optimiser
// moments), are floating point. Integers are only indices (class ids), read with toInt32Array. A weight stored as
// integers is refused rather than converted: reading I32 bits as numbers makes a model that renders noise and says
// nothing, and no checkpoint this app reads or writes stores weights that way.

import { CheckpointError } from './errors.ts'
import type { DType } from './tensor.ts'

export const weightDTypes: ReadonlySet<DType> = new Set(['F64', 'F32', 'F16', 'BF16'])

/** Refuses a weight that is not stored as floating point, naming the file and the tensor. */
export function checkWeightDType(dtype: DType, file?: string, tensor?: string): void {
  if (!weightDTypes.has(dtype)) {
    throw new CheckpointError(
      'unsupported',
      `is stored as ${dtype}, but weights must be floating point (F32, F16, BF16 or F64; integers are only for ` +
        'indices such as class ids); re-save the checkpoint with float weights',
      file, tensor,
    )
  }
}

/** Refuses an index stored as floating point, naming the tensor. */
export function checkIndexDType(dtype: DType, file?: string, tensor?: string): void {
  if (weightDTypes.has(dtype)) {
    throw new CheckpointError('unsupported', `expected an integer tensor of indices, got ${dtype}`, file, tensor)
  }
}
