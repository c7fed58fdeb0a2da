// Named directions through the studio's channels: kept under the open model's hash with their vector and block range,
// checked against that model's z and hierarchical-z chunks, renamed, narrowed, listed per model and deleted.
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ModelInfo, StudioApi } from '../../preload/contract/index.ts'
import type { Studio } from '../../main/services/studio'
import { Library } from '../../main/store/index'
import { failure, openStudio } from './harness'
import { tempDir, tinyModelFolder } from '../engine-host/helpers'

let temp: Awaited<ReturnType<typeof tempDir>>
let library: Library
let studio: Studio
let api: StudioApi
let info: ModelInfo

beforeAll(async () => {
  temp = await tempDir('directions')
  const tiny = await tinyModelFolder(temp.dir)
  tiny.model.dispose()
  library = Library.open(join(temp.dir, 'data', 'library.sqlite'))
  ;({ studio, api } = openStudio(join(temp.dir, 'data'), library, join(temp.dir, 'resources')))
  info = await api.models.open({ path: tiny.dir })
})

afterAll(async () => {
  await studio?.close()
  library?.close()
  await temp?.remove()
})

describe('named directions in the studio', () => {
  it("keeps a direction under the open model's hash, then renames it and narrows it to some of G's blocks", async () => {
    expect(info.zChunks.length).toBe(4)
    const { directions } = await api.latents.directions({ kind: 'pca', count: 2, seed: 1, y: Float32Array.of(1, 0, 0) })
    const vector = directions.slice(0, info.zDim)
    const saved = await api.directions.save({ name: ' sleeve ', kind: 'pca', vector, blocks: { first: 0, last: 3 } })
    expect(saved).toMatchObject({ modelHash: info.hash, name: 'sleeve', kind: 'pca', blocks: { first: 0, last: 3 } })
    expect(Array.from(saved.vector)).toEqual(Array.from(vector))

    const narrowed = await api.directions.update({ id: saved.id, name: 'sleeve length', blocks: { first: 2, last: 3 } })
    expect([narrowed.name, narrowed.blocks]).toEqual(['sleeve length', { first: 2, last: 3 }])
    expect(await api.directions.list({})).toEqual([narrowed])
    expect(await api.directions.list({ modelHash: 'another' })).toEqual([])
    expect(await api.directions.delete({ id: saved.id })).toEqual({ deleted: true })
    expect(await api.directions.list({})).toEqual([])
  })

  it("refuses a vector of another length, blocks the model does not have, and an empty name, saying what it has", async () => {
    const vector = new Float32Array(info.zDim).fill(0.1)
    const short = await failure(api.directions.save({ name: 'x', kind: 'random', vector: vector.slice(0, 10), blocks: { first: 0, last: 0 } }))
    expect(short.message).toMatch(/10 values, but .* z has 80/)
    const beyond = await failure(api.directions.save({ name: 'x', kind: 'random', vector, blocks: { first: 1, last: 4 } }))
    expect(beyond.message).toMatch(/blocks 1–4 .* 4 z chunks: choose first ≤ last within 0–3 \(linear, block 1/)
    expect((await failure(api.directions.save({ name: '  ', kind: 'random', vector, blocks: { first: 0, last: 0 } }))).message).toMatch(/name/)
  })
})
