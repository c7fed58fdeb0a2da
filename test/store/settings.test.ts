// The studio's settings in the library: defaults until changed, kept across a restart, checked on the way in, and a
// damaged stored value reads as its default with a notice instead of breaking the studio.
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { DEFAULT_SETTINGS } from '../../main/store/index.ts'
import { freshLibrary, refusal } from './expect.ts'

describe('the settings', () => {
  const fixture = freshLibrary()

  it('are the defaults until one is changed: auto runtime, auto threads', () => {
    expect(fixture.library.settings()).toEqual({ settings: DEFAULT_SETTINGS, notices: [] })
    expect(DEFAULT_SETTINGS.inference).toEqual({ runtime: 'auto', threads: 'auto' })
    expect(DEFAULT_SETTINGS.training).toEqual({ threads: 'auto', executor: 'auto' })
  })

  it('keep a changed inference runtime and thread count across a restart', () => {
    const saved = fixture.library.saveSettings({ inference: { runtime: 'onnx', threads: 2 } })
    expect(saved.settings.inference).toEqual({ runtime: 'onnx', threads: 2 })
    expect(fixture.reopen().settings()).toEqual({ settings: { inference: { runtime: 'onnx', threads: 2 }, training: { threads: 'auto', executor: 'auto' }, downloads: { catalogue: null } }, notices: [] })
  })

  it('refuse a value the schema does not allow, naming the field, and keep the stored one', () => {
    fixture.library.saveSettings({ inference: { runtime: 'tfjs', threads: 'auto' } })
    const badRuntime = refusal(() => fixture.library.saveSettings({ inference: { runtime: 'torch', threads: 'auto' } as never }))
    expect(badRuntime.code).toBe('invalid')
    expect(badRuntime.message).toContain('inference.runtime: expected one of auto, onnx, tfjs')
    const badThreads = refusal(() => fixture.library.saveSettings({ inference: { runtime: 'onnx', threads: 0 } }))
    expect(badThreads.message).toContain("inference.threads: expected 'auto' or an integer in [1, 256]")
    const unknown = refusal(() => fixture.library.saveSettings({ theme: 'dark' } as never))
    expect(unknown.message).toContain("there is no setting 'theme' (there are: inference, training, downloads)")
    expect(fixture.library.settings().settings.inference).toEqual({ runtime: 'tfjs', threads: 'auto' })
  })

  it('read a damaged or unknown stored value as the default, with a notice that says which and what to do', () => {
    fixture.library.close()
    const db = new Database(`${fixture.dir}/library.db`)
    db.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('inference', ?, '2026-01-01T00:00:00.000Z')").run('{"runtime":"torch","threads":2}')
    db.prepare("INSERT INTO settings (key, value, updated_at) VALUES ('fromANewerVersion', '1', '2026-01-01T00:00:00.000Z')").run()
    db.close()
    const read = fixture.reopen().settings()
    expect(read.settings).toEqual(DEFAULT_SETTINGS)
    expect(read.notices).toHaveLength(1)
    expect(read.notices[0]).toMatch(/The stored 'inference' setting in .*library\.db could not be used \(inference\.runtime: expected one of auto, onnx, tfjs, got string\)/)
    expect(read.notices[0]).toContain('Choosing a value again replaces it')

    fixture.library.close()
    const raw = new Database(`${fixture.dir}/library.db`)
    raw.prepare("UPDATE settings SET value = 'not json' WHERE key = 'inference'").run()
    raw.close()
    expect(fixture.reopen().settings().notices[0]).toContain('(it is not JSON)')
    // choosing again replaces the damaged row
    fixture.library.saveSettings({ inference: { runtime: 'onnx', threads: 'auto' } })
    expect(fixture.library.settings()).toEqual({ settings: { inference: { runtime: 'onnx', threads: 'auto' }, training: { threads: 'auto', executor: 'auto' }, downloads: { catalogue: null } }, notices: [] })
  })
})
