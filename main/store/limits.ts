// The bounds on what the library stores: every value headed for the database passes codec.ts's checks against them
// first, and a favourites file is held to the same ones on export and import. The contract that carries favourites,
// sessions and settings to the renderer keeps bounds of its own (preload/contract/limits.ts);
// test/store/limits.test.ts holds the two to each other, so that the contract admits nothing the library refuses
// and the library returns nothing the contract refuses.

const PATH = 4096

export const STORE_LIMITS = {
  /** values in a stored point's z, and classes in its y */
  zDim: 1024,
  classes: 100_000,
  /** a favourite's thumbnail */
  pngBytes: 64 * 1024 * 1024,
  /** a favourites file, exported or imported */
  favouritesFileBytes: 256 * 1024 * 1024,
  path: PATH,
  name: 200,
  notes: 10_000,
  tags: 32,
  /** the thread-count settings: onnxruntime's threads per op, and the wasm backend's threads for training */
  ortThreads: 256,
  wasmThreads: 64,
  // strings the contract leaves open but a database should not take unbounded
  hash: 128,
  modelName: PATH,
  engineVersion: 64,
  view: 64,
  arch: 64,
  /** words of a search query that are matched (the rest are ignored) */
  words: 32,
} as const
