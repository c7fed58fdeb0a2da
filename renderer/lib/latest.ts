// Latest-wins requests: each call gets a ticket, and only the newest ticket's answer is delivered. The back end
// already drops queued older renders of a view ('superseded'); this also drops answers that arrive out of order.

export class Latest {
  private ticket = 0

  /** Runs `work` and resolves with its value, or with `undefined` when a newer run started meanwhile. */
  async run<T>(work: () => Promise<T>): Promise<{ value: T } | undefined> {
    const mine = ++this.ticket
    const value = await work()
    return mine === this.ticket ? { value } : undefined
  }

  /** Makes every run in flight stale. */
  invalidate(): void {
    this.ticket++
  }

  /** true while `ticket` is the newest */
  isCurrent(ticket: number): boolean {
    return ticket === this.ticket
  }

  next(): number {
    return ++this.ticket
  }
}
