import { describe, expect, it } from 'vitest'
import {
  bfloat16ToFloat, floatToBfloat16, floatToHalf, fromFloat32, fromInts, halfToFloat, toFloat32, toFloat64, toInt32Array,
} from '../../main/tensors/convert.ts'
import type { RawTensor } from '../../main/tensors/tensor.ts'
import { expectCheckpointError } from './helpers/expectError'

describe('dtype conversion', () => {
  it('converts float16 bit patterns exactly, including subnormals, infinities and NaN', () => {
    expect(halfToFloat(0x3c00)).toBe(1)
    expect(halfToFloat(0xc000)).toBe(-2)
    expect(halfToFloat(0x7bff)).toBe(65504)
    expect(halfToFloat(0x0001)).toBe(2 ** -24)
    expect(halfToFloat(0x7c00)).toBe(Infinity)
    expect(halfToFloat(0xfc00)).toBe(-Infinity)
    expect(halfToFloat(0x7e00)).toBeNaN()
    expect(Object.is(halfToFloat(0x8000), -0)).toBe(true)
  })

  it('rounds float32 to float16 to nearest even and back losslessly for every half value', () => {
    const wrong: number[] = []
    for (let h = 0; h < 0x10000; h++) {
      const x = halfToFloat(h)
      const ok = Number.isNaN(x) ? Number.isNaN(halfToFloat(floatToHalf(x))) : floatToHalf(x) === h
      if (!ok) wrong.push(h)
    }
    expect(wrong).toEqual([])
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00) // tie → even
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02)
    expect(floatToHalf(70000)).toBe(0x7c00)
    expect(floatToHalf(2 ** -26)).toBe(0) // below half the smallest subnormal
  })

  it('rounds float32 to bfloat16 to nearest even and keeps NaN', () => {
    const wrong: number[] = []
    for (let b = 0; b < 0x10000; b++) {
      const x = bfloat16ToFloat(b)
      const ok = Number.isNaN(x) ? Number.isNaN(bfloat16ToFloat(floatToBfloat16(x))) : floatToBfloat16(x) === b
      if (!ok) wrong.push(b)
    }
    expect(wrong).toEqual([])
    expect(bfloat16ToFloat(floatToBfloat16(1 + 2 ** -8))).toBe(1)
    expect(Number.isNaN(bfloat16ToFloat(floatToBfloat16(NaN)))).toBe(true)
  })

  it('reads every dtype as float32 and float64', () => {
    const cases: Array<[RawTensor, number[]]> = [
      [{ dtype: 'F64', shape: [2], data: new Uint8Array(Float64Array.from([0.02, -1]).buffer) }, [0.02, -1]],
      [{ dtype: 'F16', shape: [2], data: new Uint8Array(Uint16Array.from([0x3c00, 0xc000]).buffer) }, [1, -2]],
      [{ dtype: 'BF16', shape: [1], data: new Uint8Array(Uint16Array.from([0x3f80]).buffer) }, [1]],
      [{ dtype: 'I64', shape: [2], data: new Uint8Array(BigInt64Array.from([207n, -3n]).buffer) }, [207, -3]],
      [{ dtype: 'I32', shape: [1], data: new Uint8Array(Int32Array.from([-5]).buffer) }, [-5]],
      [{ dtype: 'I16', shape: [1], data: new Uint8Array(Int16Array.from([-6]).buffer) }, [-6]],
      [{ dtype: 'I8', shape: [1], data: Uint8Array.from([0xff]) }, [-1]],
      [{ dtype: 'U8', shape: [1], data: Uint8Array.from([0xff]) }, [255]],
      [{ dtype: 'BOOL', shape: [2], data: Uint8Array.from([0, 3]) }, [0, 1]],
    ]
    for (const [t, values] of cases) {
      expect([...toFloat64(t)]).toEqual(values)
      expect([...toFloat32(t)]).toEqual(values.map((v) => Math.fround(v)))
    }
  })

  it('keeps float64 truncation 0.02 exact instead of rounding to 0.0199999996', () => {
    const t: RawTensor = { dtype: 'F64', shape: [1], data: new Uint8Array(Float64Array.from([0.02]).buffer) }
    expect(toFloat64(t)[0]).toBe(0.02)
  })

  it('reads values from unaligned byte offsets', () => {
    const buf = new Uint8Array(9)
    buf.set(new Uint8Array(Float64Array.from([1.5]).buffer), 1)
    expect(toFloat32({ dtype: 'F64', shape: [1], data: buf.subarray(1) })[0]).toBe(1.5)
    buf.set(new Uint8Array(Float32Array.from([2.5]).buffer), 1)
    expect(toFloat32({ dtype: 'F32', shape: [1], data: buf.subarray(1, 5) })[0]).toBe(2.5)
  })

  it('turns I64 class indices into int32 and refuses values outside int32', () => {
    expect([...toInt32Array(fromInts([3], [207, 1, 999]))]).toEqual([207, 1, 999])
    const big = { dtype: 'I64', shape: [1], data: new Uint8Array(BigInt64Array.from([2n ** 40n]).buffer) } as RawTensor
    expectCheckpointError(() => toInt32Array(big, 'classes'), 'unsupported', /tensor 'classes'.*outside int32/)
    expectCheckpointError(() => toInt32Array(fromFloat32([1], Float32Array.from([1]))), 'unsupported', /integer tensor/)
  })

  it('refuses tensors whose byte length contradicts their shape', () => {
    const t: RawTensor = { dtype: 'F32', shape: [3], data: new Uint8Array(8) }
    expectCheckpointError(() => toFloat32(t), 'bad-header', /should hold 12 bytes but holds 8/)
    expectCheckpointError(() => fromFloat32([2], new Float32Array(3)), 'shape-mismatch', /needs 2 values/)
  })
})
