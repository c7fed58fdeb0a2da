// The downloader against a local server that misbehaves the ways real ones do: every file ends verified under its
// real name or not at all, an interruption keeps what arrived and the next try resumes it with Range, and each
// failure says what happened.
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { downloadFile } from '../../main/download/download'
import { DownloadError } from '../../main/download/errors'
import { redirectAllowed } from '../../main/download/http'
import { bytesOf, startServer, type TestServer } from './server'

const FILE = bytesOf(200_000)
const SHA = createHash('sha256').update(FILE).digest('hex')

let server: TestServer
let dir: string

beforeAll(async () => {
  server = await startServer()
})
afterAll(() => server.close())
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'biggan-download-'))
  server.routes.clear()
  server.log.length = 0
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

async function failure(p: Promise<unknown>): Promise<DownloadError> {
  const err = await p.then(() => null, (e: unknown) => e)
  expect(err).toBeInstanceOf(DownloadError)
  return err as DownloadError
}

const sha256Of = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex')

describe('downloading a file', () => {
  it('verifies the sha256 and only then gives the file its name, with no partial file left', async () => {
    server.routes.set('/m.bin', { body: FILE })
    const progress: number[] = []
    const got = await downloadFile(dir, { name: 'm.bin', urls: [server.url('/m.bin')], size: FILE.length, sha256: SHA }, {
      onProgress: (p) => p.phase === 'download' && progress.push(p.done),
    })
    expect(got).toMatchObject({ size: FILE.length, sha256: SHA, verified: true })
    expect(sha256Of(join(dir, 'm.bin'))).toBe(SHA)
    expect(readdirSync(dir)).toEqual(['m.bin'])
    expect(progress.at(-1)).toBe(FILE.length)
  })

  it('resumes an interrupted transfer with a Range request from where the partial file stops', async () => {
    server.routes.set('/m.bin', { body: FILE, cutAfter: 50_000 })
    const file = { name: 'm.bin', urls: [server.url('/m.bin')], size: FILE.length, sha256: SHA }
    const first = await failure(downloadFile(dir, file))
    expect(first.code).toBe('interrupted')
    expect(first.message).toMatch(/partial file is kept/)
    expect(existsSync(join(dir, 'm.bin'))).toBe(false)
    expect(statSync(join(dir, 'm.bin.part')).size).toBe(50_000)
    const sidecar = JSON.parse(readFileSync(join(dir, 'm.bin.part.json'), 'utf8'))
    expect(sidecar).toMatchObject({ url: server.url('/m.bin'), size: FILE.length, sha256: SHA, etag: `"v1-${FILE.length}"` })

    const notes: string[] = []
    await downloadFile(dir, file, { onNote: (n) => notes.push(n) })
    expect(server.log).toContain('GET /m.bin bytes=50000-')
    expect(notes.join('\n')).toMatch(/resuming m\.bin at 50000 bytes/)
    expect(sha256Of(join(dir, 'm.bin'))).toBe(SHA)
    expect(readdirSync(dir)).toEqual(['m.bin'])
  })

  it('starts again from the first byte when the server ignores Range', async () => {
    server.routes.set('/m.bin', { body: FILE, cutAfter: 70_000, ignoreRange: true })
    const file = { name: 'm.bin', urls: [server.url('/m.bin')], sha256: SHA }
    expect((await failure(downloadFile(dir, file))).code).toBe('interrupted')
    const notes: string[] = []
    await downloadFile(dir, file, { onNote: (n) => notes.push(n) })
    expect(notes.join('\n')).toMatch(/did not resume m\.bin/)
    expect(sha256Of(join(dir, 'm.bin'))).toBe(SHA)
  })

  it('starts again when the file changed on the server since the partial download (If-Range)', async () => {
    const old = bytesOf(FILE.length, 7)
    server.routes.set('/m.bin', { body: old, cutAfter: 30_000 })
    const file = { name: 'm.bin', urls: [server.url('/m.bin')] }
    await failure(downloadFile(dir, file))
    server.routes.set('/m.bin', { body: FILE, etag: '"v2"' })
    const got = await downloadFile(dir, file)
    expect(got.sha256).toBe(SHA)
    expect(got.verified).toBe(false)
  })

  it('does not fetch a file that is already here and verified', async () => {
    server.routes.set('/m.bin', { body: FILE })
    writeFileSync(join(dir, 'm.bin'), FILE)
    const got = await downloadFile(dir, { name: 'm.bin', urls: [server.url('/m.bin')], sha256: SHA })
    expect(got.verified).toBe(true)
    expect(server.log).toEqual([])
  })

  it('follows a redirect to the file', async () => {
    server.routes.set('/moved', { redirect: '/m.bin' })
    server.routes.set('/m.bin', { body: FILE })
    const got = await downloadFile(dir, { name: 'm.bin', urls: [server.url('/moved')], sha256: SHA })
    expect(got.sha256).toBe(SHA)
    expect(server.log).toEqual(['GET /moved', 'GET /m.bin'])
  })

  it('tries the next address where the first is missing', async () => {
    server.routes.set('/m.bin', { body: FILE })
    const got = await downloadFile(dir, { name: 'm.bin', urls: [server.url('/gone'), server.url('/m.bin')], sha256: SHA })
    expect(got.verified).toBe(true)
  })
})

describe('a download that fails says why, and keeps only what can be resumed', () => {
  it('names a 404 as a missing file', async () => {
    const err = await failure(downloadFile(dir, { name: 'm.bin', urls: [server.url('/nothing')] }))
    expect(err.code).toBe('http')
    expect(err.message).toMatch(/answered 404 .*not there/)
    expect(readdirSync(dir)).toEqual([])
  })

  it('names a 500 as a server failure and keeps the partial file', async () => {
    server.routes.set('/m.bin', { body: FILE, cutAfter: 10_000 })
    const file = { name: 'm.bin', urls: [server.url('/m.bin')] }
    await failure(downloadFile(dir, file))
    server.routes.set('/m.bin', { status: 500 })
    const err = await failure(downloadFile(dir, file))
    expect(err.message).toMatch(/answered 500 .*server failed; try again later/)
    expect(statSync(join(dir, 'm.bin.part')).size).toBe(10_000)
  })

  it('refuses a file whose size is not the catalogue\'s before downloading it', async () => {
    server.routes.set('/m.bin', { body: FILE })
    const err = await failure(downloadFile(dir, { name: 'm.bin', urls: [server.url('/m.bin')], size: FILE.length + 5 }))
    expect(err.code).toBe('size')
    expect(err.message).toMatch(new RegExp(`serves ${FILE.length} bytes for m\\.bin, but the catalogue expects ${FILE.length + 5}`))
    expect(existsSync(join(dir, 'm.bin'))).toBe(false)
  })

  it('removes a file that runs past its expected size', async () => {
    server.routes.set('/m.bin', { body: FILE, chunked: true })
    const err = await failure(downloadFile(dir, { name: 'm.bin', urls: [server.url('/m.bin')], size: 1000 }))
    expect(err.code).toBe('size')
    expect(err.message).toMatch(/more than the 1000 bytes expected.*removed/)
    expect(readdirSync(dir)).toEqual([])
  })

  it('removes a whole file whose sha256 is wrong, and never names it as finished', async () => {
    server.routes.set('/m.bin', { body: FILE })
    const err = await failure(downloadFile(dir, { name: 'm.bin', urls: [server.url('/m.bin')], sha256: '0'.repeat(64) }))
    expect(err.code).toBe('hash')
    expect(err.message).toContain(`its sha256 is ${SHA}, not the catalogue's ${'0'.repeat(64)}`)
    expect(readdirSync(dir)).toEqual([])
  })

  it('says the server cannot be reached when nothing listens', async () => {
    const port = await freePort()
    const err = await failure(downloadFile(dir, { name: 'm.bin', urls: [`http://127.0.0.1:${port}/m.bin`] }))
    expect(err.code).toBe('offline')
    expect(err.message).toMatch(new RegExp(`cannot reach 127\\.0\\.0\\.1:${port} \\(the connection was refused, ECONNREFUSED\\)`))
  })

  it('gives up on a server that stops sending, keeping what arrived', async () => {
    server.routes.set('/m.bin', { body: FILE, stall: true })
    const err = await failure(downloadFile(dir, { name: 'm.bin', urls: [server.url('/m.bin')] }, { idleTimeoutMs: 300 }))
    expect(err.code).toBe('interrupted')
    expect(existsSync(join(dir, 'm.bin.part'))).toBe(true)
  })

  it('stops when cancelled, keeping the partial file for the next try', async () => {
    server.routes.set('/m.bin', { body: FILE, stall: true })
    const abort = new AbortController()
    const p = downloadFile(dir, { name: 'm.bin', urls: [server.url('/m.bin')] }, {
      signal: abort.signal,
      onProgress: () => abort.abort(),
    })
    const err = await failure(p)
    expect(err.code).toBe('cancelled')
    expect(statSync(join(dir, 'm.bin.part')).size).toBe(1)
  })

  it('writes nothing outside the download folder, whatever the name', async () => {
    for (const name of ['../m.bin', '/etc/m.bin', '..', '.hidden', 'a/b.bin']) {
      const err = await failure(downloadFile(join(dir, 'inner'), { name, urls: [server.url('/m.bin')] }))
      expect(err.code).toBe('path')
    }
    expect(readdirSync(dir)).toEqual([])
    expect(server.log).toEqual([])
  })
})

describe('redirects', () => {
  it('follow the same scheme or go up to https, never down from https to http or to another scheme', () => {
    const u = (s: string): URL => new URL(s)
    expect(redirectAllowed(u('http://a/x'), u('http://b/y'))).toBe(true)
    expect(redirectAllowed(u('http://a/x'), u('https://b/y'))).toBe(true)
    expect(redirectAllowed(u('https://a/x'), u('https://b/y'))).toBe(true)
    expect(redirectAllowed(u('https://a/x'), u('http://a/x'))).toBe(false)
    expect(redirectAllowed(u('http://a/x'), u('file:///etc/passwd'))).toBe(false)
    expect(redirectAllowed(u('https://a/x'), u('ftp://a/x'))).toBe(false)
  })

  it('to another scheme end the download with a redirect error', async () => {
    server.routes.set('/m.bin', { redirect: 'file:///etc/passwd' })
    const err = await failure(downloadFile(dir, { name: 'm.bin', urls: [server.url('/m.bin')] }))
    expect(err.code).toBe('redirect')
    expect(readdirSync(dir)).toEqual([])
  })
})

async function freePort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
  const port = (s.address() as { port: number }).port
  await new Promise<void>((resolve) => s.close(() => resolve()))
  return port
}
