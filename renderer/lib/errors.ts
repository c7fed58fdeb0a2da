// Errors as the views show them. 'superseded' and 'cancelled' are not failures: a newer request replaced the
// request, or the user cancelled it, so nothing is shown.

export function errorCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof (e as { code: unknown }).code === 'string') {
    return (e as { code: string }).code
  }
  return undefined
}

/** true for errors the user should never see (a newer request replaced it, or it was cancelled) */
export function isQuiet(e: unknown): boolean {
  const code = errorCode(e)
  return code === 'superseded' || code === 'cancelled'
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message
  if (typeof e === 'string') return e
  return String(e)
}
