// Web mode's entry: the studio without Electron, driven from a browser. Built to out/main/web.js (electron-vite),
// or run from source with `node --import tsx main/web/main.ts`. It opens the library and the studio exactly as the
// desktop app does, serves them on 127.0.0.1 (server.ts), and closes both cleanly on SIGINT or SIGTERM.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import type { ModelInfo, StudioEvent } from '../../preload/contract/index.ts'
import { createRouter } from '../ipc/router.ts'
import { createStudio } from '../services/studio.ts'
import { Library, LibraryError } from '../store/index.ts'
import { ArgsError, parseWebArgs, USAGE, type WebArgs } from './args.ts'
import { startWebServer, type WebServer } from './server.ts'
import { dataFolderToken, TokenError } from './token.ts'

// Bundled, this file is out/main/web.js; from source, main/web/main.ts. Both sit two levels below the repository.
const HERE = import.meta.dirname
const FROM_SOURCE = import.meta.filename.endsWith('.ts')
const RESOURCES_DIR = resolve(HERE, '../../resources')
const RENDERER_DIR = FROM_SOURCE ? resolve(HERE, '../../out/renderer') : resolve(HERE, '../renderer')
const SHUTDOWN_LIMIT_MS = 10_000

async function main(): Promise<number | null> {
  let args: WebArgs
  try {
    args = parseWebArgs(process.argv.slice(2), {
      platform: process.platform,
      env: process.env,
      home: homedir(),
      cwd: process.cwd(),
    })
  } catch (e) {
    if (!(e instanceof ArgsError)) throw e
    console.error(`web mode: ${e.message}\n\n${USAGE}`)
    return 2
  }
  if (args.help) {
    console.log(USAGE)
    return 0
  }
  if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
    console.error(`web mode: the renderer is not built (${join(RENDERER_DIR, 'index.html')} is missing): run \`npm run build\`.`)
    return 1
  }

  mkdirSync(args.dataDir, { recursive: true, mode: 0o700 })
  let token: string
  try {
    token = dataFolderToken(args.dataDir, { rotate: args.newToken }).token
  } catch (e) {
    if (!(e instanceof TokenError)) throw e
    console.error(`web mode: ${e.message}`)
    return 1
  }
  // A damaged library is kept aside byte for byte and a fresh one starts (main/store); what cannot be helped that
  // way (a library of a newer app, one another process holds locked, a full disk) stops here, saying what to do.
  let library: Library
  try {
    library = Library.openOrStartFresh(join(args.dataDir, 'library.sqlite'))
  } catch (e) {
    if (!(e instanceof LibraryError)) throw e
    console.error(`web mode: ${e.message}`)
    return 1
  }
  for (const notice of library.notices) console.error(`error: ${notice.message}`)
  const studio = createStudio({ dataDir: args.dataDir, resourcesDir: RESOURCES_DIR, shell: 'web', library })
  const router = createRouter(studio.handlers)
  // The library's notices come again each time a page opens (for the page); the terminal has them already.
  const printed = new Set(library.notices.map((notice) => notice.message))
  studio.subscribe((event: StudioEvent) => {
    if (event.type === 'notice' && event.level !== 'info' && !printed.has(event.message ?? '')) console.error(`${event.level}: ${event.message}`)
  })

  let server: WebServer | null = null
  let stopping = false
  // Idempotent: Ctrl-C reaches both `npm start`'s launcher and this process, so a signal may arrive twice.
  const stop = async (code: number): Promise<void> => {
    if (stopping) return
    stopping = true
    setTimeout(() => {
      console.error(`web mode: shutting down took over ${SHUTDOWN_LIMIT_MS / 1000} s; exiting anyway`)
      process.exit(1)
    }, SHUTDOWN_LIMIT_MS).unref()
    try {
      await server?.close()
      await studio.close()
      library.close()
    } catch (e) {
      console.error(`web mode: shutting down failed: ${e instanceof Error ? e.message : String(e)}`)
      code ||= 1
    }
    process.exit(code)
  }
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(0))

  try {
    server = await startWebServer({
      port: args.port,
      token,
      rendererDir: RENDERER_DIR,
      router,
      subscribe: (listener) => studio.subscribe(listener),
      log: (line) => console.error(line),
    })
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    console.error(
      code === 'EADDRINUSE'
        ? `web mode: port ${args.port} is in use (another studio?). Start with --port 0 to take any free port, or --port N.`
        : `web mode: cannot listen on 127.0.0.1:${args.port}: ${e instanceof Error ? e.message : String(e)}`,
    )
    await stop(1)
    return null
  }
  console.log(`BigGAN Studio (web mode) at ${server.url}`)
  console.log(
    `To use it from another machine (a GPU box driven from a laptop): ssh -L ${server.port}:127.0.0.1:${server.port} HOST ` +
      'on the laptop, then open the same address there.',
  )

  const opened = args.model
    ? await router.handle('models:open', { path: args.model })
    : await router.handle('models:openDefault', undefined)
  if (opened.ok) {
    console.error(`model: ${(opened.value as ModelInfo).name}`)
  } else if (args.model) {
    console.error(`web mode: cannot open ${args.model}: ${opened.error.message}`)
    await stop(1)
    return null
  } else {
    console.error(`warning: the default model did not open (${opened.error.message}); open one from the studio.`)
  }
  if (args.readyFile) writeReadyFile(args.readyFile, { url: server.url, port: server.port, token: server.token })
  return null
}

// Atomically (a reader never sees half a file) and private to this user: it holds the token.
function writeReadyFile(file: string, ready: { url: string; port: number; token: string }): void {
  const temporary = `${file}.${process.pid}.tmp`
  writeFileSync(temporary, JSON.stringify(ready) + '\n', { mode: 0o600 })
  renameSync(temporary, file)
}

main().then(
  (code) => {
    if (code !== null) process.exit(code)
  },
  (e: unknown) => {
    console.error(`web mode: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
    process.exit(1)
  },
)
