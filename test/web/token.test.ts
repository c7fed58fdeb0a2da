// Web mode's token is the data folder's: a server started again on the same folder accepts the pages still open on
// it, the file is private to its user, and --new-token replaces it.
import { mkdtempSync, readFileSync, rmSync, statSync, chmodSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { dataFolderToken, TOKEN_FILE } from '../../main/web/token.ts'
import { TOKEN_PAGE_CSP, TOKEN_PAGE_HTML } from '../../main/web/tokenPage.ts'
import { startWebServer } from '../../main/web/server.ts'
import { fakeRendererDir, fakeStudio, http, openSocket } from './helpers.ts'

const folders: string[] = []
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function dataFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'biggan-token-'))
  folders.push(dir)
  return dir
}

describe("web mode's token", () => {
  it('keeps one token per data folder, in a file only its user can read', () => {
    const dir = dataFolder()
    const first = dataFolderToken(dir)
    expect(first.created).toBe(true)
    expect(first.token).toMatch(/^[0-9a-f]{64}$/)
    expect(dataFolderToken(dir)).toEqual({ token: first.token, created: false })
    expect(readFileSync(join(dir, TOKEN_FILE), 'utf8').trim()).toBe(first.token)
    if (process.platform !== 'win32') expect(statSync(join(dir, TOKEN_FILE)).mode & 0o777).toBe(0o600)
    expect(dataFolderToken(dataFolder()).token).not.toBe(first.token)
  })

  it('makes a kept token file private again, and replaces one that holds no token', () => {
    const dir = dataFolder()
    const { token } = dataFolderToken(dir)
    chmodSync(join(dir, TOKEN_FILE), 0o644)
    expect(dataFolderToken(dir).token).toBe(token)
    if (process.platform !== 'win32') expect(statSync(join(dir, TOKEN_FILE)).mode & 0o777).toBe(0o600)
    writeFileSync(join(dir, TOKEN_FILE), 'short\n')
    const replaced = dataFolderToken(dir)
    expect(replaced.created).toBe(true)
    expect(replaced.token).toMatch(/^[0-9a-f]{64}$/)
  })

  it('rotates on request: the new token replaces the kept one', () => {
    const dir = dataFolder()
    const { token } = dataFolderToken(dir)
    const rotated = dataFolderToken(dir, { rotate: true })
    expect(rotated.token).not.toBe(token)
    expect(dataFolderToken(dir).token).toBe(rotated.token)
  })

  it('lets a page of the old server reconnect to a server started again on the same data folder', async () => {
    const dir = dataFolder()
    const files = fakeRendererDir()
    try {
      const studio = fakeStudio()
      const start = (port = 0) =>
        startWebServer({ port, token: dataFolderToken(dir).token, rendererDir: files.rendererDir, router: studio.router, subscribe: studio.subscribe })
      const before = await start()
      const pageToken = before.token
      await before.close()
      const after = await start(before.port)
      try {
        const ws: WebSocket = await openSocket(after.port, { token: pageToken })
        ws.terminate()
        expect((await http(after.port, `/?token=${pageToken}`)).status).toBe(200)
      } finally {
        await after.close()
      }
    } finally {
      files.remove()
    }
  })
})

describe("the token page's own styling", () => {
  it('is admitted by its policy (a hash of its one style element), and nothing else may load', () => {
    const style = /<style>([^<]*)<\/style>/.exec(TOKEN_PAGE_HTML)?.[1]
    expect(style).toBeTruthy()
    const hash = createHash('sha256').update(style!, 'utf8').digest('base64')
    expect(TOKEN_PAGE_CSP).toContain(`style-src 'sha256-${hash}'`)
    expect(TOKEN_PAGE_CSP).toContain("default-src 'none'")
    // style attributes are blocked by a hash-only style-src: the page must not rely on one
    expect(TOKEN_PAGE_HTML).not.toMatch(/\sstyle=/)
  })

  it('is what the server answers to an address without its token', async () => {
    const files = fakeRendererDir()
    const studio = fakeStudio()
    const server = await startWebServer({ rendererDir: files.rendererDir, router: studio.router, subscribe: studio.subscribe })
    try {
      const answer = await http(server.port, '/')
      expect(answer.status).toBe(403)
      expect(answer.headers['content-security-policy']).toBe(TOKEN_PAGE_CSP)
      expect(answer.body).toBe(TOKEN_PAGE_HTML)
    } finally {
      await server.close()
      files.remove()
    }
  })
})
