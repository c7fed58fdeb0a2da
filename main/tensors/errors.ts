// One error type for everything a checkpoint reader can refuse. The message says what was wrong and what to do;
// `file` and `tensor` say where. Readers never throw anything else on bad bytes (the fuzz tests hold them to it).

export type CheckpointErrorCode =
  | 'truncated' // the file ends before a structure it promises
  | 'bad-magic' // not the format it was opened as
  | 'bad-header' // a header/record that contradicts the format
  | 'unsafe-pickle' // a pickle that asks for code or a global outside the allowlist
  | 'unsupported' // a legal but unsupported feature (dtype, compression, byte order)
  | 'missing-key' // a tensor the architecture needs is absent
  | 'unknown-key' // a tensor the architecture does not know
  | 'shape-mismatch' // a tensor whose shape contradicts the architecture
  | 'non-finite' // NaN or Inf in a weight
  | 'too-large' // a size that cannot be real (header > 100 MB, numel > 2^53 …)
  | 'io' // the file system refused

export class CheckpointError extends Error {
  override readonly name = 'CheckpointError'
  constructor(
    readonly code: CheckpointErrorCode,
    message: string,
    readonly file?: string,
    readonly tensor?: string,
  ) {
    super(
      [file ? `${file}: ` : '', tensor ? `tensor '${clipped(tensor)}': ` : '', message].join(''),
    )
  }
}

/** A name or string from a file as a message shows it: cut short, since a hostile file can make it megabytes. */
export function clipped(text: string, max = 120): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`
}

/** `clipped`, in JSON quotes so that control characters and spaces stay visible. */
export function quoted(text: string, max = 120): string {
  return text.length <= max ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, max))}… (${text.length} characters)`
}
