import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Engine parity tests run real networks on the wasm backend of a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each test file in its own process: TensorFlow.js keeps one global engine per process.
    pool: 'forks',
    // Tests compute on wasm unless the environment asks for another backend (e.g. BIGGAN_BACKEND=cpu npm test).
    env: { BIGGAN_BACKEND: process.env.BIGGAN_BACKEND || 'wasm' },
  },
})
