// A catalogue for the tests: the BigGAN-PyTorch fixture (test/fixtures/biggan-pytorch) as a model whose files a
// local test server serves.
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { TestServer } from './server'

export const FIXTURE_DIR = resolve(import.meta.dirname, '../fixtures/biggan-pytorch')
export const FIXTURE_FILES = ['config.json', 'G_ema.pth', 'D.pth']

export const fixtureBytes = (name: string): Buffer => readFileSync(join(FIXTURE_DIR, name))
export const fixtureSha = (name: string): string => createHash('sha256').update(fixtureBytes(name)).digest('hex')

/** Serves the fixture's files at /NAME. */
export function serveFixture(server: TestServer): void {
  for (const name of FIXTURE_FILES) server.routes.set(`/${name}`, { body: fixtureBytes(name) })
}

/** Writes a catalogue listing the fixture as `model` (served by `server`) to `file`; `sha` gives each file's hash. */
export function writeFixtureCatalogue(file: string, server: TestServer, model = 'tiny-biggan', sha: (name: string) => string = fixtureSha): string {
  writeFileSync(file, JSON.stringify({
    format: 'biggan-studio-catalogue',
    version: 1,
    models: [{
      name: model, title: 'the BigGAN-PyTorch test fixture', family: 'biggan-pytorch', arch: 'biggan', resolution: 128, classes: 1000,
      files: FIXTURE_FILES.map((name) => ({ name, urls: [server.url(`/${name}`)], sha256: sha(name) })),
      homepage: 'test/fixtures/biggan-pytorch', licence: 'test fixture', citation: 'arXiv:1809.11096', verified: 'served by the test',
    }],
  }))
  return file
}
