// Which frames may call into main (Electron security checklist item 17): only a top-level frame showing the
// studio's own pages. Pure, so it is tested without Electron.

export interface SenderFrame {
  url: string
  isTopFrame: boolean
}

// `origins`: the studio's origins, e.g. 'app://studio' (plus the dev server's origin when running `electron-vite
// dev`). A null frame (already navigated away or destroyed) is never trusted.
export function isTrustedSender(frame: SenderFrame | null, origins: readonly string[]): boolean {
  if (!frame || !frame.isTopFrame) return false
  let url: URL
  try {
    url = new URL(frame.url)
  } catch {
    return false
  }
  return origins.includes(originOf(url))
}

// URL.origin is 'null' for non-special schemes such as app://, so build it from the parts.
function originOf(url: URL): string {
  return `${url.protocol}//${url.host}`
}
