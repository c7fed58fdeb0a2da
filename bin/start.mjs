#!/usr/bin/env node
// `npm start` (after `electron-vite build`): runs the studio in Electron, or with `--web` in the browser (web mode:
// node out/main/web.js, no Electron). Other arguments pass through (`npm start -- --web --port 0`).
// package.json's allowScripts stops npm from running electron's install script, which downloads the Electron
// binary (offline it fails, and with it the whole `npm install`). So the binary is fetched here, on the first
// start; where it cannot be, the studio starts in web mode instead.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { ensureElectronSqlite } from './electron-native.mjs'

const require = createRequire(import.meta.url)
const ROOT = dirname(import.meta.dirname)
const WEB_ENTRY = join(ROOT, 'out', 'main', 'web.js')

const args = process.argv.slice(2)
const rest = args.filter((a) => a !== '--web')

if (args.includes('--web')) {
  runWeb(rest)
} else {
  const binary = electronBinary() ?? downloadElectron()
  // the library's SQLite module, built for Electron's ABI beside the Node build the CLI and the tests use
  const sqlite = typeof binary === 'string' ? ensureElectronSqlite(electronVersion()) : null
  if (typeof binary === 'string' && sqlite) {
    run(binary, ['.', ...rest], { BIGGAN_SQLITE_BINDING: sqlite })
  } else if (typeof binary === 'string') {
    console.error('npm start: the library needs better-sqlite3 built for Electron; starting web mode instead.')
    runWeb(rest)
  } else {
    console.error(
      `npm start: no Electron binary (${binary.error}); starting web mode instead (\`npm start -- --web\` skips this).`,
    )
    runWeb(rest)
  }
}

// The electron package exports the binary's path, and throws while the binary is absent.
function electronBinary() {
  try {
    return require('electron')
  } catch {
    return null
  }
}

function electronVersion() {
  return require('electron/package.json').version
}

// Returns the binary's path, or {error} saying why there is none.
function downloadElectron() {
  console.error('npm start: the Electron binary is not installed yet; downloading it once…')
  const env = { ...process.env }
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD
  let install
  try {
    install = join(dirname(require.resolve('electron/package.json')), 'install.js')
  } catch {
    return { error: 'the electron package is not installed' }
  }
  const r = spawnSync(process.execPath, [install], { env, encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] })
  const binary = electronBinary()
  if (binary) return binary
  const reason = (r.stderr ?? '').trim().split('\n').find((line) => line.trim() !== '') ?? `exit status ${r.status}`
  return { error: `the download failed: ${reason.trim().slice(0, 200)}` }
}

function runWeb(webArgs) {
  if (!existsSync(WEB_ENTRY)) {
    console.error('npm start: web mode is not built (out/main/web.js is missing): run `npm run build`, then start again.')
    process.exit(1)
  }
  run(process.execPath, [WEB_ENTRY, ...webArgs])
}

// Runs the studio as a child, hands it the signals this launcher gets (it shuts down cleanly), and exits with its
// status.
function run(command, commandArgs, env = {}) {
  const child = spawn(command, commandArgs, { stdio: 'inherit', env: { ...process.env, ...env } })
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.exitCode === null) child.kill(signal)
    })
  }
  child.on('error', (e) => {
    console.error(`npm start: cannot run ${command}: ${e.message}`)
    process.exit(1)
  })
  child.on('close', (code) => process.exit(code ?? 1))
}
