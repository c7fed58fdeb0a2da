// A training step that outgrows the wasm backend's heap fails as "memory access out of bounds"; a run reports it as
// running out of the backend's memory, with what to do, and keeps the backend's own words.
import { describe, expect, it } from 'vitest'
import { explainBackendFailure, isWasmOutOfMemory } from '../../main/backend/memory.ts'

describe('a backend out of memory', () => {
  it('says the wasm heap ran out and what to do, keeping what wasm said', () => {
    const raw = new RangeError('memory access out of bounds')
    expect(isWasmOutOfMemory(raw)).toBe(true)
    const explained = explainBackendFailure(raw) as Error
    expect(explained.message).toMatch(/^the wasm backend ran out of memory/)
    expect(explained.message).toMatch(/--executor onnx[\s\S]*smaller batch[\s\S]*smaller model[\s\S]*@tensorflow\/tfjs-node/)
    expect(explained.message).toMatch(/\(wasm said: memory access out of bounds\)$/)
    expect(isWasmOutOfMemory(new Error('Aborted(OOM). Build with -sASSERTIONS for more info.'))).toBe(true)
    // what a paper-size BSA step on wasm ended with
    expect(isWasmOutOfMemory(new Error('Aborted(). Build with -sASSERTIONS for more info.'))).toBe(true)
  })

  it('leaves every other error as it is', () => {
    const other = new Error('config.json is not valid JSON')
    expect(explainBackendFailure(other)).toBe(other)
    expect(explainBackendFailure('a string')).toBe('a string')
  })
})
