// The only ipcMain user. Every channel of the contract is registered here; each call is refused unless it comes
// from a trusted frame, then routed (input parsed, handler run, Reply returned). The system dialogs are answered
// here too, over the window that asked (the studio's services have no windows, and refuse them as web mode does).
// The back end's events go to every window on the one event channel.
import { BrowserWindow, dialog, ipcMain, type IpcMainInvokeEvent } from 'electron'
import { CHANNELS, EVENT_CHANNEL, type Channel, type StudioEvent } from '../../preload/contract/index.ts'
import { createRouter, type Handlers } from './router.ts'
import { isTrustedSender } from './sender.ts'

export function registerIpc(
  handlers: Handlers,
  subscribe: (listener: (event: StudioEvent) => void) => () => void,
  trustedOrigins: readonly string[],
): () => void {
  const router = createRouter(handlers)
  for (const channel of CHANNELS) {
    ipcMain.handle(channel, (event: IpcMainInvokeEvent, input: unknown) => {
      const frame = event.senderFrame
      const sender = frame ? { url: frame.url, isTopFrame: frame.parent === null } : null
      if (!isTrustedSender(sender, trustedOrigins)) {
        return { ok: false, error: { code: 'forbidden', message: `${channel}: refused a call from ${sender?.url}` } }
      }
      const win = DIALOG_CHANNELS.includes(channel) ? BrowserWindow.fromWebContents(event.sender) : null
      return (win ? createRouter({ ...handlers, ...dialogs(win) }) : router).handle(channel, input)
    })
  }
  const unsubscribe = subscribe((event) => {
    for (const win of BrowserWindow.getAllWindows()) {
      if (!win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, event)
    }
  })
  return () => {
    unsubscribe()
    for (const channel of CHANNELS) ipcMain.removeHandler(channel)
  }
}

const DIALOG_CHANNELS: readonly Channel[] = ['dialog:chooseFolder']

function dialogs(win: BrowserWindow): Pick<Handlers, 'dialog:chooseFolder'> {
  return {
    'dialog:chooseFolder': async ({ title, defaultPath }) => {
      const choice = await dialog.showOpenDialog(win, { properties: ['openDirectory'], ...(title ? { title } : {}), ...(defaultPath ? { defaultPath } : {}) })
      return { path: choice.canceled ? null : (choice.filePaths[0] ?? null) }
    },
  }
}
