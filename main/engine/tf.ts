// The one TensorFlow.js import of the engine: every engine file does `import { tf } from '../tf.ts'`.
// It is '@tensorflow/tfjs', not '@tensorflow/tfjs-core': under plain Node only the full package's CJS entry
// registers the gradients and the chained ops (the ESM build registers them only when a bundler includes them).
// Prefer functional ops (`tf.reshape(x, …)`).
import * as tf from '@tensorflow/tfjs'

export { tf }
