// Run by wasmThreads.test.ts in a process of its own (a wasm backend keeps its thread pool for the life of the
// process): starts wasm on argv[2] threads, then prints what one generator forward and one training step give,
// as JSON on stdout. It must exit by itself: a pool thread left referenced would keep it alive.
import { createHash } from 'node:crypto'
import { initBackend } from '../../main/backend/backend.ts'
import { defaultConfig } from '../../main/engine/config.ts'
import { BigGANModel } from '../../main/engine/model.ts'
import { Random } from '../../main/engine/sampling/random.ts'
import { oneHot, trainer } from '../bench/trainer.ts'

const info = await initBackend({ backend: 'wasm', wasmThreads: Number(process.argv[2]) })
const model = BigGANModel.initialise(defaultConfig('biggan', 32, 16, 10, 16), 3)
const batch = 4
const z = new Random(5).normals(batch * model.config.zDim)
const images = await model.generate(z, oneHot(batch, model.config.numClasses))
const step = trainer(model, batch, 11)
await step.step()
const params = await Promise.all(
  [...model.params.names()].sort().map(async (name) => Buffer.from((await model.params.get(name).data()).buffer)),
)
step.dispose()
const digest = (parts: Buffer[]): string => createHash('sha256').update(Buffer.concat(parts)).digest('hex')
process.stdout.write(
  JSON.stringify({
    threads: info.threads,
    notes: info.notes,
    images: digest([Buffer.from(images.buffer)]),
    paramsAfterStep: digest(params),
  }),
)
