// A backend that runs out of memory says so in its own terms: the wasm backend's heap (at most 4 GiB, every tensor
// of a step inside it) fails as "memory access out of bounds" or an abort, which reads like a bug. Said here as what
// it is and what to do, once, for every run that reports a failure.

// A bare "Aborted()" is what the wasm module says when a tensor's allocation fails with assertions compiled out.
const WASM_OUT_OF_MEMORY = /memory access out of bounds|Cannot enlarge memory|Aborted\(OOM\)|^Aborted\(\)|Out of memory|WebAssembly\.Memory\(\): could not allocate/i

/** Whether an error is the wasm backend running out of its heap. */
export function isWasmOutOfMemory(err: unknown): boolean {
  return err instanceof Error && WASM_OUT_OF_MEMORY.test(err.message)
}

/** The error a person should read: for the wasm heap running out, what happened and what to do (the backend's own
 *  words kept at the end); any other error as it is. */
export function explainBackendFailure(err: unknown): unknown {
  if (!isWasmOutOfMemory(err)) return err
  const said = (err as Error).message.split('\n', 1)[0]
  const explained = new Error(
    'the wasm backend ran out of memory: everything a TensorFlow.js training step holds (weights, Adam moments, ' +
      'activations) must fit its heap of at most 4 GiB, and this model at this batch does not. ' +
      "Let onnxruntime compute the steps (--executor onnx, or 'Steps computed by' in the Models view), whose " +
      'activations live outside that heap; or train with a smaller batch (--batch, or Batch size in the fine-tune ' +
      "form's advanced settings) or a smaller model; " +
      'or install the native backend (npm install @tensorflow/tfjs-node). ' +
      `(wasm said: ${said})`,
  )
  explained.stack = (err as Error).stack
  return explained
}
