// Choosing a folder in the view: the "Choose…" button shows where the shell has a system dialog, and the dialog's
// answer becomes the path; web mode's refusal keeps the typed path.
import { describe, expect, it } from 'vitest'
import { StudioError, type EngineInfo, type Input } from '../../preload/contract/index.ts'
import { chooseFolder, folderDialogAvailable } from '../../renderer/lib/folders.ts'

const engine = (shell: 'electron' | 'web'): EngineInfo => ({ shell }) as EngineInfo

describe('choosing a folder', () => {
  it('offers the system dialog in the desktop app only', () => {
    expect(folderDialogAvailable(engine('electron'))).toBe(true)
    expect(folderDialogAvailable(engine('web'))).toBe(false)
    expect(folderDialogAvailable(null)).toBe(false) // engine:info not answered yet
  })

  it('takes the folder chosen, starting the dialog at the path typed so far', async () => {
    const asked: Input<'dialog:chooseFolder'>[] = []
    const choice = await chooseFolder(async (input) => (asked.push(input), { path: '/images/flowers' }), ' /images ', 'Choose')
    expect(choice).toEqual({ kind: 'chosen', path: '/images/flowers' })
    expect(asked).toEqual([{ title: 'Choose', defaultPath: '/images' }])
    expect(await chooseFolder(async () => ({ path: null }), '', 'Choose')).toEqual({ kind: 'cancelled' })
  })

  it("keeps the path field when the shell refuses the dialog, and passes other failures on", async () => {
    const refused = await chooseFolder(async () => {
      throw new StudioError('unsupported', 'web mode has no system folder dialog')
    }, '', 'Choose')
    expect(refused).toEqual({ kind: 'unsupported', message: 'web mode has no system folder dialog' })
    await expect(chooseFolder(async () => {
      throw new StudioError('failed', 'the window is gone')
    }, '', 'Choose')).rejects.toThrow(/window is gone/)
  })
})
