// Reads the import specifiers of a source file, for the architecture fences. A scanner, not a parser: comments
// are removed first (string literals kept intact), then static, side-effect, dynamic and require imports are
// matched. Type-only imports count too: a fence is about what a layer may know, not only what it loads.
import { readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, relative, resolve, dirname, sep } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '../..')

const SOURCE = /\.(ts|mts|cts|js|mjs|cjs|svelte)$/

// Repository-relative paths (with '/') of the source files under `dir`.
export function sourceFiles(dir: string): string[] {
  const out: string[] = []
  const walk = (abs: string): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const path = join(abs, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (SOURCE.test(entry.name)) out.push(relative(ROOT, path).split(sep).join('/'))
    }
  }
  try {
    walk(join(ROOT, dir))
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
  return out
}

export function stripComments(code: string): string {
  let out = ''
  let i = 0
  while (i < code.length) {
    const c = code[i]
    if (c === '/' && code[i + 1] === '/') {
      while (i < code.length && code[i] !== '\n') i++
    } else if (c === '/' && code[i + 1] === '*') {
      const end = code.indexOf('*/', i + 2)
      i = end < 0 ? code.length : end + 2
    } else if (c === '<' && code.startsWith('<!--', i)) {
      const end = code.indexOf('-->', i + 4)
      i = end < 0 ? code.length : end + 3
    } else if (c === "'" || c === '"' || c === '`') {
      let j = i + 1
      while (j < code.length && code[j] !== c) j += code[j] === '\\' ? 2 : 1
      out += code.slice(i, j + 1)
      i = j + 1
    } else {
      out += c
      i++
    }
  }
  return out
}

const PATTERNS = [
  /\b(?:import|export)\s[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1/g, // import x from 'a', export { y } from 'a'
  /\bimport\s*(['"])([^'"]+)\1/g, // import 'a'
  /\b(?:import|require)\s*\(\s*(['"])([^'"]+)\1\s*\)/g, // import('a'), require('a')
]

export function importSpecifiers(code: string): string[] {
  const clean = stripComments(code)
  const found = new Set<string>()
  for (const pattern of PATTERNS) for (const m of clean.matchAll(pattern)) found.add(m[2])
  return [...found]
}

// A relative specifier as a repository-relative path (without guessing extensions); bare ones come back as null.
export function resolveRelative(fromFile: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null
  return relative(ROOT, resolve(ROOT, dirname(fromFile), specifier)).split(sep).join('/')
}

export function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0])
}

export function readSource(file: string): string {
  return readFileSync(join(ROOT, file), 'utf8')
}
