import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { maxWasmThreads, parseWasmThreads, trainingThreads } from '../../main/backend/threadCounts.ts'
import { sweepStaleThreadFolders, wasmThreadsSupported } from '../../main/backend/wasmThreads.ts'

// Each run is a process of its own: a started wasm backend keeps its thread pool for the life of the process.
function probe(threads: number): { threads: number; notes: string[]; images: string; paramsAfterStep: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/engine/wasm-threads-probe.ts', String(threads)], {
    encoding: 'utf8',
    timeout: 240_000, // a process kept alive by a pool thread would hit this instead of exiting
    env: { ...process.env, BIGGAN_WASM_THREADS: '' },
  })
  expect(r.error, 'the probe must exit by itself').toBeUndefined()
  expect(r.status, r.stderr).toBe(0)
  return JSON.parse(r.stdout)
}

describe('wasm threads under Node', () => {
  it('reads a thread count or max, and says what was wrong with anything else', () => {
    expect(parseWasmThreads('2', 'x')).toBe(2)
    expect(parseWasmThreads(' max ', 'x')).toBe(maxWasmThreads())
    for (const bad of ['0', '-1', '1.5', 'two', '', '65']) {
      expect(() => parseWasmThreads(bad, '--threads')).toThrow(`not '${bad}' (from --threads)`)
    }
  })

  it("resolves a studio run's threads: the setting, 'auto' as every core but one, BIGGAN_WASM_THREADS over both", () => {
    expect(trainingThreads('auto', {}, 2)).toEqual({ threads: 1, override: null })
    expect(trainingThreads('auto', {}, 8)).toEqual({ threads: 7, override: null })
    expect(trainingThreads('auto', {}, 1)).toEqual({ threads: 1, override: null })
    expect(trainingThreads(3, {}, 2)).toEqual({ threads: 3, override: null })
    expect(trainingThreads(3, { BIGGAN_WASM_THREADS: '2' }, 8)).toMatchObject({ threads: 2, override: expect.stringContaining('BIGGAN_WASM_THREADS=2') })
    expect(trainingThreads(3, { BIGGAN_WASM_THREADS: 'x' }, 8)).toEqual({
      threads: 3,
      override: "wasm threads must be a whole number from 1 to 64 or 'max', not 'x' (from BIGGAN_WASM_THREADS): it is ignored, and the setting serves",
    })
  })

  it("sweeps the worker folders of processes that no longer run, and only those", () => {
    const parent = mkdtempSync(join(tmpdir(), 'biggan-sweep-'))
    try {
      const gone = spawnSync(process.execPath, ['-e', '0']).pid // exited before spawnSync returned
      expect(gone).toBeGreaterThan(0)
      const names = {
        dead: `biggan-wasm-threads-${gone}-AbC123`,
        mine: `biggan-wasm-threads-${process.pid}-AbC123`,
        parent: `biggan-wasm-threads-${process.ppid}-AbC123`,
        other: 'biggan-wasm-threads-keep',
      }
      for (const name of Object.values(names)) {
        mkdirSync(join(parent, name))
        writeFileSync(join(parent, name, 'worker-0.cjs'), '')
      }
      writeFileSync(join(parent, `biggan-wasm-threads-${gone}-File12`), 'a file, not a folder')
      expect(sweepStaleThreadFolders(parent)).toEqual([names.dead])
      expect(existsSync(join(parent, names.dead))).toBe(false)
      expect(readdirSync(parent).sort()).toEqual([names.mine, names.parent, names.other, `biggan-wasm-threads-${gone}-File12`].sort())
      expect(sweepStaleThreadFolders(join(parent, 'missing'))).toEqual([])
    } finally {
      rmSync(parent, { recursive: true, force: true })
    }
  })

  it('runs the threaded build on two threads with outputs and a training step identical to one thread', () => {
    expect(wasmThreadsSupported()).toBe(true)
    const one = probe(1)
    const two = probe(2)
    expect(one.threads).toBe(1)
    expect(one.notes.join(' ')).toContain('BIGGAN_WASM_THREADS')
    expect(two.threads).toBe(2)
    expect(two.notes.join(' ')).toContain('threaded build runs XNNPACK on 2 threads')
    expect(two.images).toBe(one.images)
    expect(two.paramsAfterStep).toBe(one.paramsAfterStep)
  }, 600_000)

  it('the CLI takes --threads and refuses a bad count with exit code 2', () => {
    const ok = spawnSync(process.execPath, ['bin/biggan.mjs', '--threads', '2', '--backend', 'wasm', 'info'], {
      encoding: 'utf8',
      timeout: 120_000,
    })
    expect(ok.status, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(/threads\s+2/)
    const bad = spawnSync(process.execPath, ['bin/biggan.mjs', 'info', '--threads', 'lots'], { encoding: 'utf8', timeout: 120_000 })
    expect(bad.status).toBe(2)
    expect(bad.stderr).toContain("wasm threads must be a whole number from 1 to 64 or 'max', not 'lots' (from --threads)")
  }, 300_000)
})
