// What the end-to-end tests share: the built studio in web mode as a child process (its real engine worker,
// library and renderer), and Debian's Chromium driven by playwright-core (which never downloads a browser).
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'

export const ROOT = resolve(import.meta.dirname, '../..')
/** Screenshots of each view: the tests' artefacts (gitignored). */
export const ARTEFACTS = join(ROOT, 'test-artifacts', 'e2e')

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']

/** The Chromium to drive, or null. CI (BIGGAN_REQUIRE_E2E=1) must have one; elsewhere the suite skips, saying so. */
export function chromiumPath(): string | null {
  const found = CANDIDATES.find((c): c is string => typeof c === 'string' && existsSync(c)) ?? null
  if (!found && process.env.BIGGAN_REQUIRE_E2E === '1') {
    throw new Error('the end-to-end tests need Chromium: apt-get install chromium (or set CHROMIUM_PATH)')
  }
  if (!found) console.warn('end-to-end tests skipped: no Chromium (apt-get install chromium, or set CHROMIUM_PATH)')
  return found
}

export function builtStudio(): string {
  const web = join(ROOT, 'out', 'main', 'web.js')
  if (!existsSync(web) || !existsSync(join(ROOT, 'out', 'renderer', 'index.html'))) {
    throw new Error('the studio is not built: run `npm run build` (npm test builds it first)')
  }
  return web
}

export interface WebStudio {
  url: string
  port: number
  token: string
  /** what the server printed */
  output(): string
  stop(): Promise<number | null>
}

/** Starts web mode on a free port with its app data in `dataDir`, and waits until it serves. */
export async function startWebStudio(dataDir: string, extra: string[] = []): Promise<WebStudio> {
  mkdirSync(dataDir, { recursive: true })
  const ready = join(dataDir, `ready-${process.pid}-${Date.now()}.json`)
  let output = ''
  const child: ChildProcess = spawn(process.execPath, [builtStudio(), '--port', '0', '--data', dataDir, '--ready-file', ready, ...extra], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BIGGAN_BACKEND: process.env.BIGGAN_BACKEND ?? 'wasm' },
  })
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
  for (let waited = 0; !existsSync(ready); waited += 100) {
    if (child.exitCode !== null) throw new Error(`web mode exited with ${child.exitCode} before serving:\n${output}`)
    if (waited > 120_000) {
      child.kill('SIGKILL')
      throw new Error(`web mode did not start within 120 s:\n${output}`)
    }
    await sleep(100)
  }
  const { url, port, token } = JSON.parse(readFileSync(ready, 'utf8')) as { url: string; port: number; token: string }
  return {
    url,
    port,
    token,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}

export async function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({
    executablePath,
    headless: true,
    // what a root sandbox on a closed network needs (env/machines/node.md)
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
}

/** A 1280-px-wide page on the studio, with page errors and console errors collected into `problems`; resolves once
 *  the model header shows (the default model opened). */
export async function openStudioPage(browser: Browser, studio: WebStudio, problems: string[], height = 900): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height } })
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`))
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`)
  })
  await page.goto(studio.url)
  await page.getByTestId('model-name').waitFor({ timeout: 90_000 })
  return page
}

export interface StudioInChromium {
  /** the test's temporary folder: the studio's app data is in app/ */
  work: string
  studio: WebStudio
  browser: Browser
  page: Page
  /** the page's errors and console errors */
  problems: string[]
}

/** One studio for a describe block: before its tests, a temporary folder (`prepare` may write inputs into it), web
 *  mode with its app data there, Chromium and a page on the studio (see openStudioPage); after them, all closed and
 *  the folder removed. The fields are set once the tests run. */
export function studioInChromium(executablePath: string, prefix: string, prepare?: (work: string) => void | Promise<void>): StudioInChromium {
  const e2e = { problems: [] as string[] } as StudioInChromium
  beforeAll(async () => {
    e2e.work = mkdtempSync(join(tmpdir(), prefix))
    await prepare?.(e2e.work)
    e2e.studio = await startWebStudio(join(e2e.work, 'app'))
    e2e.browser = await launchChromium(executablePath)
    e2e.page = await openStudioPage(e2e.browser, e2e.studio, e2e.problems)
  })
  afterAll(async () => {
    await e2e.browser?.close()
    await e2e.studio?.stop()
    if (e2e.work) rmSync(e2e.work, { recursive: true, force: true })
  })
  return e2e
}
