// Numbers typed into fields: a number input bound to state can hold NaN or a value out of range.

/** v rounded and clamped to [lo, hi]; `fallback` when v is not a number. */
export function clampInt(v: number, lo: number, hi: number, fallback: number): number {
  if (!Number.isFinite(v)) return fallback
  return Math.min(hi, Math.max(lo, Math.round(v)))
}

/** v clamped to [lo, hi]; `fallback` when v is not a number. */
export function clampNumber(v: number, lo: number, hi: number, fallback: number): number {
  if (!Number.isFinite(v)) return fallback
  return Math.min(hi, Math.max(lo, v))
}
