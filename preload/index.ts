// The preload: builds window.studio from the contract and nothing more. It runs sandboxed, so it is bundled to
// CommonJS (an ESM preload would force sandbox off) and may require only 'electron'.
import { contextBridge, ipcRenderer } from 'electron'
import { contract, type Channel, type Input, type Output, type Reply, type StudioApi } from './contract.ts'

async function invoke<C extends Channel>(channel: C, input: Input<C>): Promise<Output<C>> {
  const reply = (await (input === undefined
    ? ipcRenderer.invoke(channel)
    : ipcRenderer.invoke(channel, input))) as Reply<unknown> | undefined
  if (typeof reply !== 'object' || reply === null) throw new Error(`${channel}: no reply from the main process`)
  if (!reply.ok) throw new Error(reply.error.message)
  return contract[channel].output.parse(reply.value, channel) as Output<C>
}

const studio: StudioApi = {
  engine: {
    info: () => invoke('engine:info', undefined),
  },
}

contextBridge.exposeInMainWorld('studio', studio)
