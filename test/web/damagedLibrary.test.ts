// Web mode on a damaged library: the built server (npm test builds it first) as a child process, its app data in a
// temporary folder holding a library that a crash left with a WAL and a disk then damaged.
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { StudioEvent } from '../../preload/contract/index.ts'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { startWebStudio, type WebStudio } from '../e2e/harness.ts'
import { crashedLibrary, damage, filesOf } from '../store/damage.ts'
import { tempFolder } from '../store/helpers.ts'
import { closed, inbox, openSocket, sendRequest } from './helpers.ts'

describe('web mode on a damaged library', () => {
  let folder: ReturnType<typeof tempFolder>
  let studio: WebStudio | null = null
  beforeEach(() => {
    folder = tempFolder('biggan-web-damaged-')
  })
  afterEach(async () => {
    await studio?.stop()
    studio = null
    folder.remove()
  })

  it('keeps the damaged files byte for byte, starts on a fresh library, and tells the terminal and the page', async () => {
    const file = join(folder.dir, 'library.sqlite')
    crashedLibrary(file)
    damage(file, 'garbage pages after a valid header')
    const originals = filesOf(file)

    studio = await startWebStudio(folder.dir)
    const kept = readdirSync(folder.dir).filter((f) => /^library\.sqlite\.corrupt-[\dTZ-]+$/.test(f))
    expect(kept).toHaveLength(1)
    const keptFile = join(folder.dir, kept[0])
    expect(filesOf(keptFile)).toEqual(originals)
    expect(studio.output()).toContain(keptFile)
    expect(studio.output()).toMatch(/\.recover/)

    // a page that opens later is told too: it asks models:current as it starts
    const ws = await openSocket(studio.port, { token: studio.token })
    const messages = inbox(ws)
    sendRequest(ws, 1, 'models:current')
    await messages.reply(1)
    const told = (e: StudioEvent): boolean => e.type === 'notice' && e.level === 'error' && e.message?.includes(keptFile) === true
    let events: StudioEvent[] = []
    for (let n = 1; !events.some(told); n++) events = (await messages.events(n)) as StudioEvent[]
    sendRequest(ws, 2, 'favourites:list', {})
    expect(await messages.reply(2)).toMatchObject({ ok: true, value: { total: 0 } })
    ws.close()
    await closed(ws)
  })
})
