// The backend names users may ask for, in the order initBackend() tries them. Kept apart from backend.ts so that
// code which only validates a name (the CLI's --backend) need not load TensorFlow.js.
export const BACKEND_NAMES = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const
export type BackendName = (typeof BACKEND_NAMES)[number]

export const BACKEND_ENV_VAR = 'BIGGAN_BACKEND'

export function isBackendName(value: string): value is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(value)
}
