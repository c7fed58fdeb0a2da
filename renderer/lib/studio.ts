// The only renderer code that chooses a transport. In Electron the preload exposes window.studioBridge (IPC); in
// web mode (the page served by main/web with ?token=… in its URL) the same contract runs over a WebSocket. Either
// way the views get one typed StudioApi, built from the contract.
import { buildStudioApi, type StudioApi } from '../../preload/contract/index.ts'
import type { StudioBridge } from '../../preload/bridge.ts'
import { connectWeb } from './webTransport.ts'

let api: StudioApi | null = null

export function studio(): StudioApi {
  if (api) return api
  const bridge = (window as Window & { studioBridge?: StudioBridge }).studioBridge
  if (bridge) {
    api = buildStudioApi((channel, input) => bridge.invoke(channel, input), (listener) => bridge.subscribe(listener))
    return api
  }
  const token = new URL(window.location.href).searchParams.get('token')
  if (!token) {
    throw new Error(
      'This page must run inside BigGAN Studio: open it from the desktop app, or in web mode from the address the ' +
        'server printed (it carries ?token=…).',
    )
  }
  const web = connectWeb(window.location.origin.replace(/^http/, 'ws') + '/api', token)
  api = buildStudioApi(web.invoke, web.subscribe)
  return api
}
