// Where the studio's shipped resources are: resources/ of the repository (the bundled model, the bundled classifier).
// The desktop app and web mode know their own resources folder and pass it down; the CLI and the scripts run from a
// source checkout and use the one beside this file.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** resources/ of a source checkout; the studio passes its own resourcesDir. */
export function defaultResourcesDir(): string {
  return fileURLToPath(new URL('../../resources', import.meta.url))
}

/** The bundled Fashion-MNIST classifier's folder. */
export function bundledClassifierDir(resourcesDir = defaultResourcesDir()): string {
  return join(resourcesDir, 'fashion-mnist-classifier')
}
