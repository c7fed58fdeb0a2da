// The inference runtime setting as the Models view offers it: the choices, the thread counts worth offering on this
// machine, reading a choice back from a <select>, and the line that says what serves previews and why.
import type { InferenceSetting, TrainingSetting } from '../../preload/contract/index.ts'

export const RUNTIME_CHOICES: readonly { value: InferenceSetting['runtime']; label: string }[] = [
  { value: 'auto', label: 'auto: the fastest here (timed once per model size)' },
  { value: 'onnx', label: 'onnxruntime' },
  { value: 'tfjs', label: 'TensorFlow.js' },
]

/** 'auto', then 1 … cores; a stored count above this machine's cores stays on offer, so the choice shows as it is. */
export function threadChoices(cores: number, current: InferenceSetting['threads']): InferenceSetting['threads'][] {
  const counts = Array.from({ length: Math.max(1, Math.floor(cores)) }, (_, i) => i + 1)
  if (typeof current === 'number' && !counts.includes(current)) counts.push(current)
  return ['auto', ...counts]
}

/** How a thread choice reads in the control. */
export function threadLabel(threads: InferenceSetting['threads']): string {
  return threads === 'auto' ? 'auto: 1 or one per core, whichever is faster' : `${threads} thread${threads === 1 ? '' : 's'}`
}

/** A <select>'s value back as a thread choice: 'auto' or a whole number ≥ 1; null for anything else. */
export function parseThreads(value: string): InferenceSetting['threads'] | null {
  if (value === 'auto') return 'auto'
  if (!/^\d+$/.test(value)) return null
  const n = Number(value)
  return n >= 1 ? n : null
}

/** Whether onnxruntime's threads matter for the runtime chosen (TensorFlow.js has its own). */
export function threadsApply(runtime: InferenceSetting['runtime']): boolean {
  return runtime !== 'tfjs'
}

/** How a training-thread choice reads in the control ('auto' keeps one core for the previews and the window). */
export function trainingThreadLabel(threads: TrainingSetting['threads']): string {
  return threads === 'auto' ? 'auto: every core but one' : threadLabel(threads)
}

/** What serves previews, in words, from engine:info's `previews` ('tfjs', or 'onnx (CPU, 2 threads)') and the
 *  TensorFlow.js backend: the header and the Models view say it the same way. */
export function previewsText(previews: string, backend?: string): string {
  if (previews === 'tfjs') return backend ? `TensorFlow.js ${backend}` : 'TensorFlow.js'
  return previews.replace(/^onnx\b/, 'onnxruntime')
}
