// The only ipcMain user. Every channel of the contract is registered here; each call is refused unless it comes
// from a trusted frame, then routed (input parsed, handler run, Reply returned).
import { ipcMain, type IpcMainInvokeEvent } from 'electron'
import { CHANNELS } from '../../preload/contract.ts'
import { engineInfo } from './engine.ts'
import { createRouter, type Handlers } from './router.ts'
import { isTrustedSender } from './sender.ts'

export const handlers: Handlers = {
  'engine:info': engineInfo,
}

export function registerIpc(trustedOrigins: readonly string[]): void {
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
}
