// D's warm-up (a fresh discriminator trained against a frozen G): for `warmupSteps` G steps the loop runs D steps
// as ever but G's update and the EMA are skipped; the setting travels in the session state, so a resumed run
// knows where the warm-up ends.
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../main/backend/backend'
import { trainableRoles } from '../../main/engine/module'
import { TrainingSession } from '../../main/engine/train/session'
import { discriminatorBlocks, resolveTrainSettings } from '../../main/engine/train/settings'
import { differing, tinyData, tinyModel } from './helpers'

beforeAll(async () => {
  await initBackend({})
})

describe('discriminator warm-up', () => {
  it('keeps G and its EMA fixed for warmupSteps G steps while D trains, then trains G, and records the setting', async () => {
    const model = tinyModel()
    const dBlocks = discriminatorBlocks(model.D!.specs().map((s) => s.name))
    const settings = resolveTrainSettings('finetune', { steps: 3, batchSize: 4, warmupSteps: 2, freezeD: 0, augmentPolicies: [] }, { trainImages: 12, dBlocks })
    const session = TrainingSession.create(model, tinyData(), settings)
    try {
      const gNames = new Set(model.G.specs().filter((s) => trainableRoles.has(s.role)).map((s) => s.name))
      const g = (): Map<string, ReturnType<typeof model.tensors>['G'] extends Map<string, infer T> ? T : never> =>
        new Map([...model.tensors().G].filter(([n]) => gNames.has(n)))
      const start = { G: g(), D: model.tensors().D!, ema: model.tensors().ema! }
      for (let i = 0; i < 2; i++) {
        await session.discriminatorStep()
        expect(Number.isFinite((await session.generatorStep()).gLoss)).toBe(true)
      }
      expect(session.step).toBe(2)
      expect(differing(start.G, g())).toEqual([])
      expect(differing(start.ema, model.tensors().ema!)).toEqual([])
      expect(differing(start.D, model.tensors().D!).length).toBeGreaterThan(0)
      expect(session.snapshot()).toMatchObject({ settings: { warmupSteps: 2 }, optimiserSteps: { G: 0, D: 2 } })
      await session.discriminatorStep()
      await session.generatorStep()
      expect(differing(start.G, g()).length).toBeGreaterThan(0)
    } finally {
      await session.dispose()
      model.dispose()
    }
  })

  it('refuses a warm-up as long as the run', () => {
    expect(() => resolveTrainSettings('finetune', { steps: 3, warmupSteps: 3 }, { trainImages: 12, dBlocks: 4 })).toThrow(/warmupSteps must be a whole number in \[0, 2\]/)
  })
})
