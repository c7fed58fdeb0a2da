// The only renderer code that touches window.studio (the API the preload exposes). A later web mode swaps the
// transport here and nowhere else.
import type { StudioApi } from '../../preload/contract.ts'

export function studio(): StudioApi {
  const api = (window as Window & { studio?: StudioApi }).studio
  if (!api) {
    throw new Error('window.studio is missing: this page must run inside BigGAN Studio (its preload provides it)')
  }
  return api
}
