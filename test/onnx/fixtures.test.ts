// The ONNX path reproduces the shared reference fixtures (test/fixtures/README.md) within 1e-4: the HF BigGAN-deep
// generator at every truncation the fixture holds (the per-truncation BatchNorm statistics and HF's row rule
// included), and BigGAN-PyTorch's G and D (spectral norm by one eval power step, folded into the weights).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toFloat32, toFloat64, toInt32Array } from '../../main/tensors/convert'
import { initBackend } from '../../main/backend/backend'
import type { BigGANModel } from '../../main/engine/model'
import { exportNetworkBytes } from '../../main/onnx/export'
import { OnnxDiscriminator, OnnxGenerator } from '../../main/onnx/runtime'
import { classVectors, fixtureModel, maxAbsDiff, nhwc, reference } from './helpers'

beforeAll(async () => {
  await initBackend()
})

describe('the ONNX generator of the HF BigGAN-deep fixture', () => {
  let model: BigGANModel
  let G: OnnxGenerator
  beforeAll(async () => {
    model = await fixtureModel('hf-biggan-deep')
    G = await OnnxGenerator.open(exportNetworkBytes(model, 'G'), model.config, { threads: 1 })
  })
  afterAll(async () => {
    await G.dispose()
    model.dispose()
  })

  it('reproduces the reference images at every truncation within 1e-4', async () => {
    const ref = reference('hf-biggan-deep')
    const errors: string[] = []
    for (let i = 0; i < 4; i++) {
      const truncation = toFloat64(ref.get(`t${i}.truncation`)!)[0] // a double, as the reference was called
      const image = await G.generate(toFloat32(ref.get(`t${i}.z`)!), toFloat32(ref.get(`t${i}.y`)!), { truncation })
      const error = maxAbsDiff(image, nhwc(ref.get(`t${i}.image_nchw`)!))
      errors.push(`ψ ${truncation}: ${error.toExponential(2)}`)
      expect(error, `truncation ${truncation}`).toBeLessThanOrEqual(1e-4)
    }
    console.log(`HF BigGAN-deep fixture, ONNX image parity (max abs): ${errors.join(', ')}`)
  })
})

describe('the ONNX generator and discriminator of the BigGAN-PyTorch fixture', () => {
  let model: BigGANModel
  beforeAll(async () => {
    model = await fixtureModel('biggan-pytorch')
  })
  afterAll(() => model.dispose())

  it("folds the one eval power step of spectral norm ('power-step') and reproduces images and D logits within 1e-4", async () => {
    expect(model.config.spectralNormInference).toBe('power-step')
    const ref = reference('biggan-pytorch')
    const classes = [...toInt32Array(ref.get('eval.classes')!)]
    const y = classVectors(model.config.numClasses, classes)
    const G = await OnnxGenerator.open(exportNetworkBytes(model, 'G'), model.config, { threads: 1 })
    const D = await OnnxDiscriminator.open(exportNetworkBytes(model, 'D'), model.config, { threads: 1 })
    try {
      const image = await G.generate(toFloat32(ref.get('eval.z')!), y)
      const imageError = maxAbsDiff(image, nhwc(ref.get('eval.image_nchw')!))
      const fakeError = maxAbsDiff(await D.discriminate(image, y), toFloat32(ref.get('eval.d_fake')!))
      const realError = maxAbsDiff(await D.discriminate(nhwc(ref.get('eval.x_real_nchw')!), y), toFloat32(ref.get('eval.d_real')!))
      console.log(
        `BigGAN-PyTorch fixture, ONNX parity (max abs): image ${imageError.toExponential(2)}, ` +
          `D fake ${fakeError.toExponential(2)}, D real ${realError.toExponential(2)}`,
      )
      expect(imageError).toBeLessThanOrEqual(1e-4)
      expect(fakeError).toBeLessThanOrEqual(1e-4)
      expect(realError).toBeLessThanOrEqual(1e-4)
    } finally {
      await G.dispose()
      await D.dispose()
    }
  })
})
