// Fine-tuning runs in the view: what each status allows, the preview grid's geometry, the history kept current from
// events, the alerts rebuilt from records, and the form's advanced settings and target.
import { describe, expect, it } from 'vitest'
import type { FinetuneHyperparameters, MetricsRecord, PreviewGrid, Run } from '../../preload/contract/index.ts'
import {
  CONFIRM_STEPS, OVERRIDE_FIELDS, fieldApplies, parseExtendSteps, parseOverrides, parseSteps, resolvedValue, runTimeText, secondsPerStep, targetOf,
} from '../../renderer/lib/finetuneForm.ts'
import {
  addCheckpoint,
  addStep,
  alertLine,
  alertsFromMetrics,
  cellAt,
  cellRect,
  deleteBlocker,
  formatDuration,
  mergeRecord,
  runActions,
  shownStep,
} from '../../renderer/lib/runs.ts'

const run = (patch: Partial<Run> = {}): Run => ({
  id: 1,
  name: 'fashion-bags',
  status: 'running',
  active: true,
  method: 'adversarial',
  parent: { hash: 'h', path: '/m', name: 'fashion' },
  data: { path: '/data', contentHash: 'c' },
  target: { kind: 'folder' },
  hyperparameters: null,
  bsa: null,
  computesOn: null,
  runDir: '/runs/1-fashion-bags',
  step: 0,
  steps: 100,
  bestStep: null,
  lastError: null,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
  ...patch,
})

const rec = (step: number, patch: Partial<MetricsRecord> = {}): MetricsRecord => ({
  step,
  dLossReal: 1,
  dLossFake: 1,
  dLoss: 2,
  gLoss: 1,
  ...patch,
})

describe('what a run allows', () => {
  it('a training run pauses and cancels; it cannot resume', () => {
    const a = runActions(run(), false)
    expect(a).toMatchObject({ pause: true, resume: false, cancel: true, extend: false })
  })

  it('paused, interrupted, cancelled and stopped runs resume, unless another run trains', () => {
    for (const status of ['paused', 'interrupted', 'cancelled', 'stopped'] as const) {
      expect(runActions(run({ status, active: false, step: 40 }), false).resume).toBe(true)
      const busy = runActions(run({ status, active: false, step: 40 }), true)
      expect(busy.resume).toBe(false)
      expect(busy.note).toMatch(/one run trains at a time/)
    }
  })

  it('a completed run trains further with more steps instead of resuming', () => {
    const a = runActions(run({ status: 'completed', active: false, step: 100, bestStep: 80 }), false)
    expect(a).toMatchObject({ resume: false, extend: true, cancel: false, openBest: true, openLatest: true })
  })

  it('a BSA run pauses, resumes and trains further as the other methods do', () => {
    const training = runActions(run({ method: 'bsa' }), false)
    expect(training).toMatchObject({ pause: true, cancel: true, note: null })
    const paused = runActions(run({ method: 'bsa', status: 'paused', active: false, step: 10 }), false)
    expect(paused).toMatchObject({ resume: true, note: null })
    const completed = runActions(run({ method: 'bsa', status: 'completed', active: false, step: 100 }), false)
    expect(completed.extend).toBe(true)
  })

  it('opens best only once there is one, and latest once a checkpoint exists', () => {
    expect(runActions(run(), false)).toMatchObject({ openBest: false, openLatest: false })
  })

  it('shows the live step while training, the checkpoint step otherwise', () => {
    expect(shownStep(run({ step: 10 }), 17)).toBe(17)
    expect(shownStep(run({ status: 'paused', step: 10 }), 17)).toBe(10)
    expect(shownStep(run({ step: 10 }), null)).toBe(10)
  })

  it('words time left', () => {
    expect(formatDuration(12.4)).toBe('12 s')
    expect(formatDuration(75)).toBe('1 min 15 s')
    expect(formatDuration(4000)).toBe('1 h 07 min')
    expect(formatDuration(1_000_000)).toBe('11.6 days')
    expect(formatDuration(Number.NaN)).toBe('–')
  })
})

describe('a run in the list', () => {
  it('can be deleted unless it trains or one of its checkpoints is the open model', () => {
    expect(deleteBlocker(run({ status: 'running' }), null)).toMatch(/training: cancel it first/)
    expect(deleteBlocker(run({ status: 'cancelled' }), '/runs/1-fashion-bags/best')).toMatch(/open model: open another model first/)
    expect(deleteBlocker(run({ status: 'cancelled' }), '/runs/1-fashion-bags')).toMatch(/open model/)
    expect(deleteBlocker(run({ status: 'cancelled' }), '/runs/1-fashion-bags-2/best')).toBeNull() // a sibling folder
    expect(deleteBlocker(run({ status: 'completed' }), '/models/fashion')).toBeNull()
    expect(deleteBlocker(run({ status: 'failed' }), null)).toBeNull()
  })

  it('says each alert as "step N: what happened; what the run did"', () => {
    expect(
      alertLine({ step: 40, level: 'stop', messages: ['D loss collapsed then jumped'], action: 'the collapse monitor stopped the run at step 40' }),
    ).toBe('step 40: D loss collapsed then jumped; the collapse monitor stopped the run at step 40')
    expect(alertLine({ step: 7, level: 'warning', messages: ['a', 'b'], action: 'a warning only: training went on' })).toBe(
      'step 7: a; b; a warning only: training went on',
    )
  })
})

describe('the preview grid', () => {
  // 10 samples of 32 px in 4 columns and 3 rows, 2 px gaps → 138 × 104, as runs:preview sends the engine's layout
  const grid: PreviewGrid = { count: 10, columns: 4, rows: 3, cell: 32, gap: 2, width: 4 * 32 + 5 * 2, height: 3 * 32 + 4 * 2 }
  const W = grid.width
  const H = grid.height

  it('places each sample row-major in the layout it is given', () => {
    const r = cellRect(5, grid)!
    expect(r.left * W).toBeCloseTo(2 + 34)
    expect(r.top * H).toBeCloseTo(2 + 34)
    expect(r.width * W).toBeCloseTo(32)
    expect(cellRect(10, grid)).toBeNull()
    const wide = cellRect(5, { ...grid, columns: 5, rows: 2, width: 5 * 32 + 6 * 2, height: 2 * 32 + 3 * 2 })!
    expect(wide.top * (2 * 32 + 3 * 2)).toBeCloseTo(2 + 34) // sample 5 opens the second row of five
    expect(wide.left).toBeCloseTo(2 / (5 * 32 + 6 * 2))
  })

  it('finds the sample under a click, and none in a gap or past the last sample', () => {
    const at = (x: number, y: number) => cellAt(x / W, y / H, grid)
    expect(at(10, 10)).toBe(0)
    expect(at(2 + 34 + 5, 2 + 34 + 5)).toBe(5)
    expect(at(1, 10)).toBeNull()
    expect(at(35, 10)).toBeNull()
    expect(at(2 + 3 * 34 + 5, 2 + 2 * 34 + 5)).toBeNull() // slot 11 of 12 is empty
    expect(at(2 + 34 + 5, 2 + 2 * 34 + 5)).toBe(9)
  })
})

describe('history kept current from events', () => {
  it('keeps the newest checkpoints plus the best one', () => {
    let list = addCheckpoint([], 10, true, 2)
    list = addCheckpoint(list, 20, false, 2)
    list = addCheckpoint(list, 30, false, 2)
    expect(list).toEqual([
      { step: 10, best: true, latest: false },
      { step: 20, best: false, latest: false },
      { step: 30, best: false, latest: true },
    ])
    list = addCheckpoint(list, 40, true, 2)
    expect(list).toEqual([
      { step: 30, best: false, latest: false },
      { step: 40, best: true, latest: true },
    ])
    expect(addCheckpoint(list, 40, true, 2)).toEqual(list)
  })

  it('adds steps once, in order', () => {
    expect(addStep([10, 30], 20)).toEqual([10, 20, 30])
    expect(addStep([10, 30], 30)).toEqual([10, 30])
  })

  it('appends records, and a resumed run’s records replace those past its checkpoint', () => {
    const records = [rec(1), rec(2), rec(3)]
    expect(mergeRecord(records, rec(4)).map((r) => r.step)).toEqual([1, 2, 3, 4])
    const again = mergeRecord(records, rec(2, { gLoss: 7 }))
    expect(again.map((r) => r.step)).toEqual([1, 2])
    expect(again[1].gLoss).toBe(7)
  })

  it('rebuilds alerts: each kind of warning once, every stop', () => {
    const alerts = alertsFromMetrics([
      rec(10, { warnings: ['r_t 0.71 above 0.6 with p at 0.80'] }),
      rec(20, { warnings: ['r_t 0.75 above 0.6 with p at 0.82'] }),
      rec(30, { warnings: ['D loss near 0.01'] }),
      rec(40, { action: 'stop', reasons: ['G σ0 spiked'] }),
    ])
    expect(alerts.map((a) => [a.step, a.level])).toEqual([
      [10, 'warning'],
      [30, 'warning'],
      [40, 'stop'],
    ])
    expect(alerts[2].messages).toEqual(['G σ0 spiked'])
    expect(alerts[2].action).toMatch(/stopped the run at step 40/)
  })
})

describe('the fine-tune form', () => {
  const hyper: FinetuneHyperparameters = {
    steps: 100, warmupSteps: 0, batchSize: 16, accumulation: 1, dStepsPerGStep: 2, lrG: 5e-5, lrD: 2e-4, beta1: 0,
    beta2: 0.999, orthogonalRegularisation: 1e-4, emaDecay: 0.9999, emaStart: 0, augmentPolicies: ['color', 'translation'],
    augmentAdaptive: true, augmentP: 0, adaTarget: 0.6, freezeD: 1, mirror: true, checkpointEvery: 10, keepCheckpoints: 10,
    previewEvery: 10, previewCount: 16, logEvery: 1, spectraEvery: 5, memorisationEvery: 20, seed: 0, classStepFactor: null,
  }

  it('sends only the fields typed, as numbers, and says what is wrong with the others', () => {
    const { overrides, errors } = parseOverrides(
      { values: { batchSize: ' 8 ', lrG: '1e-4', freezeD: '1.5', emaDecay: '2', seed: 'x', lrD: '' }, policies: ['cutout'], mirror: 'off' },
      'adversarial',
    )
    expect(overrides).toEqual({ batchSize: 8, lrG: 1e-4, augmentPolicies: ['cutout'], mirror: false })
    expect(Object.keys(errors).sort()).toEqual(['emaDecay', 'freezeD', 'seed'])
  })

  it('leaves out what a method does not read', () => {
    const form = { values: { batchSize: '8', lrD: '1e-3', warmupSteps: '50', classStepFactor: '5' }, policies: null, mirror: 'on' as const }
    expect(parseOverrides(form, 'bsa').overrides).toEqual({ batchSize: 8 })
    expect(parseOverrides(form, 'fresh-d').overrides).toEqual({ batchSize: 8, lrD: 1e-3, warmupSteps: 50, mirror: true })
    expect(parseOverrides(form, 'new-class').overrides).toEqual({ batchSize: 8, lrD: 1e-3, classStepFactor: 5, mirror: true })
  })

  it('covers every numeric override of the contract, each with bounds', () => {
    expect(OVERRIDE_FIELDS.length).toBe(21)
    for (const f of OVERRIDE_FIELDS) expect(f.min).toBeLessThan(f.max)
    expect(OVERRIDE_FIELDS.filter((f) => fieldApplies(f, 'bsa')).map((f) => f.key)).toEqual(['batchSize', 'lrG', 'checkpointEvery', 'previewCount', 'seed'])
  })

  it('shows the resolved defaults from the plan', () => {
    const field = (key: string) => OVERRIDE_FIELDS.find((f) => f.key === key)!
    const plan = { hyperparameters: hyper, bsa: null }
    expect(resolvedValue(field('batchSize'), plan)).toBe('16')
    expect(resolvedValue(field('augmentP'), plan)).toBe('ADA, from 0')
    expect(resolvedValue(field('classStepFactor'), plan)).toBe('')
    expect(resolvedValue(field('lrG'), { hyperparameters: null, bsa: { batchSize: 4, lr: 0.01, seed: 3 } })).toBe('0.01')
    expect(resolvedValue(field('lrG'), null)).toBe('')
  })

  it('refuses steps that cannot be a run, naming the limit, and never clamps them', () => {
    expect(parseSteps(' 4 ')).toEqual({ steps: 4 })
    expect(parseSteps('10000000')).toEqual({ steps: 10_000_000 })
    for (const [typed, says] of [['0', /0 trains nothing; give a whole number from 1 to 10 000 000/], ['-5', /−5 trains nothing/],
      ['2.5', /not whole/], ['abc', /not a number/], ['', /give a whole number/], ['20000000', /more than the 10 000 000/]] as const) {
      const r = parseSteps(typed)
      expect(r, typed).not.toHaveProperty('steps')
      expect((r as { error: string }).error).toMatch(says)
    }
  })

  it('trains a run further to a total past its step, twice its steps when left empty, and refuses the rest', () => {
    expect(parseExtendSteps('', { step: 100, steps: 100 })).toEqual({ steps: 200 })
    expect(parseExtendSteps('', { step: 9_000_000, steps: 9_000_000 })).toEqual({ steps: 10_000_000 })
    expect(parseExtendSteps('150', { step: 100, steps: 100 })).toEqual({ steps: 150 })
    expect(parseExtendSteps('50', { step: 100, steps: 100 })).toEqual({ error: 'Steps: the run has reached step 100; give a total past it.' })
    expect(parseExtendSteps('0', { step: 100, steps: 100 })).toHaveProperty('error')
  })

  it('estimates a long run from a run of the same model timed here, scaled to its images per step', () => {
    expect(CONFIRM_STEPS).toBeLessThanOrEqual(1_000_000)
    const plan = { hyperparameters: { ...hyper, batchSize: 32 }, bsa: null }
    const timed = { run: { hyperparameters: hyper, bsa: null }, metrics: [rec(1, { imagesPerSecond: 16 }), rec(2, { imagesPerSecond: 32 }), rec(3, { imagesPerSecond: 32 }), rec(4)] }
    // 2 D steps × 32 images at a median of 32 images/s: 2 s a step
    expect(secondsPerStep(plan, timed)).toBe(2)
    expect(secondsPerStep(plan, null)).toBeNull()
    expect(secondsPerStep(plan, { ...timed, metrics: [rec(1)] })).toBeNull()
    expect(runTimeText(5_000_000, 2, '3 “x”')).toBe('At about 2.00 s a step (as run 3 “x” trained here), 5 000 000 steps take about 116 days.')
    expect(runTimeText(5_000_000, null, null)).toMatch(/not known before it starts/)
  })

  it('names the target, or what is missing', () => {
    expect(targetOf({ kind: 'folder', classIndex: 3, newName: 'x' })).toEqual({ target: { kind: 'folder' } })
    expect(targetOf({ kind: 'existing', classIndex: 3, newName: '' })).toEqual({ target: { kind: 'existing', classIndex: 3 } })
    expect(targetOf({ kind: 'existing', classIndex: null, newName: '' })).toHaveProperty('error')
    expect(targetOf({ kind: 'new', classIndex: null, newName: '  Hat ' })).toEqual({ target: { kind: 'new', name: 'Hat' } })
    expect(targetOf({ kind: 'new', classIndex: null, newName: ' ' })).toHaveProperty('error')
  })
})
