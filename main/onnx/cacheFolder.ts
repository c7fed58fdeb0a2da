// The cache folder: what the studio can always make again, kept so it is made once per machine: exported ONNX graphs
// (onnx/), and the timings behind 'auto''s choices of inference runtime and training executor (timings.ts).
import { homedir } from 'node:os'
import { join } from 'node:path'

/** Where exported graphs and the measured choices live (default: the platform's cache folder). */
export const CACHE_ENV_VAR = 'BIGGAN_CACHE_DIR'

/** The platform's cache folder for BigGAN Studio, or BIGGAN_CACHE_DIR. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env[CACHE_ENV_VAR]) return env[CACHE_ENV_VAR]!
  if (platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'BigGAN Studio', 'Cache')
  if (platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'BigGAN Studio')
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'biggan-studio')
}
