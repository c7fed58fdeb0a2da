// Electronegativity's static scan of the app's code against Electron's security checklist. Every finding must be
// in the reviewed accept-list (electronegativity-accepted.json, each with its reason), and every entry there must
// still match a finding, so that a new finding fails here and a fixed one leaves no stale acceptance behind.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { scan, scannable, type Finding, type Scan } from './electronegativity.ts'
import { readSource, ROOT } from './imports.ts'

interface AcceptList {
  excludedChecks: { check: string; reason: string }[]
  accepted: { check: string; file: string; code: string; reason: string }[]
}

const LIST = JSON.parse(readSource('test/architecture/electronegativity-accepted.json')) as AcceptList
const EXCLUDED = LIST.excludedChecks.map((e) => e.check)

// What the packaged app runs: main/, preload/ and renderer/ (built into out/), and package.json, whose scripts
// and Electron version the scanner reads (package-lock.json with it, as one more source of the version).
function appFiles(): string[] {
  return ['main', 'preload', 'renderer']
    .flatMap((dir) => readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' }).map((f) => `${dir}/${f.split('\\').join('/')}`))
    .concat(['package.json', 'package-lock.json'])
    .filter(scannable)
    .sort()
}

const show = (f: Finding): string =>
  `${JSON.stringify({ check: f.check, file: f.file, code: f.code, reason: '' })}  (line ${f.line}, ${f.severity}/${f.confidence}: ${f.description})`

describe('electronegativity (static scan for Electron security anti-patterns)', () => {
  let app: Scan | undefined
  const appScan = async (): Promise<Scan> => (app ??= await scan(ROOT, appFiles(), EXCLUDED))

  it('finds what it should in code that breaks the checklist (the scanner works here, offline)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'biggan-insecure-'))
    try {
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ devDependencies: { electron: '41.7.1' } }))
      writeFileSync(
        join(dir, 'main.ts'),
        [
          "import { BrowserWindow, shell } from 'electron'",
          'const win = new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false } })',
          'export const open = (url: string): Promise<void> => shell.openExternal(url)',
        ].join('\n'),
      )
      writeFileSync(join(dir, 'View.svelte'), '<script lang="ts">\n  let n = 1\n</script>\n\n<webview src="https://example.com" allowpopups></webview>\n<p>{n}</p>\n')
      const result = await scan(dir, ['package.json', 'main.ts', 'View.svelte'], EXCLUDED)
      expect(result.errors).toEqual([])
      const found = result.findings.map((f) => `${f.check} ${f.file}`)
      for (const expected of [
        'NODE_INTEGRATION_JS_CHECK main.ts',
        'CONTEXT_ISOLATION_JS_CHECK main.ts',
        'SANDBOX_JS_CHECK main.ts',
        'OPEN_EXTERNAL_JS_CHECK main.ts',
        'ALLOWPOPUPS_HTML_CHECK View.svelte',
        // The checks over the whole app, which the studio passes: no CSP, no will-navigate handler, no
        // permission request handler anywhere.
        'CSP_GLOBAL_CHECK N/A',
        'LIMIT_NAVIGATION_GLOBAL_CHECK N/A',
        'PERMISSION_REQUEST_HANDLER_GLOBAL_CHECK N/A',
      ]) {
        expect(found).toContain(expected)
      }
      // Its only request, for translations, went to the stand-in; the release list was never asked for.
      expect(result.requests.every((url) => !url.includes('electron/releases'))).toBe(true)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("parses every file of the app with all of the pinned version's checks but the excluded one", async () => {
    const result = await appScan()
    // Each file the scanner cannot parse is a file it did not check.
    expect(result.errors).toEqual([])
    // @doyensec/electronegativity 1.10.3 has 36 checks per file and 6 over the whole app; one is excluded.
    expect(result.atomicChecks).toBe(36)
    expect(result.globalChecks).toBe(6 - EXCLUDED.length)
    expect(appFiles()).toContain('main/index.ts')
    expect(appFiles()).toContain('preload/index.ts')
    expect(appFiles()).toContain('renderer/index.html')
    expect(appFiles().filter((f) => f.endsWith('.svelte')).length).toBeGreaterThan(0)
  })

  it('reports nothing beyond the reviewed accept-list, and every accepted finding is still there', async () => {
    const unmatched = [...LIST.accepted]
    const fresh: Finding[] = []
    for (const finding of (await appScan()).findings) {
      const i = unmatched.findIndex((a) => a.check === finding.check && a.file === finding.file && a.code === finding.code)
      if (i < 0) fresh.push(finding)
      else unmatched.splice(i, 1)
    }
    expect({
      // Fix each, or review it and add the line printed here, with its reason, to the accept-list.
      newFindings: fresh.map(show),
      // No finding matches these any more: remove them from the accept-list.
      staleAcceptances: unmatched.map((a) => `${a.check} ${a.file}: ${a.code}`),
    }).toEqual({ newFindings: [], staleAcceptances: [] })
  })

  it('has a reason for every accepted finding and every excluded check', () => {
    for (const entry of [...LIST.accepted, ...LIST.excludedChecks]) expect(entry.reason.trim().length, JSON.stringify(entry)).toBeGreaterThan(40)
  })

  it('is not silenced in the code: the accept-list is the one place a finding is accepted', () => {
    // The scanner drops findings on lines (or in files) marked `eng-disable CHECK`.
    const marked = appFiles().filter((f) => /eng-disable/i.test(readFileSync(join(ROOT, f), 'utf8')))
    expect(marked).toEqual([])
  })
})
