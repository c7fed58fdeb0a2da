import { describe, expect, it } from 'vitest'
import { ArgsError, DEFAULT_PORT, defaultDataDir, parseWebArgs, type WebArgsEnv } from '../../main/web/args.ts'

const LINUX: WebArgsEnv = { platform: 'linux', env: {}, home: '/home/ada', cwd: '/work' }

describe("web mode's command line", () => {
  it('defaults to port 7860 and the desktop data folder', () => {
    expect(parseWebArgs([], LINUX)).toEqual({ port: DEFAULT_PORT, dataDir: '/home/ada/.local/share/biggan-studio', newToken: false, help: false })
    expect(DEFAULT_PORT).toBe(7860)
  })

  it('reads --port, --data, --model and --ready-file, with a space or =, paths made absolute', () => {
    expect(
      parseWebArgs(['--port', '0', '--data=data', '--model', '/m/biggan.pth', '--ready-file', 'ready.json'], LINUX),
    ).toEqual({ port: 0, dataDir: '/work/data', model: '/m/biggan.pth', readyFile: '/work/ready.json', newToken: false, help: false })
    expect(parseWebArgs(['--port=65535'], LINUX).port).toBe(65535)
    expect(parseWebArgs(['--help'], LINUX).help).toBe(true)
  })

  it('reads --new-token, which rotates the data folder\'s token and takes no value', () => {
    expect(parseWebArgs(['--new-token'], LINUX).newToken).toBe(true)
    expect(() => parseWebArgs(['--new-token=yes'], LINUX)).toThrow('--new-token takes no value')
  })

  it('refuses a port that is not a number from 0 to 65535, saying what it expects', () => {
    for (const bad of ['abc', '80a', '-1', '65536', '1e3', ' 80', '', '0x50', '99999999']) {
      expect(() => parseWebArgs(['--port', bad], LINUX), bad).toThrow(ArgsError)
    }
    expect(() => parseWebArgs(['--port', 'abc'], LINUX)).toThrow(
      "--port expects a number from 0 to 65535 (0 picks a free port), got 'abc'",
    )
  })

  it('refuses unknown options, missing values and --open, each with a message', () => {
    expect(() => parseWebArgs(['--prot', '80'], LINUX)).toThrow("unknown option '--prot'")
    expect(() => parseWebArgs(['--port'], LINUX)).toThrow('--port needs a value')
    expect(() => parseWebArgs(['--data', '--port', '1'], LINUX)).toThrow('--data needs a value')
    expect(() => parseWebArgs(['--model='], LINUX)).toThrow('--model needs a non-empty value')
    expect(() => parseWebArgs(['--open'], LINUX)).toThrow(/open the address/)
  })

  it("puts the data folder where each platform's apps keep theirs", () => {
    expect(defaultDataDir('linux', { XDG_DATA_HOME: '/xdg' }, '/home/ada')).toBe('/xdg/biggan-studio')
    expect(defaultDataDir('linux', { XDG_DATA_HOME: 'relative' }, '/home/ada')).toBe('/home/ada/.local/share/biggan-studio')
    expect(defaultDataDir('darwin', {}, '/Users/ada')).toBe('/Users/ada/Library/Application Support/BigGAN Studio')
    expect(defaultDataDir('win32', { APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, 'C:\\Users\\ada')).toBe(
      'C:\\Users\\ada\\AppData\\Roaming\\BigGAN Studio',
    )
  })
})
