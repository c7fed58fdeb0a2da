// What `sample` and `eval` share about the inference runtime: the --runtime option and opening G and D on the
// runtime it (or BIGGAN_RUNTIME, or 'auto') asks for, after the TensorFlow.js backend has been started.
import type { BigGANModel } from '../engine/model.ts'
import { requestedRuntime, type RuntimeName } from '../onnx/runtime-names.ts'
import type { Inference } from '../onnx/select.ts'
import { stringOption, UsageError, type OptionSpec, type ParsedArgs } from './args.ts'

export const runtimeOption: OptionSpec = {
  name: 'runtime',
  value: 'onnx|tfjs|auto',
  help: "onnxruntime, TensorFlow.js, or 'auto': the faster here, timed once per machine and model size (default; BIGGAN_RUNTIME sets it too)",
}

/** The runtime --runtime or BIGGAN_RUNTIME asks for; a UsageError for an unknown one (checked before any loading). */
export function runtimeRequest(args: ParsedArgs): { name: RuntimeName; source: string } {
  try {
    return requestedRuntime(stringOption(args, 'runtime'))
  } catch (e) {
    throw new UsageError((e as Error).message)
  }
}

/** G and D of `model` on the requested runtime; the TensorFlow.js backend is already up (openModel started it). */
export async function openCommandInference(model: BigGANModel, request: { name: RuntimeName; source: string }): Promise<Inference> {
  // loaded here: onnxruntime's native binding is only needed once a model runs
  const { openInference } = await import('../onnx/select.ts')
  const { defaultCacheDir } = await import('../onnx/cacheFolder.ts')
  const { backendInfo } = await import('../backend/backend.ts')
  return openInference(model, { runtime: request.name, source: request.source, cacheDir: defaultCacheDir(), tfjsBackend: backendInfo().name })
}
