// The catalogue is data: the bundled one lists every family of public BigGAN weights with its licence, citation and
// what was verified, and a broken catalogue is refused naming the entry and the field.
import { describe, expect, it } from 'vitest'
import { bundledCataloguePath, parseCatalogue, readCatalogue } from '../../main/download/catalogue'
import { defaultResourcesDir } from '../../main/disk/resources'
import { targetFromEntry, targetFromUrl } from '../../main/download/getModel'

describe('the bundled catalogue', () => {
  it('lists the released BigGAN weights of every public source, each with a licence, a citation and what was verified', async () => {
    const catalogue = await readCatalogue(bundledCataloguePath(defaultResourcesDir()))
    const names = catalogue.models.map((m) => m.name)
    for (const name of ['biggan-deep-128', 'biggan-deep-256', 'biggan-deep-512', 'tfhub-biggan-128', 'tfhub-biggan-256', 'tfhub-biggan-512',
      'tfhub-biggan-deep-128', 'tfhub-biggan-deep-256', 'tfhub-biggan-deep-512', 'biggan-pytorch-138k']) {
      expect(names).toContain(name)
    }
    expect(catalogue.models.some((m) => m.family === 'studiogan')).toBe(true)
    for (const m of catalogue.models) {
      expect(m.licence.length).toBeGreaterThan(0)
      expect(m.citation).toMatch(/arXiv/)
      expect(m.verified.length).toBeGreaterThan(20)
    }
  })

  it('says how to get weights that cannot be fetched directly', async () => {
    const catalogue = await readCatalogue(bundledCataloguePath(defaultResourcesDir()))
    const manual = catalogue.models.find((m) => m.name === 'biggan-pytorch-138k')!
    expect(() => targetFromEntry(manual)).toThrow(/cannot be downloaded directly: Google Drive .* \(https:\/\/drive\.google\.com\//)
  })
})

describe('a broken catalogue', () => {
  const entry = {
    name: 'm', title: 't', family: 'biggan-pytorch', arch: 'biggan', resolution: 32, classes: 10,
    files: [{ name: 'G_ema.pth', urls: ['http://127.0.0.1/G_ema.pth'] }],
    homepage: 'h', licence: 'l', citation: 'c', verified: 'v',
  }
  const text = (models: unknown[]): string => JSON.stringify({ format: 'biggan-studio-catalogue', version: 1, models })

  it('is refused naming the entry and the field', () => {
    expect(() => parseCatalogue(text([{ ...entry, files: [{ name: '../G.pth', urls: ['http://x/'] }] }]), 'c.json'))
      .toThrow(/c\.json: models\[0\]\.files\[0\]\.name must be a plain file name/)
    expect(() => parseCatalogue(text([{ ...entry, files: [{ name: 'G.pth', urls: ['file:///etc/passwd'] }] }]), 'c.json'))
      .toThrow(/models\[0\]\.files\[0\]\.urls\[0\] must be an http\(s\) address/)
    expect(() => parseCatalogue(text([{ ...entry, files: [{ name: 'G.pth', urls: ['http://x/'], sha256: 'abc' }] }]), 'c.json'))
      .toThrow(/sha256 must be 64 hex digits/)
    expect(() => parseCatalogue(text([entry, entry]), 'c.json')).toThrow(/model "m" is listed twice/)
    expect(() => parseCatalogue('{', 'c.json')).toThrow(/c\.json is not JSON/)
  })

  it('accepts a well-formed entry', () => {
    expect(parseCatalogue(text([entry]), 'c.json').models[0].files[0].name).toBe('G_ema.pth')
  })
})

describe('an address as the target', () => {
  it('names the file after the address and refuses other schemes', () => {
    expect(targetFromUrl('https://example.org/w/G_ema.pth?x=1').files[0].name).toBe('G_ema.pth')
    expect(targetFromUrl('https://example.org/w/..%2F..%2Fevil.pth').files[0].name).toBe('evil.pth')
    expect(() => targetFromUrl('ftp://example.org/G.pth')).toThrow(/only http and https/)
  })
})
