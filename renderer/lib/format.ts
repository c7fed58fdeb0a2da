// Numbers and dates as the studio shows them.

/** 1234 → "1.2 k", 70_433_000 → "70.4 M" */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '–'
  const abs = Math.abs(n)
  if (abs >= 1e9) return `${(n / 1e9).toFixed(abs >= 1e10 ? 1 : 2)} G`
  if (abs >= 1e6) return `${(n / 1e6).toFixed(abs >= 1e7 ? 1 : 2)} M`
  if (abs >= 1e3) return `${(n / 1e3).toFixed(1)} k`
  return String(n)
}

export function formatTruncation(t: number): string {
  return t.toFixed(t < 0.1 ? 3 : 2)
}

export function formatPercent(x: number): string {
  return `${Math.round(x * 100)}%`
}

/** An ISO time as a short local date and time, or the text as it is when it is not a date. */
export function formatDate(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

/** The label for the truncation control under a model's semantics. */
export function truncationLabel(semantics: 'paper' | 'released'): { name: string; hint: string } {
  return semantics === 'paper'
    ? { name: 'Truncation threshold', hint: 'z is drawn from N(0, I) with values beyond ±threshold redrawn; lower is more typical, less varied' }
    : { name: 'Truncation ψ', hint: 'z = ψ·TN(−2, 2), and ψ selects the generator’s BatchNorm statistics; lower is more typical, less varied' }
}
