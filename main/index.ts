// Electron bootstrap: one instance, one locked-down window showing the bundled renderer from app://studio, the app
// menu, the app data folder, and the wiring of the library (main/store), the studio's services (main/services, whose
// engine runs in a worker thread) and IPC (main/ipc). It decides nothing about the studio itself.
// Follows Electron's own security checklist (its docs/tutorial/security.md: context isolation, sandbox, no Node
// in the renderer, a strict CSP, no navigation or new windows, IPC senders checked).
import { app, BrowserWindow, dialog, Menu, net, protocol, session, type MenuItemConstructorOptions } from 'electron'
import { extname, join, resolve, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { registerIpc } from './ipc/index.ts'
import { createStudio, type Studio } from './services/studio.ts'
import { Library } from './store/index.ts'

const APP_ORIGIN = 'app://studio'
const RENDERER_DIR = join(import.meta.dirname, '../renderer')
// CommonJS so that the preload can run sandboxed (electron.vite.config.ts builds it that way).
const PRELOAD = join(import.meta.dirname, '../preload/index.cjs')
// `electron-vite dev` serves the renderer itself; never honoured in a packaged app.
const DEV_URL = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL
// resources/ sits beside out/: at the project root, or packaged inside the app (unpacked from the asar archive,
// package.json's build.asarUnpack, so the engine worker reads it as plain files).
const RESOURCES_DIR = join(import.meta.dirname, '../../resources')
// better-sqlite3 built for Electron's ABI. A packaged app has it rebuilt by electron-builder; `npm start` builds
// one beside the Node build the tests use (bin/electron-native.mjs) and passes its path here.
const SQLITE_BINDING = app.isPackaged ? undefined : process.env.BIGGAN_SQLITE_BINDING
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
  let studio: Studio | null = null
  let library: Library | null = null
  let closeIpc: (() => void) | null = null
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })
  app.on('will-quit', (event) => {
    if (!studio) return
    // close the engine worker and the library cleanly before the process ends
    event.preventDefault()
    const closing = studio
    studio = null
    closeIpc?.()
    void closing
      .close()
      .finally(() => {
        library?.close()
        library = null
        app.quit()
      })
  })
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow()
  })
  void app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
    session.defaultSession.setPermissionCheckHandler(() => false)
    protocol.handle('app', serveRenderer)
    const dataDir = app.getPath('userData')
    library = openLibrary(join(dataDir, 'library.sqlite'))
    studio = createStudio({ dataDir, resourcesDir: RESOURCES_DIR, shell: 'electron', library })
    closeIpc = registerIpc(studio.handlers, studio.subscribe, DEV_URL ? [APP_ORIGIN, new URL(DEV_URL).origin] : [APP_ORIGIN])
    Menu.setApplicationMenu(Menu.buildFromTemplate(menu(studio)))
    createWindow()
  })
}

// A library that will not open (not a database, damaged) is kept aside byte for byte, never deleted, and a fresh one
// starts; a damaged -wal is kept too (main/store). The person is told here, and again in the window (the studio
// sends the library's notices to each page as it starts).
function openLibrary(file: string): Library {
  const library = Library.openOrStartFresh(file, { nativeBinding: SQLITE_BINDING })
  for (const notice of library.notices) dialog.showErrorBox('BigGAN Studio: library damaged', notice.message)
  return library
}

// The menu's model commands use the system's file dialogs, then the same handlers the renderer calls; the
// renderer learns of the new model from the 'model' event.
function menu(studio: Studio): MenuItemConstructorOptions[] {
  const open = async (properties: ('openDirectory' | 'openFile')[], title: string): Promise<void> => {
    const win = BrowserWindow.getFocusedWindow() ?? BrowserWindow.getAllWindows()[0]
    const choice = win ? await dialog.showOpenDialog(win, { title, properties }) : await dialog.showOpenDialog({ title, properties })
    const path = choice.filePaths[0]
    if (choice.canceled || !path) return
    try {
      await studio.handlers['models:open']({ path })
    } catch (e) {
      dialog.showErrorBox('BigGAN Studio: could not open the model', e instanceof Error ? e.message : String(e))
    }
  }
  return [
    ...(process.platform === 'darwin' ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open Model Folder…', accelerator: 'CmdOrCtrl+O', click: () => void open(['openDirectory'], 'Open a model folder') },
        { label: 'Import Checkpoint…', accelerator: 'CmdOrCtrl+I', click: () => void open(['openFile'], 'Import a checkpoint') },
        { type: 'separator' },
        process.platform === 'darwin' ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        ...(app.isPackaged ? [] : [{ role: 'reload' as const }, { role: 'toggleDevTools' as const }, { type: 'separator' as const }]),
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { type: 'separator' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
  ]
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
