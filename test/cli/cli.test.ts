import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')

// Runs the real launcher in a fresh process, exactly as `npm run biggan -- …` does.
function biggan(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/biggan.mjs', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, BIGGAN_BACKEND: process.env.BIGGAN_BACKEND ?? 'wasm' },
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

describe('the biggan command line', () => {
  it('lists every command with --help', () => {
    const r = biggan('--help')
    expect(r.code).toBe(0)
    for (const name of ['info', 'import', 'sample', 'eval', 'init']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${name} `, 'm'))
    }
    expect(r.stdout).toContain('--backend NAME')
  })

  it('prints each command\'s own help, with its options', () => {
    const r = biggan('eval', '--help')
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('Usage: biggan eval --model DIR --in IN.safetensors --out OUT.safetensors')
    expect(r.stdout).toContain('d_logits_fake')
    expect(biggan('help', 'init').stdout).toContain('--arch biggan|biggan-deep')
  })

  it('info reports the backend, its threads, SIMD and what it tried', () => {
    const r = biggan('info')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^backend +wasm /m)
    expect(r.stdout).toMatch(/^threads +\d+$/m)
    expect(r.stdout).toMatch(/^SIMD +(yes|no)$/m)
    expect(r.stdout).toMatch(/^tried +wasm: ok$/m)
  })

  it('info --json searches the backends in order when none is forced', () => {
    const r = spawnSync(process.execPath, ['bin/biggan.mjs', 'info', '--json'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, BIGGAN_BACKEND: '' },
    })
    expect(r.status).toBe(0)
    const info = JSON.parse(r.stdout) as { name: string; simd: unknown; tried: { name: string; ok: boolean }[] }
    expect(typeof info.simd).toBe('boolean')
    expect(info.tried[0].name).toBe('tfjs-node-gpu')
    expect(info.tried.at(-1)).toMatchObject({ name: info.name, ok: true })
  })

  it('--backend cpu forces the cpu backend', () => {
    const r = biggan('--backend', 'cpu', 'info')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^backend +cpu /m)
  })

  it('info --model on a folder that is not a model says what to do instead', () => {
    const r = biggan('info', '--model', 'test/fixtures/hf-biggan-deep')
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('not a BigGAN Studio model folder')
    expect(r.stderr).toContain('biggan import')
  })

  it('refuses an unknown command on stderr, saying what to run', () => {
    const r = biggan('frobnicate')
    expect(r.code).not.toBe(0)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain("unknown command 'frobnicate'")
    expect(r.stderr).toContain("biggan --help")
  })

  it('refuses an unknown option, a missing value and a missing required option', () => {
    const unknown = biggan('info', '--frob')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("unknown option --frob for 'biggan info'")
    const noValue = biggan('info', '--model')
    expect(noValue.code).toBe(2)
    expect(noValue.stderr).toContain('--model needs a value')
    const missing = biggan('eval', '--model', 'm')
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain('--in IN.safetensors')
    expect(missing.stderr).toContain("biggan eval --help")
  })

  it('refuses an unknown --backend before loading anything', () => {
    const r = biggan('--backend', 'tpu', 'info')
    expect(r.code).toBe(2)
    expect(r.stderr).toContain("unknown backend 'tpu'")
  })

  it('refuses an init it cannot build, naming the option', () => {
    const r = biggan('init', '--arch', 'biggan', '--res', '48', '--ch', '64', '--classes', '10', '--out', 'x')
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--res must be one of 32, 64, 128, 256, 512')
  })
})
