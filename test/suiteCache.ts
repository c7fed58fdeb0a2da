// Removes the suite's own cache folder (vitest.config.ts) once every test file has run: the measured choices the
// tests made there belong to no one after the run.
import { rm } from 'node:fs/promises'

export default function setup(): () => Promise<void> {
  return async () => {
    const dir = process.env.BIGGAN_SUITE_CACHE_DIR
    if (dir) await rm(dir, { recursive: true, force: true })
  }
}
