// Long jobs outlive the page that started them: a page that reloads finds the job running with its progress, and
// receives its outcome (the value its channel answered, or why it failed) by attaching to it.
import { describe, expect, it } from 'vitest'
import { StudioError } from '../../preload/contract/index.ts'
import type { Handlers } from '../../main/ipc/router.ts'
import { createJobs } from '../../main/services/jobs.ts'

function controllable() {
  let finish: (value: unknown) => void = () => {}
  let fail: (e: unknown) => void = () => {}
  const handler = () =>
    new Promise((done, reject) => {
      finish = done
      fail = reject
    })
  return { handler, finish: (v: unknown) => finish(v), fail: (e: unknown) => fail(e) }
}

function tracked(channel: string, handler: () => Promise<unknown>, dataDir = '/data/a') {
  const jobs = createJobs({ dataDir })
  const handlers = jobs.track({ ...jobs.handlers, [channel]: handler } as unknown as Handlers)
  return { jobs, handlers }
}

describe('long jobs survive the page that started them', () => {
  it('lists a running job with its newest progress, and hands its value to a page that attaches', async () => {
    const work = controllable()
    const { jobs, handlers } = tracked('metrics:compute', work.handler)
    // the page that started it goes away: nobody awaits this promise any more
    void handlers['metrics:compute']({} as never)
    jobs.observe({ type: 'progress', job: 'metrics:compute', label: 'features of the reals', done: 3, total: 10 })
    const { jobs: listed } = await handlers['jobs:list'](undefined)
    expect(listed).toEqual([expect.objectContaining({ job: 'metrics:compute', state: 'running', label: 'features of the reals', done: 3, total: 10 })])

    const attached = handlers['jobs:attach']({ job: 'metrics:compute' })
    work.finish({ id: 7 })
    expect(await attached).toEqual({ state: 'done', value: { id: 7 } })
    // a later reload still finds the outcome
    expect(await handlers['jobs:attach']({ job: 'metrics:compute' })).toEqual({ state: 'done', value: { id: 7 } })
    expect((await handlers['jobs:list'](undefined)).jobs[0].state).toBe('done')
  })

  it('says why a job failed, and that a cancelled one was cancelled', async () => {
    const failing = controllable()
    const { handlers } = tracked('inspect:leakage', failing.handler)
    const run = handlers['inspect:leakage']({} as never).catch(() => undefined)
    failing.fail(new StudioError('failed', 'the judge folder is missing'))
    await run
    expect(await handlers['jobs:attach']({ job: 'inspect:leakage' })).toEqual({ state: 'failed', error: 'the judge folder is missing' })

    const cancelled = controllable()
    const other = tracked('inspect:leakage', cancelled.handler).handlers
    const second = other['inspect:leakage']({} as never).catch(() => undefined)
    cancelled.fail(new StudioError('cancelled', 'cancelled'))
    await second
    expect((await other['jobs:attach']({ job: 'inspect:leakage' })).state).toBe('cancelled')
  })

  it("answers 'none' for a job that has not run since the back end started (a restart forgets jobs)", async () => {
    const { handlers } = tracked('metrics:compute', async () => ({}))
    expect(await handlers['jobs:attach']({ job: 'metrics:compute' })).toEqual({ state: 'none' })
    expect((await handlers['jobs:list'](undefined)).jobs).toEqual([])
  })

  it('records opening the default model and opening a path as the one job models:open', async () => {
    const work = controllable()
    const { handlers } = tracked('models:openDefault', work.handler)
    void handlers['models:openDefault'](undefined)
    expect((await handlers['jobs:list'](undefined)).jobs.map((j) => [j.job, j.state])).toEqual([['models:open', 'running']])
    work.finish({ name: 'default' })
    expect(await handlers['jobs:attach']({ job: 'models:open' })).toEqual({ state: 'done', value: { name: 'default' } })
  })

  it('names each data folder with its own id, the same on every start', async () => {
    const id = async (dir: string) => (await createJobs({ dataDir: dir }).handlers['jobs:list'](undefined)).dataId
    expect(await id('/data/a')).toBe(await id('/data/a'))
    expect(await id('/data/a')).not.toBe(await id('/data/b'))
  })
})
