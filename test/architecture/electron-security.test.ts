// The Electron window's security settings, checked in the source (no Electron binary runs here). The renderer
// side (no require, no navigation, no window.open) needs a running app and is a later E2E test.
import { describe, expect, it } from 'vitest'
import { readSource, stripComments } from './imports.ts'

// Comments removed: they may name a setting to explain why it is absent.
const main = stripComments(readSource('main/index.ts'))

function mainCsp(): string {
  const block = /const CSP =([\s\S]*?)\n\n/.exec(main)?.[1] ?? ''
  return [...block.matchAll(/"([^"]*)"/g)].map((m) => m[1]).join('')
}

function metaCsp(): string {
  const html = readSource('renderer/index.html')
  return /http-equiv="Content-Security-Policy"\s+content="([^"]*)"/.exec(html)?.[1] ?? ''
}

describe("Electron security settings (Electron's own security checklist)", () => {
  it('creates the window isolated, sandboxed, without Node and with web security', () => {
    for (const setting of ['contextIsolation: true', 'sandbox: true', 'nodeIntegration: false', 'webSecurity: true']) {
      expect(main).toContain(setting)
    }
    for (const unsafe of [
      'contextIsolation: false',
      'sandbox: false',
      'nodeIntegration: true',
      'webSecurity: false',
      'allowRunningInsecureContent',
      'experimentalFeatures',
      'enableBlinkFeatures',
      'bypassCSP',
    ]) {
      expect(main).not.toContain(unsafe)
    }
  })

  it('blocks navigation, new windows and webviews, and denies permissions', () => {
    expect(main).toContain("contents.on('will-navigate', (event) => event.preventDefault())")
    expect(main).toContain("setWindowOpenHandler(() => ({ action: 'deny' }))")
    expect(main).toContain("contents.on('will-attach-webview', (event) => event.preventDefault())")
    expect(main).toContain('setPermissionRequestHandler((_contents, _permission, callback) => callback(false))')
    expect(main).toContain('requestSingleInstanceLock()')
  })

  it('sends the same strict CSP as the page declares, with no inline or eval scripts', () => {
    const csp = mainCsp()
    expect(csp).toBe(metaCsp())
    expect(csp).toContain("default-src 'self'")
    expect(csp).toContain("script-src 'self';")
    expect(csp).toContain("object-src 'none'")
    expect(csp).not.toContain('unsafe-eval')
    expect(csp).not.toContain('unsafe-inline')
  })

  it('loads a CommonJS preload, which is what lets the sandbox stay on', () => {
    expect(main).toContain("'../preload/index.cjs'")
    expect(readSource('electron.vite.config.ts')).toContain("formats: ['cjs']")
  })
})
