// The built renderer as web mode serves it: which file a path names (never one outside the renderer folder), its
// type, and the headers every response carries. The page's policy is the desktop one (main/index.ts and the meta tag
// in renderer/index.html; a test keeps them equal) with the WebSocket added, and framing forbidden.
import { realpath, stat } from 'node:fs/promises'
import { extname, resolve, sep } from 'node:path'

export const RENDERER_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; font-src 'self'; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'"

/** The renderer's policy for a page served on `host` (already checked: 127.0.0.1:PORT or localhost:PORT). */
export function pageCsp(host: string): string {
  return `${RENDERER_CSP.replace("connect-src 'self'", `connect-src 'self' ws://${host}`)}; frame-ancestors 'none'`
}

/** For pages that are not the studio (the 403 and error pages): nothing at all may load. */
export const BARE_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** Sent with every response. No Access-Control-* headers: no other origin may read anything here. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
}

export function mimeOf(file: string): string {
  return MIME[extname(file).toLowerCase()] ?? 'application/octet-stream'
}

/** The regular file under rendererDir that a URL path names, or null: for a path that does not decode, holds a NUL,
 *  a segment starting with '.' ('..', dot-files), leaves the folder (also through a symbolic link), or names no regular file. */
export async function rendererFile(rendererDir: string, pathname: string): Promise<string | null> {
  let path: string
  try {
    path = decodeURIComponent(pathname)
  } catch {
    return null
  }
  if (path.includes('\0')) return null
  const segments = path.split(/[/\\]/)
  if (segments.some((s) => s.startsWith('.'))) return null
  const root = resolve(rendererDir)
  const file = resolve(root, '.' + path)
  if (!file.startsWith(root + sep)) return null
  try {
    const [realRoot, realFile] = await Promise.all([realpath(root), realpath(file)])
    if (!realFile.startsWith(realRoot + sep)) return null
    return (await stat(realFile)).isFile() ? realFile : null
  } catch {
    return null
  }
}
