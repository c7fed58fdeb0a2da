// Numbers typed into fields: a number input bound to state can hold NaN or a value out of range. The fit* helpers
// say when what is used differs from what was typed, so a form can show it beside the field instead of quietly
// using another value.

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

/** The value a form uses, and a note when it is not the value typed (null when it is). */
export interface Fitted {
  value: number
  note: string | null
}

/** clampInt, saying what changed: "0 is below the least, 1: using 1". */
export function fitInt(v: number, lo: number, hi: number, fallback: number): Fitted {
  return fitted(v, clampInt(v, lo, hi, fallback), lo, hi, 'a whole number')
}

/** clampNumber, saying what changed. */
export function fitNumber(v: number, lo: number, hi: number, fallback: number): Fitted {
  return fitted(v, clampNumber(v, lo, hi, fallback), lo, hi, 'a number')
}

function fitted(typed: number, value: number, lo: number, hi: number, kind: string): Fitted {
  if (typed === value) return { value, note: null }
  const range = `${kind} from ${formatLimit(lo)} to ${formatLimit(hi)}`
  if (!Number.isFinite(typed)) return { value, note: `Not a number (${range}): using ${formatLimit(value)}.` }
  if (typed < lo) return { value, note: `${formatLimit(typed)} is below the least, ${formatLimit(lo)}: using ${formatLimit(value)}.` }
  if (typed > hi) return { value, note: `${formatLimit(typed)} is above the most, ${formatLimit(hi)}: using ${formatLimit(value)}.` }
  return { value, note: `${formatLimit(typed)} is not ${kind}: using ${formatLimit(value)}.` }
}

/** A bound or value as a person reads it: 10 000 000, not 10000000 or 1e7. */
export function formatLimit(v: number): string {
  if (!Number.isFinite(v)) return String(v)
  if (Number.isInteger(v) && Math.abs(v) >= 10_000) return v.toLocaleString('en-GB').replace(/,/g, ' ')
  return String(v).replace('-', '−')
}

/** A note for a text field at its limit (a field's maxlength keeps the rest out, typed or pasted), or null. */
export function textLimitNote(length: number, max: number, what: string): string | null {
  return length >= max ? `The ${what} takes at most ${formatLimit(max)} characters; anything past them is not kept.` : null
}
