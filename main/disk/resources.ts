// Where the studio's shipped resources are: resources/ of the repository (the bundled model, the bundled classifier).
// The desktop app and web mode know their own resources folder and pass it down; the CLI and the scripts run from a
// source checkout and use the one beside this file.
import { existsSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** resources/ of a source checkout; the studio passes its own resourcesDir. */
export function defaultResourcesDir(): string {
  return fileURLToPath(new URL('../../resources', import.meta.url))
}

/** The bundled Fashion-MNIST classifier's folder. */
export function bundledClassifierDir(resourcesDir = defaultResourcesDir()): string {
  return join(resourcesDir, 'fashion-mnist-classifier')
}

/** The bundled default model's folder. */
export function bundledModelDir(resourcesDir = defaultResourcesDir()): string {
  return join(resourcesDir, 'default-model')
}

/** Where the random stand-in for a missing default model is made and kept, in the app's models folder. */
export function randomStandInDir(modelsDir: string): string {
  return join(modelsDir, 'random-default')
}

/** Whether `path` (a model folder, or a file in it) is the folder opening the default model opens:
 *  the bundled model, or the random stand-in where none is bundled. Opened by path (from Recent, say), it is still
 *  the default model, with its name and badge. */
export function isDefaultModelPath(path: string, resourcesDir: string, modelsDir: string): boolean {
  const target = resolve(path)
  const folder = existsSync(target) && !statSync(target).isDirectory() ? dirname(target) : target
  const bundled = bundledModelDir(resourcesDir)
  return folder === resolve(existsSync(bundled) ? bundled : randomStandInDir(modelsDir))
}
