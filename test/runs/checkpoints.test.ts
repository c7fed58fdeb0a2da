// Crash-safe run folders: a checkpoint that fails half-way leaves the previous latest/ usable and no
// half-written folder behind; a crash between the two renames of a swap, or inside a temporary folder, is undone
// when the run is opened again.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend.ts'
import { BigGANModel } from '../../main/engine/model.ts'
import { RunFolder, type NewRunInfo } from '../../main/runs/folder.ts'
import { trainRun } from '../../main/runs/run.ts'
import { TrainingSession, type SessionState } from '../../main/engine/train/session.ts'
import { discriminatorBlocks, resolveTrainSettings } from '../../main/engine/train/settings.ts'
import { tinyData, tinyModel } from '../train/helpers.ts'
import { loadModel } from '../../main/disk/modelFolder.ts'

let work: string
beforeAll(async () => {
  await initBackend({ backend: 'wasm' })
  work = mkdtempSync(join(tmpdir(), 'biggan-ckpt-'))
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

async function newRun(dir: string): Promise<{ run: RunFolder; session: TrainingSession }> {
  const model = tinyModel()
  const dBlocks = discriminatorBlocks(model.D!.specs().map((s) => s.name))
  const settings = resolveTrainSettings(
    'train',
    { steps: 4, batchSize: 4, checkpointEvery: 2, keepCheckpoints: 1, logEvery: 2, spectraEvery: 100, previewEvery: 2, previewCount: 4 },
    { trainImages: 12, dBlocks },
  )
  const info: NewRunInfo = {
    kind: 'train',
    settings,
    data: { dir: 'memory', contentHash: 'test', classes: ['c0', 'c1'], classMap: [0, 1], train: 12, heldOut: 4 },
    parent: null,
    model: { arch: 'biggan', resolution: 32, gChannels: 4, dChannels: 4, numClasses: 2 },
  }
  return { run: await RunFolder.create(dir, info), session: TrainingSession.create(model, tinyData(), settings) }
}

const stepOf = async (dir: string): Promise<number> => {
  const model = await loadModel(dir)
  const step = (model.manifest!.state as unknown as SessionState).step
  model.dispose()
  return step
}

describe('run folders', () => {
  it('a checkpoint that fails half-way leaves the previous latest usable and no half-written folder', async () => {
    const dir = join(work, 'crash')
    const { run, session } = await newRun(dir)
    let writes = 0
    const hooks = {
      afterWrite: (tmp: string) => {
        if (++writes < 2) return
        writeFileSync(join(tmp, 'model.safetensors'), 'torn') // the crash corrupts what it was writing, then dies
        throw new Error('simulated crash while writing the checkpoint')
      },
    }
    await expect(trainRun(run, session, { hooks })).rejects.toThrow(/simulated crash/)
    expect(await stepOf(join(dir, 'latest'))).toBe(2)
    expect(readdirSync(join(dir, 'checkpoints')).sort()).toEqual(['LATEST', 'step-000002'])
    expect(readdirSync(dir).filter((n) => n.includes('tmp'))).toEqual([])
    expect(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'))).toMatchObject({ status: 'failed', step: 2 })
    expect(readdirSync(join(dir, 'previews')).sort()).toEqual(['step-000000.png', 'step-000002.png', 'step-000004.png'])
    await session.dispose()
    session.model.dispose()
  })

  it('opening a run undoes a swap caught between its renames and removes torn temporary folders', async () => {
    const dir = join(work, 'crash') // the run the test above left at step 2
    renameSync(join(dir, 'latest'), join(dir, 'latest.old')) // died after moving latest aside
    mkdirSync(join(dir, '.latest.tmp-0badf00d'))
    writeFileSync(join(dir, '.latest.tmp-0badf00d', 'config.json'), '{')
    mkdirSync(join(dir, 'checkpoints', '.step-000004.tmp-0badf00d'))
    writeFileSync(join(dir, 'checkpoints', '.step-000004.tmp-0badf00d', 'model.safetensors'), 'torn')
    const run = await RunFolder.open(dir)
    expect(existsSync(join(dir, 'latest.old'))).toBe(false)
    expect(await stepOf(join(dir, 'latest'))).toBe(2)
    expect(readdirSync(dir).filter((n) => n.includes('tmp'))).toEqual([])
    expect((await run.checkpoints()).map((c) => c.step)).toEqual([2])
    await run.close()
  })

  it('keeps only the newest checkpoints, and latest/ and best/ open as models', async () => {
    const dir = join(work, 'prune')
    const { run, session } = await newRun(dir)
    const outcome = await trainRun(run, session)
    expect(outcome.status).toBe('completed')
    expect(readdirSync(join(dir, 'checkpoints')).sort()).toEqual(['LATEST', 'step-000004'])
    expect(readFileSync(join(dir, 'checkpoints', 'LATEST'), 'utf8')).toBe('step-000004\n')
    expect(await stepOf(join(dir, 'latest'))).toBe(4)
    expect(outcome.bestStep).not.toBeNull()
    expect(await stepOf(join(dir, 'best'))).toBe(outcome.bestStep)
    expect(readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step)).toEqual([2, 4])
    await session.dispose()
    session.model.dispose()
  })

  it('refuses to start a new run in a folder that holds one', async () => {
    await expect(newRun(join(work, 'prune'))).rejects.toThrow(/already holds a run: continue it with --resume/)
  })
})
