// How a caller stops a reader part way. The readers run synchronously, so a cancel raised elsewhere (the engine
// worker's shared flag, an AbortSignal) reaches them only through a call: they call `checkCancelled` between
// records (a storage, a zip entry, a tensor, every few thousand pickle opcodes), and it throws to stop the read
// there. The reader lets that error through unchanged. With an AbortSignal: `() => signal.throwIfAborted()`.

export type CheckCancelled = () => void

export interface ReadOptions {
  /** called between records; throws to stop reading */
  checkCancelled?: CheckCancelled
}
