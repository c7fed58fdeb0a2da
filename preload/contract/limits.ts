// The bounds on what may cross between the renderer and the back end, shared by every domain of the contract. The
// layers behind the contract keep bounds of their own (the library's in main/store/limits.ts, the PNG latent
// record's in main/images/latentRecord.ts); test/store/limits.test.ts holds them to these, so that the contract
// admits nothing those layers refuse and carries back everything they keep.

/** Bounds on what may cross: generous for the largest real model, tight enough that no request can exhaust memory. */
export const LIMITS = {
  zDim: 1024,
  classes: 100_000,
  points: 256, // images per render request
  frames: 600, // frames per exported animation
  pngBytes: 64 * 1024 * 1024,
  favouritesFileBytes: 256 * 1024 * 1024,
  path: 4096,
  name: 200,
  notes: 10_000,
  tags: 32,
  ortThreads: 256, // onnxruntime threads a setting may ask for
  wasmThreads: 64, // wasm training threads a setting may ask for (main/backend/threadCounts.ts: the same bound)
  /** any model's truncation lies in here (each model's own range, ModelInfo.truncation, lies inside it) */
  truncation: { min: 0.001, max: 4 },
} as const
