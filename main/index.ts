// Electron bootstrap: one instance, one locked-down window showing the bundled renderer from app://studio, and
// the IPC wiring. It assembles and decides nothing; the studio's work lives in main/ipc and main/engine.
// Follows the Electron security checklist (shared/reference/reliability.md §1).
import { app, BrowserWindow, net, protocol, session } from 'electron'
import { extname, join, resolve, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { registerIpc } from './ipc/index.ts'

const APP_ORIGIN = 'app://studio'
const RENDERER_DIR = join(import.meta.dirname, '../renderer')
// CommonJS so that the preload can run sandboxed (electron.vite.config.ts builds it that way).
const PRELOAD = join(import.meta.dirname, '../preload/index.cjs')
// `electron-vite dev` serves the renderer itself; never honoured in a packaged app.
const DEV_URL = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL
// The same policy as the meta tag in renderer/index.html (a test keeps the two equal).
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; font-src 'self'; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'"

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
}

// Must run before 'ready'. No bypassCSP: the app's own pages obey the CSP like any other.
protocol.registerSchemesAsPrivileged([
  { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
])

if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  app.on('second-instance', () => {
    const win = BrowserWindow.getAllWindows()[0]
    if (win) {
      if (win.isMinimized()) win.restore()
      win.focus()
    }
  })
  // Every web contents, present and future: no navigation (a dropped file would otherwise open in the window),
  // no new windows, no webviews.
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault())
    contents.on('will-redirect', (event) => event.preventDefault())
    contents.on('will-attach-webview', (event) => event.preventDefault())
    contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  })
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow()
  })
  void app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
    session.defaultSession.setPermissionCheckHandler(() => false)
    protocol.handle('app', serveRenderer)
    registerIpc(DEV_URL ? [APP_ORIGIN, new URL(DEV_URL).origin] : [APP_ORIGIN])
    createWindow()
  })
}

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    show: false,
    title: 'BigGAN Studio',
    webPreferences: {
      preload: PRELOAD,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
    },
  })
  win.once('ready-to-show', () => win.show())
  void win.loadURL(DEV_URL ?? `${APP_ORIGIN}/index.html`)
}

// app://studio/<path> → a file under out/renderer, nothing outside it.
async function serveRenderer(request: Request): Promise<Response> {
  const file = rendererFile(request.url)
  if (!file) return new Response('not found', { status: 404 })
  const response = await net.fetch(pathToFileURL(file).toString())
  if (!response.ok) return new Response('not found', { status: 404 })
  return new Response(response.body, {
    headers: {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
    },
  })
}

function rendererFile(url: string): string | null {
  try {
    const u = new URL(url)
    if (`${u.protocol}//${u.host}` !== APP_ORIGIN) return null
    const path = decodeURIComponent(u.pathname)
    const file = resolve(RENDERER_DIR, '.' + (path === '/' ? '/index.html' : path))
    return file.startsWith(RENDERER_DIR + sep) ? file : null
  } catch {
    return null
  }
}
