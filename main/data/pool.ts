// Runs `work(i)` for i in [0, count) with at most `limit` running at once. Decoding is bounded this way so a
// folder of large photos never has more than a few compressed files and libvips pipelines in memory together.
// Waits for every task before rethrowing the first failure, so no task is still writing after the caller moved on.

export async function runPool(count: number, limit: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++
      await work(i)
    }
  }
  const results = await Promise.allSettled(Array.from({ length: Math.min(limit, count) }, worker))
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
  if (failure) throw failure.reason
}
