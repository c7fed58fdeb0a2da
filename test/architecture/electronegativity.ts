// Electronegativity (Doyensec's static scanner for Electron's security checklist), run in this process and
// offline. Out of the box it makes two requests: its translations (a 1 s attempt, ignored when it fails) and, for
// AVAILABLE_SECURITY_FIXES_GLOBAL_CHECK, Electron's release list. Here `got`, its HTTP client, is replaced before
// the scanner loads by a stand-in that answers 404 from memory, so a scan sends nothing anywhere and gives the
// same answer on every machine; the check that needs the release list is left out by the caller.
import { mkdtempSync, rmSync, symlinkSync, mkdirSync } from 'node:fs'
import { createRequire, Module } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)

export interface Finding {
  check: string // e.g. 'AUXCLICK_JS_CHECK'
  file: string // as given to scan(), e.g. 'main/index.ts'
  line: number
  code: string // the line the finding points at, trimmed (for CSP findings: the policy)
  severity: string
  confidence: string
  description: string
}

export interface Scan {
  findings: Finding[]
  errors: { file: string; message: string }[] // files the scanner could not parse, so did not check
  atomicChecks: number
  globalChecks: number
  requests: string[] // what the scanner tried to fetch (answered by the stand-in)
}

interface Issue {
  id: string
  file: string
  location: { line: number }
  sample?: string
  severity: { name: string }
  confidence: { name: string }
  description: string
}

type Run = (options: Record<string, unknown>, forCli: boolean) => Promise<{
  globalChecks: number
  atomicChecks: number
  errors: { file: string; message: string }[]
  issues: Issue[]
}>

// Extensions the scanner reads (package.json and package-lock.json aside). Svelte components are read as HTML,
// their markup being where the HTML checks apply (webview, allowpopups, http: resources); ES module files under
// their own extensions would otherwise be skipped.
const READ_AS: Record<string, string> = { ts: '', js: '', html: '', mts: '.ts', cts: '.ts', mjs: '.js', cjs: '.js', svelte: '.html' }

/** Whether scan() reads this file, and so whether it belongs in the list given to it. */
export function scannable(file: string): boolean {
  return /(^|\/)package(-lock)?\.json$/.test(file) || (file.split('.').pop() ?? '') in READ_AS
}

const requests: string[] = []
let run: Run | undefined

function scanner(): Run {
  if (run) return run
  const root = dirname(require.resolve('@doyensec/electronegativity/package.json'))
  const got = require.resolve('got', { paths: [root] })
  const notFound = (url: unknown): Promise<{ statusCode: number; body: string; headers: Record<string, string> }> => {
    requests.push(String(url))
    return Promise.resolve({ statusCode: 404, body: '', headers: {} })
  }
  const standIn = new Module(got)
  standIn.filename = got
  standIn.loaded = true
  standIn.exports = Object.assign(notFound, { head: notFound, get: notFound })
  require.cache[got] = standIn
  run = require(join(root, 'dist', 'runner.js')) as Run
  return run
}

/**
 * Scans `files` (paths relative to `root`) together, as one app: the global checks (CSP, navigation,
 * permission handler) weigh what every file sets. `exclude` names checks by class, e.g.
 * 'AvailableSecurityFixesGlobalCheck'.
 */
export async function scan(root: string, files: string[], exclude: string[]): Promise<Scan> {
  // The scanner takes one folder and walks all of it, so it gets a folder of links to exactly these files,
  // each under a name whose extension it reads.
  const tree = mkdtempSync(join(tmpdir(), 'biggan-electronegativity-'))
  const original = new Map<string, string>()
  try {
    for (const file of files) {
      const ext = file.split('.').pop() ?? ''
      const link = /package(-lock)?\.json$/.test(file) ? file : file + (READ_AS[ext] ?? '')
      mkdirSync(dirname(join(tree, link)), { recursive: true })
      symlinkSync(join(root, file), join(tree, link))
      original.set(link, file)
    }
    const before = requests.length
    const result = await scanner()(
      { input: tree, isRelative: true, customScan: [], excludeFromScan: exclude.map((c) => c.toLowerCase()), parserPlugins: [] },
      false,
    )
    const name = (file: string): string => original.get(file) ?? original.get(file.split('\\').join('/')) ?? file
    return {
      findings: result.issues.map((issue) => ({
        check: issue.id,
        file: name(issue.file),
        line: issue.location.line,
        code: (issue.sample ?? '').trim(),
        severity: issue.severity.name,
        confidence: issue.confidence.name,
        description: issue.description,
      })),
      errors: result.errors.map((e) => ({ file: name(e.file.slice(tree.length + 1)), message: e.message })),
      atomicChecks: result.atomicChecks,
      globalChecks: result.globalChecks,
      requests: requests.slice(before),
    }
  } finally {
    rmSync(tree, { recursive: true, force: true })
  }
}
