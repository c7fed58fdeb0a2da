// `npm install` runs no install script that package.json's allowScripts has not decided, so it has nothing to warn
// a newcomer about. Each decision's reason: electron's and onnxruntime-node's download binaries (the first start
// and the CPU provider do without), better-sqlite3 builds its native module, the optional tfjs-node packages fetch
// libtensorflow, es5-ext's and core-js's print banners, and esbuild's only swaps its JavaScript launcher for the
// native binary: without it esbuild runs the binary from its platform package (@esbuild/<platform>) all the same.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT } from './imports.ts'

const json = (file: string): Record<string, unknown> => JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as Record<string, unknown>

describe('install scripts', () => {
  it('allowScripts decides every package of the lock file that has an install script', () => {
    const allow = json('package.json').allowScripts as Record<string, boolean>
    const packages = json('package-lock.json').packages as Record<string, { hasInstallScript?: boolean }>
    const scripted = Object.entries(packages)
      .filter(([key, p]) => key !== '' && p.hasInstallScript)
      .map(([key]) => key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length))
    expect(scripted.length).toBeGreaterThan(0)
    expect(scripted.filter((name) => typeof allow[name] !== 'boolean')).toEqual([])
  })

  it('keeps off the scripts that only print banners or swap a launcher', () => {
    const allow = json('package.json').allowScripts as Record<string, boolean>
    expect(allow).toMatchObject({ 'core-js': false, esbuild: false, 'es5-ext': false, electron: false })
  })
})
