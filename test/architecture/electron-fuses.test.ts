// The packaged app's Electron fuses (scripts/electron-fuses.ts, run by electron-builder's afterPack hook). No
// Electron binary exists here and nothing is packaged, so the hook runs, through electron-builder's own hook
// loader, against a stand-in: a file holding Electron's fuse wire (a sentinel string, a version byte, a length
// byte, one byte per fuse) in the middle of other bytes, which is all @electron/fuses reads or writes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { fusesByName, fuseTarget } from '../../scripts/electron-fuses.ts'
import { readSource } from './imports.ts'

const require = createRequire(import.meta.url)

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'
const ON = 0x31 // '1'
const OFF = 0x30 // '0'
// Electron's defaults, in wire order: RunAsNode, EnableCookieEncryption, EnableNodeOptionsEnvironmentVariable,
// EnableNodeCliInspectArguments, EnableEmbeddedAsarIntegrityValidation, OnlyLoadAppFromAsar,
// LoadBrowserProcessSpecificV8Snapshot, GrantFileProtocolExtraPrivileges, WasmTrapHandlers.
const ELECTRON_DEFAULTS = [ON, OFF, ON, ON, OFF, OFF, OFF, ON, ON]
const WANTED = [OFF, ON, OFF, OFF, ON, ON, OFF, OFF, ON]

const work = mkdtempSync(join(tmpdir(), 'biggan-fuses-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

/** A stand-in Electron binary at `path`: filler, the sentinel, version 1, the wire's length and states, filler. */
function standIn(path: string, states: number[], version = 1): void {
  const filler = Buffer.alloc(64 * 1024, 0x90)
  writeFileSync(path, Buffer.concat([filler, Buffer.from(SENTINEL), Buffer.from([version, states.length, ...states]), filler]))
}

function wireIn(path: string): number[] {
  const bytes = readFileSync(path)
  const at = bytes.indexOf(SENTINEL) + SENTINEL.length
  return [...bytes.subarray(at + 2, at + 2 + bytes[at + 1])]
}

type Hook = (context: unknown) => Promise<void>

/** The afterPack function as electron-builder finds it: its own loader, given package.json's build.afterPack. */
async function hookAsElectronBuilderLoadsIt(): Promise<Hook> {
  const afterPack = (JSON.parse(readSource('package.json')) as { build: { afterPack: string } }).build.afterPack
  // app-builder-lib (electron-builder's core, pinned with it) resolves hook paths against the working directory,
  // which is the repository root both for `npm run dist` and for vitest.
  const { resolveFunction } = require('app-builder-lib/out/util/resolve') as {
    resolveFunction: (type: string, executor: string, name: string) => Promise<unknown>
  }
  const hook = await resolveFunction('module', afterPack, 'afterPack')
  expect(typeof hook).toBe('function')
  return hook as Hook
}

/** electron-builder's context for a Linux x64 pack into `appOutDir`, with only what afterPack reads. */
function linuxContext(appOutDir: string): unknown {
  const x64 = 1 // electron-builder's Arch.x64
  return {
    appOutDir,
    electronPlatformName: 'linux',
    arch: x64,
    packager: { appInfo: { productFilename: 'BigGAN Studio' }, executableName: 'biggan-studio' },
  }
}

describe("the packaged app's Electron fuses", () => {
  it('turns off run-as-node, NODE_OPTIONS and --inspect, loads only a checked app.asar, encrypts cookies and gives file:// no extra privileges', () => {
    expect(fusesByName()).toEqual({
      RunAsNode: false,
      EnableCookieEncryption: true,
      EnableNodeOptionsEnvironmentVariable: false,
      EnableNodeCliInspectArguments: false,
      EnableEmbeddedAsarIntegrityValidation: true,
      OnlyLoadAppFromAsar: true,
      LoadBrowserProcessSpecificV8Snapshot: false,
      GrantFileProtocolExtraPrivileges: false,
      WasmTrapHandlers: true,
    })
  })

  it('is set by the afterPack hook of the build config, which keeps the app in an app.asar as OnlyLoadAppFromAsar requires', () => {
    const build = (JSON.parse(readSource('package.json')) as { build: Record<string, unknown> }).build
    expect(build.afterPack).toBe('./scripts/after-pack.mjs')
    expect(build.asar).not.toBe(false) // electron-builder packs into app.asar unless told otherwise
    expect(build.files).not.toContain('scripts/**') // the hook is a build step, not part of the app
  })

  it('finds the Electron binary where electron-builder lays it out on each platform', () => {
    const app = { appOutDir: '/out', productFilename: 'BigGAN Studio', executableName: 'biggan-studio' }
    expect(fuseTarget({ ...app, platform: 'linux', arch: 'x64' })).toEqual({ binary: join('/out', 'biggan-studio'), resetAdHocDarwinSignature: false })
    expect(fuseTarget({ ...app, platform: 'win32', arch: 'x64' })).toEqual({ binary: join('/out', 'BigGAN Studio.exe'), resetAdHocDarwinSignature: false })
    expect(fuseTarget({ ...app, platform: 'darwin', arch: 'x64' })).toEqual({ binary: join('/out', 'BigGAN Studio.app'), resetAdHocDarwinSignature: false })
    // Flipping bits breaks the ad-hoc signature, which arm64 Macs enforce.
    expect(fuseTarget({ ...app, platform: 'darwin', arch: 'arm64' }).resetAdHocDarwinSignature).toBe(true)
    expect(fuseTarget({ ...app, platform: 'darwin', arch: 'universal' }).resetAdHocDarwinSignature).toBe(true)
    expect(() => fuseTarget({ ...app, platform: 'linux', arch: 'x64', executableName: undefined })).toThrow(/executable name/)
    expect(() => fuseTarget({ ...app, platform: 'freebsd', arch: 'x64' })).toThrow(/no Electron binary known for platform 'freebsd'/)
  })

  it('flips the fuses of a stand-in Electron binary through the hook electron-builder loads', async () => {
    const appOutDir = mkdtempSync(join(work, 'linux-unpacked-'))
    standIn(join(appOutDir, 'biggan-studio'), ELECTRON_DEFAULTS)
    const before = readFileSync(join(appOutDir, 'biggan-studio'))

    await (await hookAsElectronBuilderLoadsIt())(linuxContext(appOutDir))

    expect(wireIn(join(appOutDir, 'biggan-studio'))).toEqual(WANTED)
    const after = readFileSync(join(appOutDir, 'biggan-studio'))
    expect(after.length).toBe(before.length)
    const changed = [...after.keys()].filter((i) => after[i] !== before[i])
    expect(changed.length).toBe(ELECTRON_DEFAULTS.filter((state, i) => state !== WANTED[i]).length) // the fuse bytes only
  })

  it('refuses a binary with a fuse it has not decided on (a newer Electron), and leaves the binary as it was', async () => {
    const appOutDir = mkdtempSync(join(work, 'linux-unpacked-'))
    const newer = [...ELECTRON_DEFAULTS, ON]
    standIn(join(appOutDir, 'biggan-studio'), newer)
    await expect((await hookAsElectronBuilderLoadsIt())(linuxContext(appOutDir))).rejects.toThrow(/strictlyRequireAllFuses/)
    expect(wireIn(join(appOutDir, 'biggan-studio'))).toEqual(newer)
  })

  it('refuses a file that is not an Electron binary, or whose fuse wire has another version', async () => {
    const hook = await hookAsElectronBuilderLoadsIt()
    const notElectron = mkdtempSync(join(work, 'linux-unpacked-'))
    writeFileSync(join(notElectron, 'biggan-studio'), Buffer.alloc(4096, 0x90))
    await expect(hook(linuxContext(notElectron))).rejects.toThrow(/Could not find sentinel/)

    const otherVersion = mkdtempSync(join(work, 'linux-unpacked-'))
    standIn(join(otherVersion, 'biggan-studio'), ELECTRON_DEFAULTS, 2)
    await expect(hook(linuxContext(otherVersion))).rejects.toThrow(/does not match/)
  })
})
