// A deterministic measure of the work a reader does, so that tests can bound how work grows with the input instead
// of timing it. Two parts, both exact counts:
//  * every function call and block the readers' own code runs (V8's precise block coverage over main/checkpoints/
//    and main/tensors/), and
//  * the elements that the array, typed-array and string builtins called meanwhile examine or copy, which coverage
//    cannot see: a `list.includes(key)` in a loop is one block per call, but a scan of the whole list.
// Builtins left unwrapped (spread, Map and Set constructors, TextDecoder) are not counted.

import { Session } from 'node:inspector'

const readerScripts = /\/main\/(checkpoints|tensors)\/[^/]+\.ts$|\/main\/checkpoints\/(importers|tf)\//

interface ScriptCoverage {
  url: string
  functions: Array<{ ranges: Array<{ count: number }> }>
}

let session: Session | undefined

/** Posts to the in-thread inspector; its replies arrive synchronously. */
function post<T>(method: string, params: object = {}): T {
  let reply: { value?: T; error?: Error } | undefined
  session!.post(method, params, (error, value) => {
    reply = { value: value as T, error: error ?? undefined }
  })
  if (!reply) throw new Error(`the inspector did not answer ${method} synchronously`)
  if (reply.error) throw reply.error
  return reply.value as T
}

/** Starts precise coverage once per process, before the readers run, so every function is counted from its start. */
export function startCounting(): void {
  if (session) return
  session = new Session()
  session.connect()
  post('Profiler.enable')
  post('Profiler.startPreciseCoverage', { callCount: true, detailed: true })
}

function coveredRuns(): number {
  const { result } = post<{ result: ScriptCoverage[] }>('Profiler.takePreciseCoverage')
  let total = 0
  for (const script of result) {
    if (!readerScripts.test(script.url)) continue
    for (const f of script.functions) for (const r of f.ranges) total += r.count
  }
  return total
}

/** What one call cost, from the receiver's length before the call, the arguments, the result and the receiver. */
type Charge = (length: number, args: unknown[], result: unknown, self: unknown) => number

const position = (arg: unknown, length: number, otherwise: number): number =>
  typeof arg === 'number' ? Math.min(length, Math.max(0, arg < 0 ? length + arg : arg)) : otherwise

/** Elements a search examined: up to and including the hit, or to the end when there was none. */
const scanned: Charge = (length, args, result) => {
  const from = position(args[1], length, 0)
  return typeof result === 'number' && result >= 0 ? result - from + 1 : length - from
}
const lengthOfResult: Charge = (_length, _args, result) => (result as { length: number }).length
const lengthOfSelf: Charge = (length) => length
const lengthOfFirstArgument: Charge = (_length, args) => (args[0] as { length?: number })?.length ?? 0
/** splice: what it removes and inserts, and the tail it shifts when those differ in number. */
const spliced: Charge = (length, args, result) => {
  const start = position(args[0], length, 0)
  const removed = (result as unknown[]).length
  const inserted = Math.max(0, args.length - 2)
  return removed + inserted + (removed === inserted ? 0 : length - start - removed)
}

const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object

// includes is charged through indexOf's answer (the position it stops at)
const wrapped: Array<[object, string, Charge]> = [
  [Array.prototype, 'indexOf', scanned],
  [Array.prototype, 'lastIndexOf', lengthOfSelf],
  [Array.prototype, 'slice', lengthOfResult],
  [Array.prototype, 'splice', spliced],
  [Array.prototype, 'concat', lengthOfResult],
  [Array.prototype, 'join', lengthOfResult],
  [Array.prototype, 'sort', lengthOfSelf],
  [Array, 'from', lengthOfResult],
  [typedArrayPrototype, 'indexOf', scanned],
  [typedArrayPrototype, 'lastIndexOf', lengthOfSelf],
  [typedArrayPrototype, 'slice', lengthOfResult],
  [typedArrayPrototype, 'set', lengthOfFirstArgument],
  [String.prototype, 'indexOf', scanned],
  [String.prototype, 'lastIndexOf', lengthOfSelf],
  [String.prototype, 'slice', lengthOfResult],
  [String.prototype, 'split', lengthOfSelf],
]

function wrapBuiltins(count: (n: number) => void): () => void {
  const restore: Array<() => void> = []
  const searchers = [Array.prototype, typedArrayPrototype, String.prototype].map((owner) => ({
    owner,
    indexOf: (owner as { indexOf: (...a: unknown[]) => number }).indexOf,
    includes: (owner as { includes: (...a: unknown[]) => boolean }).includes,
  }))
  const install = (owner: object, name: string, charge: Charge, original: (...a: unknown[]) => unknown): void => {
    const descriptor = Object.getOwnPropertyDescriptor(owner, name)!
    Object.defineProperty(owner, name, {
      ...descriptor,
      value: function (this: { length: number }, ...args: unknown[]) {
        const length = this.length
        const result = original.apply(this, args)
        count(charge(length, args, result, this))
        return result
      },
    })
    restore.push(() => Object.defineProperty(owner, name, descriptor))
  }
  for (const [owner, name, charge] of wrapped) {
    install(owner, name, charge, (owner as Record<string, (...a: unknown[]) => unknown>)[name])
  }
  // includes answers only yes or no: charge it what indexOf would have scanned
  for (const { owner, indexOf, includes } of searchers) {
    install(owner, 'includes', (length, args, _result, self) => scanned(length, args, indexOf.apply(self, args), self), includes)
  }
  return () => {
    for (const undo of restore.reverse()) undo()
  }
}

/** The work `run` does, as defined above. */
export function measureWork(run: () => unknown): number {
  startCounting()
  coveredRuns() // resets the counters
  let builtinWork = 0
  const restore = wrapBuiltins((n) => (builtinWork += n))
  try {
    run()
  } finally {
    restore()
  }
  return coveredRuns() + builtinWork
}

/**
 * How much more work `read` does on `n2` records than on `n1`. Both inputs are built before anything is measured; a
 * small warm-up read first so that nothing done once (compiling, first-time tables) is charged to one size only.
 */
export function workGrowth<T>(build: (records: number) => T, read: (input: T) => unknown, n1: number, n2 = 2 * n1): {
  small: number
  large: number
  ratio: number
} {
  const warm = build(8)
  const [a, b] = [build(n1), build(n2)]
  measureWork(() => read(warm))
  const small = measureWork(() => read(a))
  const large = measureWork(() => read(b))
  return { small, large, ratio: large / small }
}
