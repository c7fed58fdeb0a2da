// Which runtime renders what the studio shows and exports: onnxruntime where it is faster than the TensorFlow.js
// backend in use (main/onnx/select.ts: timed once per machine and model size, onnxruntime's thread counts too), or
// as the studio setting says (BIGGAN_RUNTIME overrides it: runtime-names.ts's studioRuntime, applied by the
// studio service, which hands the worker the result). Exports go the same way as previews, so a PNG holds exactly
// the pixels the view showed; the two runtimes agree to about 1e-6, so a pixel may differ by one level between
// machines that use different ones (as between tfjs backends).
import { dirname, join } from 'node:path'
import type { BigGANModel } from '../../engine/model.ts'
import type { RuntimeRequest } from '../../onnx/runtime-names.ts'
import { openInference, type Inference } from '../../onnx/select.ts'
import type { Job } from './job.ts'

/** Exported graphs and measured timings live beside the models folder: <dataDir>/cache. */
export function previewCacheDir(modelsDir: string): string {
  return join(dirname(modelsDir), 'cache')
}

/** The runtime for `model`'s previews. Where onnxruntime cannot serve (it does not load, or a forced 'onnx'
 *  fails), previews stay on TensorFlow.js and the label says why. */
export async function openPreviews(model: BigGANModel, modelsDir: string, tfjsBackend: string, request: RuntimeRequest, job: Job): Promise<Inference> {
  try {
    return await openInference(model, {
      runtime: request.name,
      source: request.source,
      threads: request.threads,
      cacheDir: previewCacheDir(modelsDir),
      tfjsBackend,
      onProgress: (message) => job.progress(message, 0, 0),
    })
  } catch (err) {
    return engineOnly(model, `tfjs (onnxruntime failed: ${(err as Error).message.split('\n')[0]})`)
  }
}

function engineOnly(model: BigGANModel, label: string): Inference {
  return {
    runtime: 'tfjs',
    label,
    reason: label,
    generate: (z, y, options = {}) => model.generate(z, y, options),
    discriminate: (x, y) => model.discriminate(x, y),
    dispose: async () => undefined,
  }
}
