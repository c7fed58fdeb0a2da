// How close a fine-tune's target-class samples came to the folder. The copying check (train/memorisation.ts) already
// finds each preview sample's nearest training image, and each held-out image's, in D's features φ(x) (in pixels
// for a model without a D). A held-out image is what a new image of the folder looks like to that measure, so the
// ratio of the medians, sample → folder over held-out → folder, is scale-free: about 1 when the samples sit among
// the folder's images as a new one of them would, and far above it when they stay what the model drew before (a
// grey sandal against orange ones). Copies show up at the other end (well below 1), which the copying check judges.

/** The part of a copying check (train/memorisation.ts) the distance reads, stated here so that the main thread's
 *  run views can compute it without reaching the engine's TensorFlow.js modules. */
interface DistanceSummary {
  medianSample: number
  medianHeldOut: number
}

export interface TargetDistance {
  step: number
  /** the space measured in: D's features where the model has a D, else pixels */
  space: 'features' | 'pixels'
  /** median nearest-folder-image distance of the samples ÷ that of the held-out images */
  ratio: number
  medianSample: number
  medianHeldOut: number
  /** the ratio is above farRatio */
  far: boolean
}

/** Above this ratio the samples are called far from the folder [ours, from `npm run evaluate:finetune`, in D's
 *  features: the default model's grey sandals against 30 orange ones measure 3.3, and 4.6 after 150 adversarial steps
 *  that drew no orange; after 200 BSA steps that drew 100 % orange sandals, 0.77]. */
export const farRatio = 1.8

export function targetDistance(result: { step: number; pixels: DistanceSummary; features?: DistanceSummary }): TargetDistance {
  const space = result.features ? 'features' : 'pixels'
  const s = result.features ?? result.pixels
  const ratio = s.medianHeldOut > 0 ? s.medianSample / s.medianHeldOut : Number.POSITIVE_INFINITY
  return { step: result.step, space, ratio, medianSample: s.medianSample, medianHeldOut: s.medianHeldOut, far: ratio > farRatio }
}

/** The warning a run gives while its samples stay far from the folder. */
export function distanceWarning(d: TargetDistance): string {
  return (
    `at step ${d.step} the target class's samples are still far from the folder's images: their nearest folder image is ` +
    `${d.ratio.toFixed(1)}× as far as a held-out image's (${spaceName(d.space)}; above ${farRatio} is far). The run is not ` +
    'learning what the folder looks like yet: train more steps, or compare the previews with the folder'
  )
}

/** One line for a finished run: how close its samples got. */
export function distanceSummary(d: TargetDistance): string {
  const verdict = d.far ? `still far from the folder (above ${farRatio})` : 'close to the folder'
  return `target-class samples at step ${d.step}: ${d.ratio.toFixed(2)}× a held-out image's distance to the folder (${spaceName(d.space)}), ${verdict}`
}

function spaceName(space: TargetDistance['space']): string {
  return space === 'features' ? "in D's features" : 'in pixels'
}
