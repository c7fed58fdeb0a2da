// The hand-written ONNX encoder: protobuf varints (negative int64 attributes included), float and int64
// initializers and symbolic batch dimensions, checked by onnxruntime running what it wrote. (External data files:
// cache.test.ts.)
import { describe, expect, it } from 'vitest'
import { GraphBuilder, int, OPSET } from '../../main/onnx/graph'
import { concatChunks, encodeModel, Message } from '../../main/onnx/proto'
import { createSession, loadOrt } from '../../main/onnx/runtime'

describe('the ONNX protobuf encoder', () => {
  it('writes varints seven bits at a time, negative int64 as ten bytes', () => {
    const bytes = (v: number) => [...concatChunks(new Message().varint(1, v).finish())]
    expect(bytes(1)).toEqual([0x08, 0x01])
    expect(bytes(300)).toEqual([0x08, 0xac, 0x02])
    expect(bytes(-1)).toEqual([0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
  })

  it('writes a graph onnxruntime loads and runs: weights, int64 shapes, a symbolic batch, axis −1', async () => {
    const g = new GraphBuilder('test')
    const x = g.input('x', 'float', ['batch', 2, 3])
    const w = g.weight('w', Float32Array.from([1, 2, 3, 4, 5, 6]), [1, 2, 3])
    const flat = g.reshape(g.mul(x, w, 'scaled'), [0, 6], 'flat') // 0: the batch, copied from the input
    const soft = g.op('Softmax', [flat], 'softmax', { axis: int(-1) })
    g.output(soft, 'y', 'float', ['batch', 6])
    const bytes = concatChunks(encodeModel({ graph: g.graph(), opset: OPSET, producer: { name: 't', version: '0' }, docString: '', metadata: { a: 'b' } }))
    const { session } = await createSession(bytes, { threads: 1 })
    const ort = loadOrt()
    const input = Float32Array.from({ length: 12 }, (_, i) => i / 10)
    const out = (await session.run({ x: new ort.Tensor('float32', input, [2, 2, 3]) })).y
    expect(out.dims).toEqual([2, 6])
    const data = out.data as Float32Array
    for (let b = 0; b < 2; b++) {
      const logits = [1, 2, 3, 4, 5, 6].map((k, i) => k * input[b * 6 + i])
      const sum = logits.reduce((s, l) => s + Math.exp(l), 0)
      logits.forEach((l, i) => expect(data[b * 6 + i]).toBeCloseTo(Math.exp(l) / sum, 6))
    }
    await session.release()
  })
})
