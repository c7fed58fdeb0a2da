// The engine host's errors reach the renderer as the contract's: with the code and message the host gave.
import { describe, expect, it } from 'vitest'
import { HostError } from '../../main/engine-host/protocol/errors.ts'
import { createRouter, type Handlers } from '../../main/ipc/router.ts'
import { withStudioErrors } from '../../main/services/errors.ts'
import { StudioError } from '../../preload/contract/index.ts'

const answering = (fail: () => never) =>
  createRouter(withStudioErrors({ 'jobs:cancel': async () => fail() } as unknown as Handlers)).handle('jobs:cancel', { job: 'x' })

describe("the studio's errors", () => {
  it("answer a host error with its code and message, as a StudioError would be", async () => {
    for (const code of ['bad-input', 'failed', 'cancelled', 'superseded'] as const) {
      expect(await answering(() => { throw new HostError(code, `the host said ${code}`) })).toEqual({
        ok: false,
        error: { code, message: `the host said ${code}` },
      })
    }
  })

  it("pass the services' own errors on as they are", async () => {
    expect(await answering(() => { throw new StudioError('unsupported', 'no dialog here') })).toEqual({
      ok: false,
      error: { code: 'unsupported', message: 'no dialog here' },
    })
    const reply = await answering(() => { throw new Error('disk full') })
    expect(reply).toMatchObject({ ok: false, error: { code: 'failed', message: 'disk full' } })
  })
})
