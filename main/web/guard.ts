// Who may talk to web mode's server, which listens on 127.0.0.1 but is reachable by any page the user opens:
// requests must name our own host (DNS rebinding), WebSocket upgrades must come from our own page (cross-site
// WebSocket hijacking), and the page and the API need the launch token. Pure functions of the request's headers,
// so that each rule is tested on its own; none of them throws on a malformed header.
import { createHash, timingSafeEqual } from 'node:crypto'

/** The request's Host if it is one of ours (`127.0.0.1:PORT` or `localhost:PORT`, any case), lower-cased; else
 *  null. A page on another name that resolves to 127.0.0.1 (DNS rebinding) sends its own name here. */
export function ourHost(host: string | undefined, port: number): string | null {
  if (typeof host !== 'string') return null
  const h = host.toLowerCase()
  for (const name of ['127.0.0.1', 'localhost']) {
    if (h === `${name}:${port}` || (port === 80 && h === name)) return `${name}:${port}`
  }
  return null
}

/** Whether an upgrade's Origin is the page this server served on that host. Browsers always send Origin on a
 *  WebSocket handshake, so a missing one is refused too. */
export function isOwnOrigin(origin: string | undefined, host: string): boolean {
  return typeof origin === 'string' && origin.toLowerCase() === `http://${host}`
}

/** Constant-time comparison of the token a request carries with the launch token (hashing first makes the
 *  lengths equal, so not even the length leaks). */
export function tokenMatches(given: string | null | undefined, token: string): boolean {
  if (typeof given !== 'string' || given.length === 0 || given.length > 1024) return false
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest()
  return timingSafeEqual(digest(given), digest(token))
}

/** A request target ('/path?query') parsed under our own origin, or null when it is not one. Appended rather than
 *  resolved, so that '//elsewhere/x' stays a path here. */
export function parseTarget(target: string | undefined): URL | null {
  if (typeof target !== 'string' || !target.startsWith('/')) return null
  try {
    return new URL(`http://127.0.0.1${target}`)
  } catch {
    return null
  }
}
