// Web mode's command line, as a pure function of argv and the environment (so that tests need no process).
import { posix, win32 } from 'node:path'

export interface WebArgs {
  /** 0 picks a free port */
  port: number
  /** the app data folder (library.sqlite, imported models, …), absolute */
  dataDir: string
  /** a model to open at start instead of the default one, absolute */
  model?: string
  /** where to write {url, port, token} as JSON once the server is ready (for scripts and tests) */
  readyFile?: string
  /** replace the data folder's token by a new one: pages and addresses with the old one stop working */
  newToken: boolean
  help: boolean
}

export interface WebArgsEnv {
  platform: NodeJS.Platform
  env: Readonly<Record<string, string | undefined>>
  home: string
  cwd: string
}

export class ArgsError extends Error {
  override readonly name = 'ArgsError'
}

export const DEFAULT_PORT = 7860

export const USAGE = `Usage: npm start -- --web [options]    (or: node out/main/web.js [options])

Runs BigGAN Studio in your browser: a server on 127.0.0.1 prints an address with a token to open. The token
is kept in the data folder (web-token, readable by you only), so the address and open pages stay valid across restarts.

Options:
  --port N           the port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)
  --data DIR         the app data folder (default: the desktop app's, e.g. ~/.local/share/biggan-studio)
  --model PATH       open this model at start instead of the default one
  --ready-file FILE  once ready, write {"url", "port", "token"} as JSON to FILE
  --new-token        replace the data folder's token: every address and page with the old one stops working
  --help             show this`

/** The desktop app's data folder on each platform. */
export function defaultDataDir(platform: NodeJS.Platform, env: WebArgsEnv['env'], home: string): string {
  if (platform === 'win32') return win32.join(env.APPDATA || win32.join(home, 'AppData', 'Roaming'), 'BigGAN Studio')
  if (platform === 'darwin') return posix.join(home, 'Library', 'Application Support', 'BigGAN Studio')
  const xdg = env.XDG_DATA_HOME
  // The XDG spec says a relative value is invalid and must be ignored.
  return posix.join(xdg && posix.isAbsolute(xdg) ? xdg : posix.join(home, '.local', 'share'), 'biggan-studio')
}

export function parseWebArgs(argv: readonly string[], context: WebArgsEnv): WebArgs {
  const path = context.platform === 'win32' ? win32 : posix
  const args: WebArgs = {
    port: DEFAULT_PORT,
    dataDir: defaultDataDir(context.platform, context.env, context.home),
    newToken: false,
    help: false,
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const eq = arg.indexOf('=')
    const name = arg.startsWith('--') && eq > 0 ? arg.slice(0, eq) : arg
    const value = (): string => {
      if (name !== arg) return arg.slice(eq + 1)
      const next = argv[++i]
      if (next === undefined || next.startsWith('--')) throw new ArgsError(`${name} needs a value`)
      return next
    }
    switch (name) {
      case '--port':
        args.port = parsePort(value())
        break
      case '--data':
        args.dataDir = path.resolve(context.cwd, nonEmpty(name, value()))
        break
      case '--model':
        args.model = path.resolve(context.cwd, nonEmpty(name, value()))
        break
      case '--ready-file':
        args.readyFile = path.resolve(context.cwd, nonEmpty(name, value()))
        break
      case '--new-token':
        if (name !== arg) throw new ArgsError('--new-token takes no value')
        args.newToken = true
        break
      case '--help':
      case '-h':
        args.help = true
        break
      case '--open':
        throw new ArgsError('--open is not supported: open the address the server prints in your browser')
      default:
        throw new ArgsError(`unknown option '${arg}'`)
    }
  }
  return args
}

function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN
  if (!(port >= 0 && port <= 65535)) {
    throw new ArgsError(`--port expects a number from 0 to 65535 (0 picks a free port), got '${text}'`)
  }
  return port
}

function nonEmpty(name: string, text: string): string {
  if (text.trim() === '') throw new ArgsError(`${name} needs a non-empty value`)
  return text
}
