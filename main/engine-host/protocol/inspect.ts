// The class-leakage inspection operations between the main thread and the engine worker: what each request
// carries and what its reply holds. Kept apart from engine.ts so that the main thread's side reads these types
// without reaching the engine (tfjs stays in the worker); worker/inspectJobs.ts serves them.
import type { PackedPoint } from './points.ts'

/** Who says which class an image shows: the default for the model (the bundled Fashion-MNIST classifier for a model
 *  with its classes, else D), the bundled classifier, the model's D, or a classifier folder (TensorFlow.js or studio). */
export type JudgeSpec = 'default' | 'classifier' | 'discriminator' | { folder: string }

export interface JudgeInfo {
  /** 'fashion-mnist-classifier', 'discriminator', 'classifier:<folder>' or 'tfjs:<folder>' */
  name: string
  /** sha256 of its weights: shown next to every number measured with it */
  hash: string
  /** probability: a classifier's softmax; evidence: D's ⟨E[k], φ(x)⟩ (unnormalised) */
  scoreKind: 'probability' | 'evidence'
  /** its classes (the detected columns) */
  classes: string[]
}

export interface ClassScoreRow {
  class: number
  name: string
  score: number
}

/** The class a point was meant to show, and where the judge ranks it among its classes (1: its top class); column
 *  and rank are null where the judge does not know the class. */
export interface IntendedRank {
  class: number
  name: string
  column: number | null
  rank: number | null
}

/** One generated sample of a leakage cell: class `class` at (seed, truncation), as the leakage matrix draws it. */
export interface LeakageSample {
  class: number
  seed: number
  /** null: none */
  truncation: number | null
}

export interface LeakageMatrixRequest {
  classes: number[]
  seeds: number
  firstSeed: number
  /** null: none (z ~ N(0, I)) */
  truncations: (number | null)[]
  judge: JudgeSpec
  /** where the bundled classifier lives */
  resourcesDir: string
}

export interface LeakageAtTruncationResult {
  truncation: number | null
  /** [row][detected column] */
  counts: number[][]
  /** [row][detected column]: the seeds of those samples */
  seeds: number[][][]
  leakage: number
  perClass: number[]
}

export interface LeakageResult {
  judge: JudgeInfo
  model: { contentHash: string | null; numClasses: number }
  classes: { index: number; name: string; column: number }[]
  classMatch: 'identity' | 'name' | 'index'
  seeds: number[]
  truncations: LeakageAtTruncationResult[]
}

export interface InspectOperations {
  /** the judge's top-k classes for a point's image as the studio renders it (D's evidence by default) */
  inspectEvidence: {
    request: { point: PackedPoint; k: number; judge: JudgeSpec; resourcesDir: string }
    result: { judge: JudgeInfo; top: ClassScoreRow[]; scores: Float32Array; intended: IntendedRank | null }
  }
  inspectLeakage: { request: LeakageMatrixRequest; result: LeakageResult }
  /** the same matrix over model folders, each a model folder or a run (its checkpoints/step-N folders, oldest first) */
  inspectCheckpoints: {
    request: LeakageMatrixRequest & { folders: string[] }
    result: {
      checkpoints: { dir: string; step: number | null; contentHash: string | null; leakage: number[]; report: LeakageResult }[]
    }
  }
  /** |∂score/∂x| of the judge's class `class` for a point's image or a leakage sample, normalised to [0, 1] */
  inspectSaliency: {
    request: { point?: PackedPoint; sample?: LeakageSample; class: number; judge: JudgeSpec; resourcesDir: string }
    result: { resolution: number; map: Float32Array; score: number; maxGradient: number; class: number; judge: JudgeInfo }
  }
  /** a leakage cell's images (RGBA) with the judge's top-k per image, exactly as the matrix judged them */
  inspectCell: {
    request: { class: number; seeds: number[]; truncation: number | null; k: number; judge: JudgeSpec; resourcesDir: string }
    result: {
      width: number
      height: number
      count: number
      pixels: Uint8Array
      judge: JudgeInfo
      /** per image, its top-k */
      top: ClassScoreRow[][]
      /** per image, the judge's detected class (argmax) */
      detected: number[]
    }
  }
}
