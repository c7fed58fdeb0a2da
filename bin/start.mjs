#!/usr/bin/env node
// `npm start` (after `electron-vite build`): runs the studio in Electron. package.json's allowScripts stops npm
// from running electron's install script, which downloads the Electron binary (offline it fails, and with it the
// whole `npm install`). So the binary is fetched here, on the first start, and a missing one is explained.
import { spawn, spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)

// The electron package exports the binary's path, and throws while the binary is absent.
function electronBinary() {
  try {
    return require('electron')
  } catch {
    return null
  }
}

let binary = electronBinary()
if (!binary) {
  console.error('npm start: the Electron binary is not installed yet; downloading it once…')
  const env = { ...process.env }
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD
  const install = join(dirname(require.resolve('electron/package.json')), 'install.js')
  const r = spawnSync(process.execPath, [install], { env, encoding: 'utf8', stdio: ['ignore', 'inherit', 'pipe'] })
  if (r.status !== 0) console.error(`npm start: the download failed: ${(r.stderr ?? '').trim().split('\n')[0]}`)
  binary = electronBinary()
}
if (!binary) {
  console.error(
    [
      'npm start: the desktop studio cannot start because the Electron binary is missing.',
      'On a machine with internet access, run `node node_modules/electron/install.js`, then `npm start` again.',
      'Without Electron, the command line works (`npm run biggan -- info`) and so do the tests (`npm test`).',
    ].join('\n'),
  )
  process.exit(1)
}
const child = spawn(binary, ['.'], { stdio: 'inherit' })
child.on('close', (code) => process.exit(code ?? 1))
