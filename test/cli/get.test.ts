// `biggan get` end to end against a catalogue whose addresses are a server on 127.0.0.1 serving the BigGAN-PyTorch
// fixture: it downloads, verifies, imports; an interrupted download fails with a message and the next run resumes
// it; a wrong hash imports nothing.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FIXTURE_FILES, fixtureBytes, fixtureSha, serveFixture, writeFixtureCatalogue } from '../download/catalogueFile'
import { startServer, type TestServer } from '../download/server'
import { biggan } from './inProcess'

let server: TestServer
let work: string

const catalogue = (sha: (name: string) => string): string =>
  writeFixtureCatalogue(join(work, `catalogue-${Math.random().toString(36).slice(2)}.json`), server, 'tiny-biggan', sha)
const bytes = fixtureBytes
const realSha = fixtureSha

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'biggan-get-'))
  server = await startServer()
  serveFixture(server)
})
afterAll(async () => {
  await server.close()
  rmSync(work, { recursive: true, force: true })
})

describe('biggan get', () => {
  it('downloads a catalogue entry, checks every sha256 and imports it into a model folder', async () => {
    const out = join(work, 'model')
    const r = await biggan('get', 'tiny-biggan', '--out', out, '--catalogue', catalogue(realSha))
    expect(r.err).not.toMatch(/error/)
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/tiny-biggan: 3 files, 6\.\d+ MB/)
    expect(r.out).toContain(`sha256 ${realSha('G_ema.pth')} (matches the catalogue)`)
    expect(r.out).toContain('imported biggan-pytorch')
    expect(readdirSync(join(out, 'download')).sort()).toEqual([...FIXTURE_FILES].sort())
    expect(existsSync(join(out, 'config.json'))).toBe(true)
  })

  it('fails on an interrupted download, keeping it, and resumes it on the next run', async () => {
    server.routes.set('/G_ema.pth', { body: bytes('G_ema.pth'), cutAfter: 1_000_000 })
    const out = join(work, 'resumed')
    const file = catalogue(realSha)
    const first = await biggan('get', 'tiny-biggan', '--out', out, '--catalogue', file)
    expect(first.code).toBe(1)
    expect(first.err).toMatch(/the connection closed during G_ema\.pth at \d+ bytes: the partial file is kept; run the download again to resume/)
    const kept = statSync(join(out, 'download', 'G_ema.pth.part')).size
    expect(kept).toBeGreaterThan(0)
    server.log.length = 0
    const second = await biggan('get', 'tiny-biggan', '--out', out, '--catalogue', file)
    expect(second.code).toBe(0)
    expect(second.out).toMatch(/already here: the download resumes\)/)
    expect(server.log).toContain(`GET /G_ema.pth bytes=${kept}-`)
    expect(second.out).toContain('imported biggan-pytorch')
  })

  it('imports nothing when a file arrives with the wrong sha256', async () => {
    const out = join(work, 'wrong')
    const r = await biggan('get', 'tiny-biggan', '--out', out, '--catalogue', catalogue((n) => (n === 'D.pth' ? 'f'.repeat(64) : realSha(n))))
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/D\.pth arrived whole but its sha256 is [0-9a-f]{64}, not the catalogue's f{64}: .*removed and nothing was imported/)
    expect(existsSync(join(out, 'config.json'))).toBe(false)
    expect(readdirSync(join(out, 'download'))).not.toContain('D.pth')
  })

  it('names what the catalogue lists when the name is not in it', async () => {
    const r = await biggan('get', 'no-such-model', '--out', join(work, 'x'), '--catalogue', catalogue(realSha))
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/no model "no-such-model" in the catalogue .*; it lists: tiny-biggan/)
  })

  it('lists the bundled catalogue', async () => {
    const r = await biggan('get', '--list')
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/biggan-deep-128 +biggan-deep-128, 1000 classes/)
    expect(r.out).toMatch(/biggan-pytorch-138k +biggan-128, 1000 classes, manual download/)
  })
})
