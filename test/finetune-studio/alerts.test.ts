// The collapse monitor's alerts as a run reports them to the studio: each carries the logged step at which its
// detector fired, a stop always, a kind of warning only the first time (its numbers aside).
import { describe, expect, it } from 'vitest'
import { monitorAlert } from '../../main/engine-host/worker/finetuneJobs.ts'
import { TrainingMonitor, type TrainingRecord } from '../../main/engine/train/monitor'

const record = (step: number, dLoss: number): TrainingRecord => ({ step, dLossReal: dLoss / 2, dLossFake: dLoss / 2, gLoss: 1 })

describe("the monitor's alerts", () => {
  it('say at which step a warning fired, and raise each kind of warning once', () => {
    const monitor = TrainingMonitor.create({ dLossCollapse: { window: 3 } })
    const warned = new Set<string>()
    const alerts = [10, 20, 30, 40, 50].map((step) => monitorAlert(step, monitor.observe(record(step, 0.01)), warned, null))
    // the window of 3 records is full at step 30: the near-zero D loss warns there, and not again at 40 or 50
    expect(alerts.map((a) => a?.step ?? null)).toEqual([null, null, 30, null, null])
    expect(alerts[2]).toMatchObject({ kind: 'alert', level: 'warning', messages: [expect.stringMatching(/D loss near zero/)] })
    expect(alerts[2]!.action).toMatch(/training goes on/)
  })

  it('say at which step the monitor stopped the run, and which step best/ keeps', () => {
    const monitor = TrainingMonitor.create()
    const warned = new Set<string>()
    monitorAlert(10, monitor.observe(record(10, 1)), warned, 10)
    const stop = monitorAlert(20, monitor.observe(record(20, Number.NaN)), warned, 10)
    expect(stop).toMatchObject({ kind: 'alert', step: 20, level: 'stop', messages: [expect.stringMatching(/non-finite values at step 20/)] })
    expect(stop!.action).toBe('the collapse monitor stopped the run at step 20: a last checkpoint is written, and best/ keeps step 10, from before the collapse')
  })
})
