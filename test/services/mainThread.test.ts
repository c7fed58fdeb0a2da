// TensorFlow.js loads only in the engine worker: nothing the main process imports for the studio (its services and
// the worker's client) reaches tfjs or the engine's tf module, directly or through other files.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT, importSpecifiers, readSource, resolveRelative } from '../architecture/imports'

/** Every repository file reachable by relative imports from `entry`, and every bare specifier they import. */
function closure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>()
  const packages = new Set<string>()
  const visit = (file: string): void => {
    if (files.has(file)) return
    files.add(file)
    for (const specifier of importSpecifiers(readSource(file))) {
      const target = resolveRelative(file, specifier)
      if (target === null) {
        packages.add(specifier)
        continue
      }
      const resolved = [target, `${target}.ts`, `${target}/index.ts`].find((f) => existsSync(join(ROOT, f)) && f.endsWith('.ts'))
      if (resolved) visit(resolved)
    }
  }
  visit(entry)
  return { files, packages }
}

describe('the main thread', () => {
  it.each(['main/services/studio.ts', 'main/engine-host/client/engineClient.ts'])('%s never imports TensorFlow.js', (entry) => {
    const { files, packages } = closure(entry)
    expect(files.size).toBeGreaterThan(1)
    expect([...packages].filter((p) => p.startsWith('@tensorflow/'))).toEqual([])
    // engine files that import nothing: a version string, and the fine-tune's distance to the folder (arithmetic on a
    // run's copying-check record, which the run views show)
    const pure = ['main/engine/version.ts', 'main/backend/threadCounts.ts', 'main/engine/finetune/targetDistance.ts']
    expect([...files].filter((f) => f.startsWith('main/engine/') && !pure.includes(f))).toEqual([])
    for (const f of pure.filter((p) => p.startsWith('main/engine/') && files.has(p))) expect(importSpecifiers(readSource(f)), f).toEqual([])
    expect(files.has('main/engine-host/worker/engineWorker.ts')).toBe(false)
  })
})
