// The generator-metrics operations between the main thread and the engine worker: what each request carries
// and what its reply holds. Kept apart from engine.ts so that the main thread's side reads these types without
// reaching the engine (tfjs stays in the worker); worker/metricsJobs.ts serves them.

/** The feature space: the bundled Fashion-MNIST classifier, the model's D, or a user's TensorFlow.js or studio
 *  classifier folder; 'default' is the bundled classifier for a model with its classes, else D. */
export type ExtractorSpec = 'default' | 'classifier' | 'discriminator' | { folder: string }

/** Which kind of extractor measured a number, as the library stores it. */
export type ExtractorKind = 'classifier' | 'discriminator' | 'user'

export interface MetricsCurveRequest {
  extractor: ExtractorSpec
  /** the folder of real images (one subfolder per class, or one class) */
  realDir: string
  /** generated images per truncation */
  n: number
  /** real images used at most */
  realLimit: number
  /** the model's truncation values; null: z drawn untruncated */
  truncations: (number | null)[]
  /** one model class (its fakes against its subfolder); null: all classes */
  class: number | null
  seed: number
  kidSubsets: number
  /** where the bundled classifier lives, and the read-only resources the curve is never written into */
  resourcesDir: string
}

export interface MetricsPoint {
  truncation: number | null
  /** Fréchet distance in the extractor's feature space (an "FID" only with Inception features) */
  fd: number
  kid: { mean: number; std: number; subsets: number; subsetSize: number }
  precision: number
  recall: number
  density: number
  coverage: number
}

export interface MetricsCurveResult {
  extractor: { kind: ExtractorKind; name: string; hash: string; dims: number }
  real: { path: string; hash: string; count: number }
  fakeCount: number
  classes: number[]
  k: { precisionRecall: number; densityCoverage: number }
  points: MetricsPoint[]
  /** the comparability note every number carries */
  note: string
  /** the curve's JSON file in the model folder's metrics/, or null with the reason in saveNote */
  savedTo: string | null
  saveNote: string | null
  /** what the folder's loader said (unreadable files, …) */
  warnings: string[]
}

export interface MetricsOperations {
  /** the extractor 'default' stands for with the open model; null: none (a generator-only model of other classes) */
  metricsDefaultExtractor: {
    request: { resourcesDir: string }
    result: { extractor: 'classifier' | 'discriminator' | null }
  }
  /** the diversity–fidelity curve of the open model against a folder of real images, saved beside the model */
  metricsCurve: { request: MetricsCurveRequest; result: MetricsCurveResult }
}
