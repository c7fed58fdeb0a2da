// One HTTP(S) request with the redirect rule a person can trust: redirects are followed by hand (at most
// MAX_REDIRECTS), to the same scheme or up from http to https, never down from https to http and never to another
// scheme, so a download that started encrypted stays encrypted. Connection failures become 'offline' errors that
// name the host.
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { DownloadError } from './errors.ts'

export const MAX_REDIRECTS = 10

export interface OpenOptions {
  method?: 'GET' | 'HEAD'
  headers?: Record<string, string>
  signal?: AbortSignal
  /** how long a silent connection is waited for (connecting, or between bytes), in ms */
  idleTimeoutMs: number
}

export interface Opened {
  response: IncomingMessage
  /** the address that answered, after redirects */
  url: string
}

/** Whether a redirect from `from` to `to` may be followed. */
export function redirectAllowed(from: URL, to: URL): boolean {
  if (to.protocol !== 'http:' && to.protocol !== 'https:') return false
  return !(from.protocol === 'https:' && to.protocol === 'http:')
}

/** Requests `url`, following redirects; resolves with the first non-redirect response (any status). */
export async function open(url: string, options: OpenOptions): Promise<Opened> {
  let current = parseUrl(url)
  for (let hops = 0; ; hops++) {
    const response = await requestOnce(current, options)
    const status = response.statusCode ?? 0
    const location = response.headers.location
    if (![301, 302, 303, 307, 308].includes(status) || !location) return { response, url: current.href }
    response.resume()
    if (hops >= MAX_REDIRECTS) {
      throw new DownloadError('redirect', `${url}: more than ${MAX_REDIRECTS} redirects (last to ${location}); the address may be wrong`)
    }
    let next: URL
    try {
      next = new URL(location, current)
    } catch {
      throw new DownloadError('redirect', `${current.href} redirected to "${location}", which is not an address`)
    }
    if (!redirectAllowed(current, next)) {
      throw new DownloadError(
        'redirect',
        `${current.href} redirected to ${next.href}: refused, a download that starts on https never continues over ${next.protocol.replace(':', '')}. Ask the publisher for an https address`,
      )
    }
    current = next
  }
}

function parseUrl(url: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new DownloadError('catalogue', `"${url}" is not an address (expected http:// or https://)`)
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new DownloadError('catalogue', `${url}: only http and https addresses can be downloaded`)
  }
  return parsed
}

function requestOnce(url: URL, options: OpenOptions): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return reject(cancelled(url))
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest
    const req = send(url, {
      method: options.method ?? 'GET',
      headers: { 'user-agent': 'biggan-studio', 'accept-encoding': 'identity', ...options.headers },
      timeout: options.idleTimeoutMs,
    })
    const onAbort = (): void => {
      req.destroy(cancelled(url))
    }
    options.signal?.addEventListener('abort', onAbort, { once: true })
    req.on('timeout', () => req.destroy(new DownloadError('offline', `${url.host} did not answer within ${Math.round(options.idleTimeoutMs / 1000)} s: check the connection and try again`)))
    req.on('error', (err) => {
      options.signal?.removeEventListener('abort', onAbort)
      reject(err instanceof DownloadError ? err : connectionError(url, err))
    })
    req.on('response', (response) => {
      options.signal?.removeEventListener('abort', onAbort)
      resolve(response)
    })
    req.end()
  })
}

export function cancelled(url: URL | string): DownloadError {
  return new DownloadError('cancelled', `the download of ${String(url)} was cancelled; what arrived is kept and the next try resumes from there`)
}

/** A failed connection, in words: which host, what the system said, what to do. */
export function connectionError(url: URL, err: Error): DownloadError {
  const code = (err as NodeJS.ErrnoException).code ?? ''
  const why: Record<string, string> = {
    ENOTFOUND: 'the name does not resolve (offline, or a wrong address)',
    EAI_AGAIN: 'the name could not be resolved now (offline?)',
    ECONNREFUSED: 'the connection was refused',
    ECONNRESET: 'the connection was reset',
    ETIMEDOUT: 'the connection timed out',
    ENETUNREACH: 'the network is unreachable (offline?)',
    EHOSTUNREACH: 'the host is unreachable',
  }
  const reason = why[code] ?? err.message
  return new DownloadError('offline', `cannot reach ${url.host} (${reason}${code && why[code] ? `, ${code}` : ''}): check the connection and try again; a partial download is kept and resumes`)
}
