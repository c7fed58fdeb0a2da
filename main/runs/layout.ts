// A run folder's layout, written once: every file and folder a run keeps, and how a step is named in them. The
// writer (folder.ts), the readers (read.ts) and whoever names a checkpoint (the studio's model names, the leakage
// view) all take their paths from here.
//
//   RUN/run.json                   settings, data folder + content hash + classes, parent model, status, times
//                                  (a BSA run's settings sit under `bsa`)
//   RUN/metrics.jsonl              one line per logged step (appended; fsync'd at every checkpoint)
//   RUN/skipped.json               the image folder's files the run does not use, each with its reason: { dir,
//                                  failed (images that could not be used), ignored (files not read) }; rewritten
//                                  at each resume, as the folder may have changed besides its images
//   RUN/previews/step-NNNNNN.png   the fixed-latent grid of the EMA generator, its layout in the PNG's text
//   RUN/memorisation/step-NNNNNN.json  the copying check of those samples: nearest training images by path
//   RUN/checkpoints/step-NNNNNN/   native model folders: G, D, EMA, optimiser moments, manifest.state = the session
//                                  (BSA: the adapted model, its latents and moments, manifest.state = its checkpoint json)
//   RUN/checkpoints/LATEST         the newest checkpoint's name (informational: resume scans for the newest)
//   RUN/latest/  RUN/best/         native model folders every command opens (hard links to a checkpoint's files)
//
// Plain path arithmetic, no file is touched here: the main thread may import it.
import { basename, dirname, join } from 'node:path'

export const runFormat = 'biggan-studio-run'

export const runPaths = {
  info: 'run.json',
  metrics: 'metrics.jsonl',
  skipped: 'skipped.json',
  previews: 'previews',
  memorisation: 'memorisation',
  checkpoints: 'checkpoints',
  pointer: 'LATEST',
  latest: 'latest',
  best: 'best',
} as const

/** `step-000120`: a step as a run's files and checkpoint folders name it, zero-padded so that names sort by step. */
export function stepName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`
}

/** The step a name `step-NNNNNN<suffix>` stands for (suffix '' for a checkpoint folder, '.png' for a preview …);
 *  unpadded names (`step-12`, from folders put together by hand) are read too. */
export function stepOfName(name: string, suffix = ''): number | undefined {
  if (!name.startsWith('step-') || !name.endsWith(suffix)) return undefined
  const digits = name.slice('step-'.length, name.length - suffix.length)
  return /^\d+$/.test(digits) ? Number(digits) : undefined
}

export const runInfoFile = (runDir: string): string => join(runDir, runPaths.info)
export const metricsFile = (runDir: string): string => join(runDir, runPaths.metrics)
export const skippedFile = (runDir: string): string => join(runDir, runPaths.skipped)
export const checkpointsDir = (runDir: string): string => join(runDir, runPaths.checkpoints)
export const checkpointDir = (runDir: string, step: number): string => join(runDir, runPaths.checkpoints, stepName(step))
export const previewsDir = (runDir: string): string => join(runDir, runPaths.previews)
export const previewFile = (runDir: string, step: number): string => join(runDir, runPaths.previews, `${stepName(step)}.png`)
export const memorisationDir = (runDir: string): string => join(runDir, runPaths.memorisation)
export const memorisationFile = (runDir: string, step: number): string => join(runDir, runPaths.memorisation, `${stepName(step)}.json`)

/** Which run folder a model folder would belong to, and as what ('best', 'latest', 'step-000120'), if its path has a
 *  run's shape (RUN/best, RUN/latest, RUN/checkpoints/step-N); whether RUN holds a run.json is the caller's to ask. */
export function runOfModelFolder(modelDir: string): { runDir: string; label: string } | undefined {
  const name = basename(modelDir)
  if (name === runPaths.best || name === runPaths.latest) return { runDir: dirname(modelDir), label: name }
  if (stepOfName(name) !== undefined && basename(dirname(modelDir)) === runPaths.checkpoints) {
    return { runDir: dirname(dirname(modelDir)), label: name }
  }
  return undefined
}
