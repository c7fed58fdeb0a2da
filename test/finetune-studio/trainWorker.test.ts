// The tools worker renders checkpoints without leaking tensors: a checkpoint rendered again is the one already
// loaded, and the third one loaded frees the least recently used.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend.ts'
import { defaultConfig } from '../../main/engine/config'
import { BigGANModel } from '../../main/engine/model'
import { Random } from '../../main/engine/sampling/random'
import { TrainClient } from '../../main/engine-host/client/trainClient.ts'
import type { WatchedPoint } from '../../main/engine-host/protocol/training.ts'
import { saveModel } from '../../main/disk/modelFolder.ts'

let work: string
const dirs: string[] = []
const client = new TrainClient()

beforeAll(async () => {
  await initBackend()
  work = await mkdtemp(join(tmpdir(), 'biggan-train-worker-'))
  for (const seed of [0, 1, 2]) {
    const model = BigGANModel.initialise(defaultConfig('biggan', 32, 4, 3, 0), seed)
    dirs.push(join(work, `m${seed}`))
    await saveModel(model, dirs[seed], { source: 'init' })
    model.dispose()
  }
})
afterAll(async () => {
  await client.close()
  await rm(work, { recursive: true, force: true })
})

const points = (): WatchedPoint[] => {
  const rng = new Random(5)
  return [0, 1].map((i) => ({ id: i + 1, z: rng.normals(80), y: Float32Array.from([0, 1, 2], (c) => (c === i ? 1 : 0)), truncation: 1, semantics: 'paper' }))
}

describe('the training tools worker', () => {
  it('renders checkpoints with a bounded, stable number of tensors', async () => {
    const count = async (): Promise<number> => (await client.call({ op: 'memory' })).numTensors
    const watch = (dir: string) => client.call({ op: 'watch', checkpointDir: dir, points: points() })
    const empty = await count()
    const first = await watch(dirs[0])
    expect(first).toMatchObject({ rendered: [1, 2], skipped: [], width: 32, height: 32 })
    const one = await count()
    const again = await watch(dirs[0])
    expect(Buffer.compare(Buffer.from(again.pixels), Buffer.from(first.pixels))).toBe(0)
    expect(await count()).toBe(one)
    await watch(dirs[1])
    const two = await count()
    expect(two - one).toBe(one - empty)
    await watch(dirs[2]) // the first is freed
    expect(await count()).toBe(two)
  })
})
