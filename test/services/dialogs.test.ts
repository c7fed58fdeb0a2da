// The system dialogs through the studio's services as web mode serves them: there is no window, so the folder dialog
// is refused as 'unsupported', which the renderer reads as "keep the path field". (The desktop shell answers the
// channel in main/ipc with Electron's dialog instead.)
import { describe, expect, it } from 'vitest'
import { chooseFolder } from '../../renderer/lib/folders'
import { freshLibrary } from '../store/expect'
import { failure, openStudio } from './harness'

describe('the system dialogs in web mode', () => {
  const fresh = freshLibrary()

  it("refuses the folder dialog as unsupported, and the view keeps its path field", async () => {
    const h = openStudio(fresh.dir, fresh.library)
    try {
      const err = await failure(h.api.dialog.chooseFolder({ title: 'Choose an image folder' }))
      expect(err.code).toBe('unsupported')
      expect(err.message).toMatch(/web mode has no system folder dialog: type the folder's path instead/)
      const choice = await chooseFolder((input) => h.api.dialog.chooseFolder(input), '/images', 'Choose an image folder')
      expect(choice.kind).toBe('unsupported')
    } finally {
      await h.studio.close()
    }
  })
})
