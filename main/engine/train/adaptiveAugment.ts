// ADA's adaptive augmentation strength (Karras et al., NeurIPS 2020, arXiv 2006.06676), as stylegan2-ada-pytorch's
// training_loop.py runs it: D's real logits are summarised by r_t = E[sign(D(x_real))] over the images seen since
// the last adjustment, and every `interval` D steps
//
//   p ← clamp(p + sign(r_t − target) · (images in the interval) / speedImages, 0, 1)
//
// With a fixed batch the step is the authors' batch·interval / (ada_kimg·1000). r_t above the target means D is
// sure of the reals (overfitting), so p rises; below it, p falls. The authors clamp only at 0; p is a probability
// here, so it also stops at 1. All state is plain numbers, saved and restored with the run.

export interface AdaptiveAugmentSettings {
  /** r_t the controller aims for: 0.6 in ADA */
  target: number
  /** D steps between adjustments: 4 in ADA */
  interval: number
  /** real images it takes p to move by 1 (ADA's ada_kimg·1000) */
  speedImages: number
}

/** ADA training from scratch: p can cross [0, 1] in 500k images. */
export const ADA_SPEED_FROM_SCRATCH = 500_000
/** ADA when resuming or transferring ("make ADA react faster at the beginning"): 100k images. */
export const ADA_SPEED_TRANSFER = 100_000

/** ADA's controller with its transfer-learning speed, the fine-tuning recipe's default. */
export const adaSettings: AdaptiveAugmentSettings = { target: 0.6, interval: 4, speedImages: ADA_SPEED_TRANSFER }

/**
 * A speed for a short run. ADA transfer runs last ~1000k images or more and let p cross [0, 1] in 100k, a tenth of
 * the run; a shorter run keeps that tenth. The floor keeps each adjustment at most 1% of p, so a single noisy
 * interval cannot swing it. (Our scaling; no source prescribes one.)
 */
export function adaSpeedForRun(totalImages: number, batch: number, interval = adaSettings.interval): number {
  if (!(totalImages > 0 && batch > 0 && interval > 0)) {
    throw new Error(`adaSpeedForRun needs positive totalImages, batch and interval, got ${totalImages}, ${batch}, ${interval}`)
  }
  return Math.min(ADA_SPEED_TRANSFER, Math.max(totalImages / 10, 100 * batch * interval))
}

export interface AdaptiveAugmentState {
  settings: AdaptiveAugmentSettings
  p: number
  /** r_t of the last completed interval; null before the first adjustment */
  rt: number | null
  /** D steps observed in all */
  steps: number
  /** the open interval: D steps, Σ sign(logit) and images so far */
  intervalSteps: number
  signSum: number
  intervalImages: number
}

export class AdaptiveAugmentation {
  readonly settings: AdaptiveAugmentSettings
  /** the current probability of each augmentation per image */
  p: number
  /** r_t of the last completed interval; null before the first adjustment */
  rt: number | null = null
  /** D steps observed in all */
  steps = 0
  private intervalSteps = 0
  private signSum = 0
  private intervalImages = 0

  constructor(settings: Partial<AdaptiveAugmentSettings> = {}, initialP = 0) {
    this.settings = { ...adaSettings, ...settings }
    const { target, interval, speedImages } = this.settings
    if (!(target >= -1 && target <= 1)) throw new Error(`ADA target must lie in [−1, 1], got ${target}`)
    if (!(Number.isInteger(interval) && interval >= 1)) throw new Error(`ADA interval must be a whole number of D steps ≥ 1, got ${interval}`)
    if (!(speedImages > 0 && Number.isFinite(speedImages))) throw new Error(`ADA speedImages must be a positive number of images, got ${speedImages}`)
    if (!(initialP >= 0 && initialP <= 1)) throw new Error(`initial augmentation probability must lie in [0, 1], got ${initialP}`)
    this.p = initialP
  }

  /** Records one D step's real logits, [batch]; every `interval` steps adjusts p. */
  observe(realLogits: Float32Array): void {
    let sum = 0
    for (let i = 0; i < realLogits.length; i++) {
      const v = realLogits[i]
      if (!Number.isFinite(v)) {
        throw new Error(`ADA got a non-finite real logit (${v}) at index ${i} of ${realLogits.length}: D has diverged`)
      }
      sum += Math.sign(v)
    }
    this.signSum += sum
    this.intervalImages += realLogits.length
    this.intervalSteps += 1
    this.steps += 1
    if (this.intervalSteps < this.settings.interval) return
    if (this.intervalImages > 0) {
      this.rt = this.signSum / this.intervalImages
      const adjust = (Math.sign(this.rt - this.settings.target) * this.intervalImages) / this.settings.speedImages
      this.p = Math.min(1, Math.max(0, this.p + adjust))
    }
    this.intervalSteps = 0
    this.signSum = 0
    this.intervalImages = 0
  }

  state(): AdaptiveAugmentState {
    return {
      settings: { ...this.settings },
      p: this.p,
      rt: this.rt,
      steps: this.steps,
      intervalSteps: this.intervalSteps,
      signSum: this.signSum,
      intervalImages: this.intervalImages,
    }
  }

  static fromState(state: AdaptiveAugmentState): AdaptiveAugmentation {
    const ada = new AdaptiveAugmentation(state.settings, state.p)
    ada.rt = state.rt
    ada.steps = state.steps
    ada.intervalSteps = state.intervalSteps
    ada.signSum = state.signSum
    ada.intervalImages = state.intervalImages
    return ada
  }
}
