import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { defineConfig } from 'vitest/config'

// The suite's own cache folder (unless BIGGAN_CACHE_DIR names one): created by the tests that time executors, removed
// by test/suiteCache.ts when the run ends.
const suiteCache = process.env.BIGGAN_CACHE_DIR ? undefined : join(tmpdir(), `biggan-test-cache-${process.pid}`)
if (suiteCache) process.env.BIGGAN_SUITE_CACHE_DIR = suiteCache

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Engine parity tests run real networks on the wasm backend of a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each test file in its own process: TensorFlow.js keeps one global engine per process.
    pool: 'forks',
    // Tests compute on wasm unless the environment asks for another backend (e.g. BIGGAN_BACKEND=cpu npm test), and
    // infer on TensorFlow.js itself unless it asks for another runtime: the tests that pin pixels against the engine
    // hold exactly there, and test/onnx/ asks for onnxruntime explicitly.
    // Measured choices (a run's 'auto' executor times both) go to a cache folder of the suite's own, never the user's.
    env: {
      BIGGAN_BACKEND: process.env.BIGGAN_BACKEND || 'wasm',
      BIGGAN_RUNTIME: process.env.BIGGAN_RUNTIME || 'tfjs',
      BIGGAN_CACHE_DIR: process.env.BIGGAN_CACHE_DIR || suiteCache!,
    },
    globalSetup: ['test/suiteCache.ts'],
  },
})
