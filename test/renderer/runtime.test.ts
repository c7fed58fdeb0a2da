// The inference runtime control of the Models view: which thread counts it offers, and reading a choice back.
import { describe, expect, it } from 'vitest'
import { parseThreads, RUNTIME_CHOICES, threadChoices, threadLabel, threadsApply, previewsText } from '../../renderer/lib/runtime.ts'

describe('the inference runtime control', () => {
  it('offers auto, onnx and tfjs, auto first', () => {
    expect(RUNTIME_CHOICES.map((c) => c.value)).toEqual(['auto', 'onnx', 'tfjs'])
  })

  it("offers 'auto' and 1 to the machine's cores, keeping a stored count above them on offer", () => {
    expect(threadChoices(2, 'auto')).toEqual(['auto', 1, 2])
    expect(threadChoices(4, 2)).toEqual(['auto', 1, 2, 3, 4])
    expect(threadChoices(2, 8)).toEqual(['auto', 1, 2, 8])
    expect(threadChoices(0, 'auto')).toEqual(['auto', 1])
  })

  it('reads a choice back as auto or a whole count, refusing anything else', () => {
    expect(parseThreads('auto')).toBe('auto')
    expect(parseThreads('3')).toBe(3)
    expect(parseThreads('0')).toBeNull()
    expect(parseThreads('1.5')).toBeNull()
    expect(parseThreads('')).toBeNull()
    for (const t of threadChoices(4, 'auto')) expect(parseThreads(String(t))).toBe(t)
  })

  it('says what each thread choice means, and that threads matter only where onnxruntime may serve', () => {
    expect(threadLabel('auto')).toBe('auto: 1 or one per core, whichever is faster')
    expect(threadLabel(1)).toBe('1 thread')
    expect(threadLabel(2)).toBe('2 threads')
    expect(threadsApply('tfjs')).toBe(false)
    expect(threadsApply('auto')).toBe(true)
    expect(threadsApply('onnx')).toBe(true)
  })
})

describe('what serves previews, in words', () => {
  it('names onnxruntime with its provider and threads, or TensorFlow.js with its backend', () => {
    expect(previewsText('onnx (CPU, 2 threads)', 'wasm')).toBe('onnxruntime (CPU, 2 threads)')
    expect(previewsText('tfjs', 'wasm')).toBe('TensorFlow.js wasm')
    expect(previewsText('tfjs')).toBe('TensorFlow.js')
  })
})
