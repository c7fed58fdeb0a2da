// Points (latent, class vector, truncation) as they cross to the engine worker: packed into flat typed arrays, so one
// buffer per field is transferred however many points a request carries.

/** Points packed for the crossing: count rows of z, y and truncation. */
export interface PackedPoints {
  count: number
  z: Float32Array // [count, zDim]
  y: Float32Array // [count, numClasses]
  truncation: Float64Array // [count]
}

/** One point with what its latent record needs. */
export interface PackedPoint {
  z: Float32Array
  y: Float32Array
  truncation: number
  seed?: number
}
