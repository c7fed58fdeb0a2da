// The one ViewStore of this page (renderer/lib/viewState.ts): nothing is kept until the back end has named its data
// folder (places.svelte.ts asks it as the page starts).
import { pageStorage, ViewStore } from '../lib/viewState.ts'

export const viewStore = { current: new ViewStore(null, 'none') }

export function useDataFolder(dataId: string): void {
  viewStore.current = new ViewStore(pageStorage(), dataId)
}
