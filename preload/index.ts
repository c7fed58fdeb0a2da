// The preload: exposes the contract's transport and nothing more — `invoke` for the contract's channels (any
// other name is refused here, and main parses every input again) and `subscribe` for the back end's events. The
// renderer builds the typed StudioApi over it (renderer/lib/studio.ts), exactly as it does over web mode's
// WebSocket. It runs sandboxed, so it is bundled to CommonJS (an ESM preload would force sandbox off) and may
// require only 'electron'.
import { contextBridge, ipcRenderer } from 'electron'
import type { StudioBridge } from './bridge.ts'
import { EVENT_CHANNEL, isChannel, type Reply } from './contract/index.ts'

const bridge: StudioBridge = {
  async invoke(channel, input) {
    if (!isChannel(channel)) return { ok: false, error: { code: 'bad-input', message: `unknown channel '${String(channel)}'` } }
    const reply = (await (input === undefined ? ipcRenderer.invoke(channel) : ipcRenderer.invoke(channel, input))) as
      | Reply<unknown>
      | undefined
    return reply ?? { ok: false, error: { code: 'failed', message: `${channel}: no reply from the main process` } }
  },
  subscribe(listener) {
    const handler = (_event: Electron.IpcRendererEvent, payload: unknown): void => listener(payload)
    ipcRenderer.on(EVENT_CHANNEL, handler)
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, handler)
    }
  },
}

contextBridge.exposeInMainWorld('studioBridge', bridge)
