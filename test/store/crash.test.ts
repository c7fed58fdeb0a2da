import { spawn } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Library } from '../../main/store/index.ts'
import { committedFavourite } from './crashData.ts'
import { bits, tempFolder } from './helpers.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const writer = fileURLToPath(new URL('./crashWriter.ts', import.meta.url))

/** Runs the crash writer and SIGKILLs it once `killWhen` says so; resolves with the ids it printed as committed. */
function runAndKill(args: string[], killWhen: (line: string, committed: number[]) => boolean) {
  return new Promise<{ committed: number[]; signal: NodeJS.Signals | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    const committed: number[] = []
    let stderr = ''
    let pending = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk: string) => {
      pending += chunk
      const lines = pending.split('\n')
      pending = lines.pop()!
      for (const line of lines) {
        const match = /^committed (\d+)$/.exec(line)
        if (match) committed.push(Number(match[1]))
        if (!child.killed && killWhen(line, committed)) child.kill('SIGKILL')
      }
    })
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (_code, signal) => resolve({ committed, signal, stderr }))
  })
}

function integrity(file: string): unknown {
  const db = new Database(file)
  try {
    return db.pragma('integrity_check')
  } finally {
    db.close()
  }
}

describe('a crash mid-write loses nothing', () => {
  let folder: ReturnType<typeof tempFolder>
  let file: string
  beforeEach(() => {
    folder = tempFolder()
    file = join(folder.dir, 'library.db')
  })
  afterEach(() => folder.remove())

  it('keeps every committed favourite and none of a transaction killed half-way', async () => {
    const n = 25
    const run = await runAndKill([file, 'commits', String(n)], (line) => line === 'mid-write')
    expect(run.signal, run.stderr).toBe('SIGKILL')
    expect(run.committed).toHaveLength(n)
    // the uncommitted write reached the file (cache spills go to the WAL) before the kill: recovery has work to do
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(4 * 2 ** 20)

    const library = Library.open(file)
    expect(library.notices).toEqual([]) // a transaction cut short is not damage: nothing to tell, nothing kept
    const { items, total } = library.listFavourites({ limit: 1000 })
    expect(total).toBe(n)
    expect(items.map((f) => f.id).sort((a, b) => a - b)).toEqual(run.committed)
    for (let i = 0; i < n; i++) {
      const expected = committedFavourite(i)
      const saved = library.getFavourite(run.committed[i])
      expect(saved).toMatchObject({ name: expected.name, tags: expected.tags })
      expect(bits(saved.z)).toEqual(bits(expected.z))
      expect(Buffer.compare(saved.thumbnail, expected.thumbnail)).toBe(0)
    }
    expect(library.listFavourites({ query: 'uncommitted' }).total).toBe(0)
    expect(library.tags().find((t) => t.tag === 'crash')?.count).toBe(n)
    // and the library carries on
    library.saveFavourite(committedFavourite(n))
    library.close()
    expect(integrity(file)).toEqual([{ integrity_check: 'ok' }])
  })

  it('keeps every favourite whose save returned when killed during a stream of saves', async () => {
    const run = await runAndKill([file, 'stream'], (_line, committed) => committed.length >= 30)
    expect(run.signal, run.stderr).toBe('SIGKILL')
    expect(existsSync(file)).toBe(true)

    const library = Library.open(file)
    expect(library.notices).toEqual([])
    const present = library.listFavourites({ limit: 1000 }).items.map((f) => f.id).sort((a, b) => a - b)
    // every acknowledged save is there; at most the saves in flight after the last line read are there too
    expect(present.slice(0, run.committed.length)).toEqual(run.committed)
    for (const id of present) {
      const saved = library.getFavourite(id)
      const expected = committedFavourite(id - 1)
      expect(saved.tags).toEqual(expected.tags) // no favourite without its tags: no half transaction
      expect(Buffer.compare(saved.thumbnail, expected.thumbnail)).toBe(0)
    }
    library.close()
    expect(integrity(file)).toEqual([{ integrity_check: 'ok' }])
  })
})
