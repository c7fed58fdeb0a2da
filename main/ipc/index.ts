// The only ipcMain user. Every channel of the contract is registered here; each call is refused unless it comes
// from a trusted frame, then routed (input parsed, handler run, Reply returned). The back end's events go to
// every window on the one event channel.
import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron'
import { CHANNELS, EVENT_CHANNEL, type StudioEvent } from '../../preload/contract.ts'
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
      return router.handle(channel, input)
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
