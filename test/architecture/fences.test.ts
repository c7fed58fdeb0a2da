import { describe, expect, it } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { importSpecifiers, isNodeBuiltin, readSource, resolveRelative, ROOT, sourceFiles, stripComments } from './imports.ts'

// One entry per import that crosses a fence: 'file → specifier'.
type Violation = string

interface Imports {
  file: string
  specifier: string
  target: string | null // repository-relative path for relative imports
}

function importsUnder(...dirs: string[]): Imports[] {
  return dirs.flatMap((dir) =>
    sourceFiles(dir).flatMap((file) =>
      importSpecifiers(readSource(file)).map((specifier) => ({
        file,
        specifier,
        target: resolveRelative(file, specifier),
      })),
    ),
  )
}

const under = (path: string | null, ...prefixes: string[]): boolean =>
  path !== null && prefixes.some((p) => path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`))

const show = (i: Imports): Violation => `${i.file} → ${i.specifier}`

// Modules that reach the file system or its paths (with or without 'node:'), and sharp, which decodes image files.
// Pure built-ins such as node:crypto stay allowed everywhere.
const FILE_MODULES = new Set(['fs', 'path', 'url', 'os'])
const touchesFiles = (specifier: string): boolean =>
  specifier === 'sharp' || FILE_MODULES.has(specifier.replace(/^node:/, '').split('/')[0])

const ALL = importsUnder('main', 'preload', 'renderer', 'bin')

describe('architecture fences', () => {
  it('scans the source tree', () => {
    const files = new Set(ALL.map((i) => i.file))
    expect(files).toContain('main/index.ts')
    expect(files).toContain('main/cli/index.ts')
  })

  // The preload is a program of Electron's own kind; bin/start.mjs asks the electron package only for the path
  // of its binary.
  const ELECTRON_ALLOWED = (file: string): boolean =>
    file === 'main/index.ts' || under(file, 'main/ipc') || file === 'preload/index.ts' || file === 'bin/start.mjs'

  it("only main/index.ts, main/ipc/ and the preload import 'electron'", () => {
    const bad = ALL.filter(
      (i) => (i.specifier === 'electron' || i.specifier.startsWith('electron/')) && !ELECTRON_ALLOWED(i.file),
    )
    expect(bad.map(show)).toEqual([])
  })

  it('main/checkpoints/ imports no TensorFlow.js: its readers turn bytes into plain arrays', () => {
    const bad = ALL.filter((i) => under(i.file, 'main/checkpoints') && i.specifier.startsWith('@tensorflow/'))
    expect(bad.map(show)).toEqual([])
  })

  it('the engine and the checkpoint readers import nothing from ipc, main/index, preload or renderer', () => {
    const bad = ALL.filter(
      (i) =>
        under(i.file, 'main/engine', 'main/checkpoints') &&
        (under(i.target, 'main/ipc', 'preload', 'renderer') || /^main\/index(\.ts)?$/.test(i.target ?? '')),
    )
    expect(bad.map(show)).toEqual([])
  })

  // The layers below everything else stay pure: they take bytes, tensors and plain values, so each runs the same
  // under the desktop app, the CLI, a worker and a test, and none needs a file or a resources folder to be there.
  it('the engine touches no file or path and imports nothing from main/ outside main/engine/ and main/tensors/', () => {
    const bad = ALL.filter(
      (i) =>
        under(i.file, 'main/engine') &&
        (touchesFiles(i.specifier) || (i.target !== null && !under(i.target, 'main/engine', 'main/tensors'))),
    )
    expect(bad.map(show)).toEqual([])
  })

  it('the engine finds nothing beside its own source files (no import.meta.url, dirname or filename)', () => {
    const bad = sourceFiles('main/engine').flatMap((file) =>
      [...stripComments(readSource(file)).matchAll(/\bimport\.meta\.(url|dirname|filename)\b/g)].map((m) => `${file} → ${m[0]}`),
    )
    expect(bad).toEqual([])
  })

  it('main/tensors/ imports only main/tensors/: no other layer, no TensorFlow.js, no package', () => {
    const bad = ALL.filter((i) => under(i.file, 'main/tensors') && (i.target === null || !under(i.target, 'main/tensors')))
    expect(bad.map(show)).toEqual([])
  })

  it('the checkpoint readers touch no file or path and import only the readers, main/tensors/ and main/engine/', () => {
    const bad = ALL.filter(
      (i) =>
        under(i.file, 'main/checkpoints') &&
        (touchesFiles(i.specifier) || (i.target !== null && !under(i.target, 'main/checkpoints', 'main/tensors', 'main/engine'))),
    )
    expect(bad.map(show)).toEqual([])
  })

  it("the engine host's two sides meet only in protocol/: the client imports no worker file, the worker no client file", () => {
    const bad = ALL.filter(
      (i) =>
        (under(i.file, 'main/engine-host/client') && under(i.target, 'main/engine-host/worker')) ||
        (under(i.file, 'main/engine-host/worker') && under(i.target, 'main/engine-host/client')) ||
        (under(i.file, 'main/engine-host/protocol') && under(i.target, 'main/engine-host/client', 'main/engine-host/worker')),
    )
    expect(bad.map(show)).toEqual([])
  })

  it('no source files import each other in a circle (type-only imports included)', () => {
    const resolve = (target: string): string | undefined =>
      [target, `${target}.ts`, `${target}/index.ts`, `${target}.svelte`].find((f) => existsSync(join(ROOT, f)) && /\.(ts|svelte)$/.test(f))
    const edges = new Map<string, Set<string>>()
    for (const i of ALL) {
      const to = i.target === null ? undefined : resolve(i.target)
      if (!to || to === i.file) continue
      if (!edges.has(i.file)) edges.set(i.file, new Set())
      edges.get(i.file)!.add(to)
    }
    // Tarjan's strongly connected components: every component of more than one file is a circle
    let index = 0
    const order = new Map<string, number>()
    const low = new Map<string, number>()
    const stack: string[] = []
    const onStack = new Set<string>()
    const circles: string[][] = []
    const visit = (v: string): void => {
      order.set(v, index)
      low.set(v, index++)
      stack.push(v)
      onStack.add(v)
      for (const w of edges.get(v) ?? []) {
        if (!order.has(w)) {
          visit(w)
          low.set(v, Math.min(low.get(v)!, low.get(w)!))
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, order.get(w)!))
      }
      if (low.get(v) === order.get(v)) {
        const component: string[] = []
        let w: string
        do {
          w = stack.pop()!
          onStack.delete(w)
          component.push(w)
        } while (w !== v)
        if (component.length > 1) circles.push(component.sort())
      }
    }
    for (const file of edges.keys()) if (!order.has(file)) visit(file)
    expect(circles).toEqual([])
  })

  // The contract is what crosses to the renderer, not the back end's data model: the store, the engine host and every
  // other layer speak their own records, and only the layer that serves the UI maps them to the contract.
  it('nothing under main/ but services/, ipc/, web/ and index.ts imports from preload/, type-only imports included', () => {
    const servesTheUi = (file: string): boolean => file === 'main/index.ts' || under(file, 'main/services', 'main/ipc', 'main/web')
    const bad = ALL.filter((i) => under(i.file, 'main') && !servesTheUi(i.file) && under(i.target, 'preload'))
    expect(bad.map(show)).toEqual([])
  })

  it('the renderer imports no Node built-in and nothing from main/', () => {
    const bad = ALL.filter((i) => under(i.file, 'renderer') && (isNodeBuiltin(i.specifier) || under(i.target, 'main')))
    expect(bad.map(show)).toEqual([])
  })

  // The renderer is type-checked without Node's types (tsconfig.web.json), but that check cannot see a leak: a module
  // that imports 'electron', even for a type, loads Node's types into the program (electron.d.ts references them),
  // and Node's globals would then type-check in the renderer. So follow every import from the renderer, type-only
  // ones included, through the preload modules it shares: none may import 'electron' or a Node built-in.
  it("nothing the renderer reaches, type-only imports included, imports 'electron' or a Node built-in", () => {
    const reached = new Set<string>()
    const bad: Violation[] = []
    const stack = sourceFiles('renderer')
    while (stack.length) {
      const file = stack.pop()!
      if (reached.has(file)) continue
      reached.add(file)
      for (const specifier of importSpecifiers(readSource(file))) {
        if (specifier === 'electron' || specifier.startsWith('electron/') || isNodeBuiltin(specifier)) {
          bad.push(`${file} → ${specifier}`)
        }
        const target = resolveRelative(file, specifier)
        if (target && /\.(ts|svelte)$/.test(target) && existsSync(join(ROOT, target))) stack.push(target)
      }
    }
    expect(reached).toContain('preload/contract/index.ts')
    expect(bad).toEqual([])
  })
})

describe('the import scanner used by the fences', () => {
  it('finds static, type-only, re-export, side-effect, dynamic and require imports, and ignores comments', () => {
    const code = [
      "import { a } from './a.ts'",
      "import type {\n  B,\n} from '../b.ts'",
      "export { c } from 'c'",
      "import 'd'",
      "const e = await import('e')",
      "const f = require('node:fs')",
      "// import g from 'g'",
      "/* import('h') */",
      "const url = 'app://studio' // not a comment start inside the string",
    ].join('\n')
    expect(importSpecifiers(code).sort()).toEqual(['../b.ts', './a.ts', 'c', 'd', 'e', 'node:fs'])
  })

  it('resolves relative imports to repository paths and recognises Node built-ins', () => {
    expect(resolveRelative('main/engine/x.ts', '../ipc/index.ts')).toBe('main/ipc/index.ts')
    expect(resolveRelative('main/engine/x.ts', '@tensorflow/tfjs')).toBeNull()
    expect(isNodeBuiltin('node:path')).toBe(true)
    expect(isNodeBuiltin('fs/promises')).toBe(true)
    expect(isNodeBuiltin('svelte')).toBe(false)
  })

  it('counts the file-system modules in both spellings, and sharp, but not pure built-ins or look-alike packages', () => {
    expect(['node:fs', 'fs/promises', 'node:path', 'path/posix', 'node:url', 'os', 'sharp'].map(touchesFiles)).toEqual(Array(7).fill(true))
    expect(['node:crypto', 'pathe', 'fs-extra-ish', '@tensorflow/tfjs', './fs'].map(touchesFiles)).toEqual(Array(5).fill(false))
  })
})

// TensorFlow.js runs only in the engine worker: what the main thread loads (Electron's main, web mode's server, the
// services, the store, the engine host's client side) reaches no tfjs module, following every import that is
// not type-only (types vanish at build time and load nothing).
describe('the main thread never loads TensorFlow.js', () => {
  const ENTRIES = ['main/index.ts', 'main/web/main.ts', 'main/services/studio.ts', 'main/engine-host/client/engineClient.ts']
  const valueImports = (file: string): string[] =>
    importSpecifiers(stripComments(readSource(file)).replace(/\bimport\s+type\s[^;]*?from\s*(['"])[^'"]+\1/g, ''))

  function loadedFrom(entry: string): Map<string, string> {
    const seen = new Map<string, string>() // module → who imported it
    const stack = [entry]
    while (stack.length) {
      const file = stack.pop()!
      for (const specifier of valueImports(file)) {
        const target = resolveRelative(file, specifier)
        const key = target ?? specifier
        if (seen.has(key)) continue
        seen.set(key, file)
        if (target && existsSync(join(ROOT, target))) stack.push(target)
      }
    }
    return seen
  }

  for (const entry of ENTRIES) {
    it(`${entry} reaches no @tensorflow module`, () => {
      expect(existsSync(join(ROOT, entry))).toBe(true)
      const loaded = loadedFrom(entry)
      const bad = [...loaded].filter(([m]) => m.startsWith('@tensorflow/') || m === 'main/engine/tf.ts')
      expect(bad.map(([m, by]) => `${by} → ${m}`)).toEqual([])
    })
  }
})
