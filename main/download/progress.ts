// Speed and time left of a transfer, from the bytes seen over the last few seconds (a sliding window, so a stall
// shows at once rather than averaging away), and the words the CLI and the studio show for them.

const WINDOW_MS = 5000

export class Rate {
  private samples: { at: number; bytes: number }[] = []

  constructor(private readonly now: () => number = Date.now) {}

  /** Records the transfer's byte count now; returns the speed in bytes per second (0 until two samples). */
  add(bytes: number): number {
    const at = this.now()
    this.samples.push({ at, bytes })
    while (this.samples.length > 2 && at - this.samples[0].at > WINDOW_MS) this.samples.shift()
    const first = this.samples[0]
    const seconds = (at - first.at) / 1000
    return seconds > 0 ? (bytes - first.bytes) / seconds : 0
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = -1
  do {
    value /= 1000
    unit++
  } while (value >= 1000 && unit < units.length - 1)
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`
}

/** "12.3 MB of 40.0 MB, 2.10 MB/s, 13 s left" (the size and time left only where the total is known). */
export function describeTransfer(done: number, total: number | undefined, bytesPerSecond: number): string {
  const speed = bytesPerSecond > 0 ? `, ${formatBytes(Math.round(bytesPerSecond))}/s` : ''
  if (total === undefined) return `${formatBytes(done)}${speed}`
  const left = bytesPerSecond > 0 ? `, ${formatDuration((total - done) / bytesPerSecond)} left` : ''
  return `${formatBytes(done)} of ${formatBytes(total)}${speed}${left}`
}
