// The packaged app's Electron fuses: switches compiled into the Electron binary that no environment variable or
// command-line flag can turn back once the app ships. electron-builder runs afterPack (through
// scripts/after-pack.mjs: it loads no TypeScript) once the app is laid out and before it is signed, so the
// signature covers the flipped bits. Nothing here runs inside the app.
import { join } from 'node:path'
import { flipFuses, FuseState, FuseV1Options, FuseVersion, getCurrentFuseWire } from '@electron/fuses'
import { Arch, type AfterPackContext, type LinuxPackager } from 'electron-builder'

/**
 * One line per fuse that @electron/fuses knows. `satisfies` makes a fuse added by an upgrade of that package a
 * type error here until someone decides it, and flipFuses (strictlyRequireAllFuses) refuses a binary whose wire
 * has a fuse this table lacks.
 */
export const FUSES = {
  // ELECTRON_RUN_AS_NODE=1 would turn the app's signed binary into a plain Node that runs any script. The app
  // needs none of it: its engine and training run in worker threads, and it forks no child process.
  [FuseV1Options.RunAsNode]: false,
  // Chromium's cookie store encrypted with the OS's key store, as Chrome does. Turning it on later would make the
  // cookies of earlier versions unreadable, so it is on from the first release.
  [FuseV1Options.EnableCookieEncryption]: true,
  // NODE_OPTIONS (and NODE_EXTRA_CA_CERTS) would let whoever sets the environment --require code into the main
  // process, which holds the file system and the library database.
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  // --inspect and its kin (and SIGUSR1) would open a debugger on the main process to anyone who can start the app.
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  // macOS and Windows check app.asar against the header hash electron-builder embeds; Linux has no such check,
  // where this fuse does nothing.
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  // Without it Electron would also load an app/ folder put beside app.asar, past the integrity check.
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  // Electron's default: the app ships no V8 snapshot of its own for the browser process.
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  // The UI loads from app://studio; no page is loaded from file://, so none needs more than a browser grants it.
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  // Electron's default: V8 catches WebAssembly's out-of-bounds accesses with guard pages and a signal handler
  // rather than a bounds check on every access, which keeps TensorFlow.js's wasm backend fast.
  [FuseV1Options.WasmTrapHandlers]: true,
} as const satisfies Record<FuseV1Options, boolean>

/** The fuses by name, for messages and tests: { RunAsNode: false, … }. */
export function fusesByName(): Record<string, boolean> {
  return Object.fromEntries(Object.entries(FUSES).map(([index, on]) => [FuseV1Options[Number(index)], on]))
}

/** What afterPack needs to know of a packed app (electron-builder's context, reduced to plain values). */
export interface PackedApp {
  platform: string // electron-builder's electronPlatformName: 'darwin' | 'mas' | 'win32' | 'linux'
  arch: string // 'x64' | 'arm64' | 'universal' | …
  appOutDir: string
  productFilename: string // 'BigGAN Studio'
  executableName?: string // Linux only: the binary is named after the package ('biggan-studio'), not the product
}

/**
 * The file that holds the fuses, and whether the macOS ad-hoc signature must be redone: flipping bits breaks
 * it, and arm64 Macs refuse to start an app whose signature is broken, even when it is unsigned otherwise.
 */
export function fuseTarget(app: PackedApp): { binary: string; resetAdHocDarwinSignature: boolean } {
  switch (app.platform) {
    case 'darwin':
    case 'mas':
      // @electron/fuses finds the Electron Framework inside the bundle itself.
      return {
        binary: join(app.appOutDir, `${app.productFilename}.app`),
        resetAdHocDarwinSignature: app.arch === 'arm64' || app.arch === 'universal',
      }
    case 'win32':
      return { binary: join(app.appOutDir, `${app.productFilename}.exe`), resetAdHocDarwinSignature: false }
    case 'linux':
      if (!app.executableName) throw new Error('afterPack: a Linux package without an executable name; cannot find its Electron binary to set fuses')
      return { binary: join(app.appOutDir, app.executableName), resetAdHocDarwinSignature: false }
    default:
      throw new Error(`afterPack: no Electron binary known for platform '${app.platform}'; its fuses would stay unset`)
  }
}

/** Flips the fuses in `binary`, then reads them back and fails if any is not as FUSES says. */
export async function setFuses(binary: string, resetAdHocDarwinSignature = false): Promise<void> {
  await flipFuses(binary, { version: FuseVersion.V1, strictlyRequireAllFuses: true, resetAdHocDarwinSignature, ...FUSES })
  const wire = await getCurrentFuseWire(binary)
  const wrong = Object.entries(FUSES)
    .filter(([index, on]) => wire[Number(index) as FuseV1Options] !== (on ? FuseState.ENABLE : FuseState.DISABLE))
    .map(([index, on]) => `${FuseV1Options[Number(index)]} (wanted ${on ? 'on' : 'off'})`)
  if (wrong.length > 0) throw new Error(`afterPack: fuses not set in ${binary} after flipping: ${wrong.join(', ')}`)
}

/** electron-builder's afterPack hook (package.json build.afterPack, through scripts/after-pack.mjs). */
export async function afterPack(context: AfterPackContext): Promise<void> {
  const { binary, resetAdHocDarwinSignature } = fuseTarget({
    platform: context.electronPlatformName,
    arch: Arch[context.arch],
    appOutDir: context.appOutDir,
    productFilename: context.packager.appInfo.productFilename,
    executableName: (context.packager as Partial<LinuxPackager>).executableName,
  })
  await setFuses(binary, resetAdHocDarwinSignature)
}
