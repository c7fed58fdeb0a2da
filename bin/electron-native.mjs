// better-sqlite3 for Electron's ABI, beside the Node build that the CLI and the tests use. A native module compiled
// for Node does not load in Electron (another NODE_MODULE_VERSION), and rebuilding it in place would break the
// tests, so the Electron build lives in its own folder and the app is told its path (better-sqlite3's
// `nativeBinding` option, through BIGGAN_SQLITE_BINDING). Made once per Electron version, on the first `npm start`:
// a prebuilt binary when better-sqlite3 publishes one (prebuild-install), else a compile against Electron's headers
// (node-gyp). Both download, so this needs internet once; a packaged app never needs it (electron-builder rebuilds
// native modules for Electron when it packages).
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)

/** The path of better_sqlite3.node built for this Electron, building it if needed; null (with the reason logged)
 *  when it cannot be had. */
export function ensureElectronSqlite(electronVersion, log = console.error) {
  const source = dirname(require.resolve('better-sqlite3/package.json'))
  const root = join(dirname(dirname(source)), '.cache', 'biggan-electron-native', `electron-${electronVersion}-${process.platform}-${process.arch}`)
  const target = join(root, 'better_sqlite3.node')
  if (existsSync(target)) return target
  log(`npm start: building better-sqlite3 for Electron ${electronVersion} (once)…`)
  const work = mkdtempSync(join(tmpdir(), 'biggan-sqlite-electron-'))
  try {
    for (const part of ['package.json', 'binding.gyp', 'src', 'deps', 'lib']) cpSync(join(source, part), join(work, part), { recursive: true })
    const prebuild = resolveFrom('prebuild-install/package.json', 'bin.js')
    const attempts = [
      [prebuild, ['--runtime', 'electron', '--target', electronVersion, '--arch', process.arch]],
      [nodeGyp(), ['rebuild', '--release', '--runtime=electron', `--target=${electronVersion}`, '--dist-url=https://electronjs.org/headers']],
    ]
    const failures = []
    for (const [script, args] of attempts) {
      if (!script || !existsSync(script)) continue
      const r = spawnSync(process.execPath, [script, ...args], { cwd: work, encoding: 'utf8' })
      const built = join(work, 'build', 'Release', 'better_sqlite3.node')
      if (r.status === 0 && existsSync(built)) {
        mkdirSync(root, { recursive: true })
        renameSync(built, target)
        return target
      }
      failures.push(`${script.includes('prebuild') ? 'prebuild-install' : 'node-gyp'}: ${lastLine(r.stderr || r.stdout || String(r.error))}`)
    }
    log(`npm start: could not build better-sqlite3 for Electron ${electronVersion} (${failures.join('; ')})`)
    return null
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

function resolveFrom(pkg, file) {
  try {
    return join(dirname(require.resolve(pkg)), file)
  } catch {
    return null
  }
}

// npm carries node-gyp; find it beside the running npm or node.
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ]
  return candidates.find((c) => c && existsSync(c)) ?? null
}

function lastLine(text) {
  return text.trim().split('\n').filter(Boolean).pop() ?? 'failed'
}
