// A few lines of runtime schema, so that every value crossing the IPC boundary is checked where it lands and its
// TypeScript type is inferred from the same declaration (the idea of zod, without the dependency).
// `parse` returns the value (a fresh copy of objects, holding only the declared keys) or throws SchemaError.

export interface Schema<T> {
  readonly describe: string
  parse(value: unknown, path?: string): T
}

export type Infer<S> = S extends Schema<infer T> ? T : never

/** A channel of the contract: the schema of its input and of its output. */
export interface ChannelSchemas {
  input: Schema<unknown>
  output: Schema<unknown>
}

// An object schema's type: keys whose schema admits undefined become optional (`error?: string`).
type Shape = Record<string, Schema<unknown>>
type OptionalKeys<S extends Shape> = { [K in keyof S]: undefined extends Infer<S[K]> ? K : never }[keyof S]
type Flat<T> = { [K in keyof T]: T[K] }
export type ObjectOf<S extends Shape> = Flat<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }
>

export class SchemaError extends Error {
  override readonly name = 'SchemaError'
}

function fail(path: string, expected: string, value: unknown): never {
  throw new SchemaError(`${path || 'value'}: expected ${expected}, got ${described(value)}`)
}

/** What a refused value was, so that the refusal shows it beside the limit: the number itself, a short string
 *  itself and a long one's length (its text may be huge), an array's or a typed array's size. */
function described(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'number') return String(value)
  if (typeof value === 'string') return value.length <= 32 ? JSON.stringify(value) : `a string of ${value.length} characters`
  if (Array.isArray(value)) return `an array of ${value.length} items`
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of ${(value as unknown as { length: number }).length} values`
  return typeof value
}

export const s = {
  string: (): Schema<string> => ({
    describe: 'a string',
    parse: (v, path = '') => (typeof v === 'string' ? v : fail(path, 'a string', v)),
  }),
  number: (): Schema<number> => ({
    describe: 'a finite number',
    parse: (v, path = '') => (typeof v === 'number' && Number.isFinite(v) ? v : fail(path, 'a finite number', v)),
  }),
  boolean: (): Schema<boolean> => ({
    describe: 'a boolean',
    parse: (v, path = '') => (typeof v === 'boolean' ? v : fail(path, 'a boolean', v)),
  }),
  // No argument at all: what an `invoke(channel)` without a payload delivers.
  none: (): Schema<undefined> => ({
    describe: 'nothing',
    parse: (v, path = '') => (v === undefined ? undefined : fail(path, 'nothing', v)),
  }),
  optional: <T>(inner: Schema<T>): Schema<T | undefined> => ({
    describe: `${inner.describe} or nothing`,
    parse: (v, path = '') => (v === undefined ? undefined : inner.parse(v, path)),
  }),
  array: <T>(item: Schema<T>): Schema<T[]> => ({
    describe: `an array of ${item.describe}`,
    parse: (v, path = '') =>
      Array.isArray(v) ? v.map((x, i) => item.parse(x, `${path}[${i}]`)) : fail(path, 'an array', v),
  }),
  object: <S extends Shape>(shape: S): Schema<ObjectOf<S>> => ({
    describe: 'an object',
    parse: (v, path = '') => {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'an object', v)
      const record = v as Record<string, unknown>
      const out: Record<string, unknown> = {}
      for (const key of Object.keys(shape)) {
        const value = Object.hasOwn(record, key) ? record[key] : undefined
        const parsed = shape[key].parse(value, path ? `${path}.${key}` : key)
        if (parsed !== undefined) out[key] = parsed
      }
      return out as ObjectOf<S>
    },
  }),
  // A string of bounded length (names, queries, paths): nothing unbounded crosses the boundary.
  text: (maxLength: number): Schema<string> => ({
    describe: `a string of at most ${maxLength} characters`,
    parse: (v, path = '') =>
      typeof v === 'string' && v.length <= maxLength ? v : fail(path, `a string of at most ${maxLength} characters`, v),
  }),
  // A finite number in [min, max].
  range: (min: number, max: number): Schema<number> => ({
    describe: `a number in [${min}, ${max}]`,
    parse: (v, path = '') =>
      typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max ? v : fail(path, `a number in [${min}, ${max}]`, v),
  }),
  // An integer in [min, max].
  integer: (min: number, max: number): Schema<number> => ({
    describe: `an integer in [${min}, ${max}]`,
    parse: (v, path = '') =>
      Number.isInteger(v) && (v as number) >= min && (v as number) <= max
        ? (v as number)
        : fail(path, `an integer in [${min}, ${max}]`, v),
  }),
  // One of a fixed set of strings.
  oneOf: <const T extends readonly string[]>(...values: T): Schema<T[number]> => ({
    describe: `one of ${values.join(', ')}`,
    parse: (v, path = '') =>
      typeof v === 'string' && (values as readonly string[]).includes(v) ? (v as T[number]) : fail(path, `one of ${values.join(', ')}`, v),
  }),
  nullable: <T>(inner: Schema<T>): Schema<T | null> => ({
    describe: `${inner.describe} or null`,
    parse: (v, path = '') => (v === null ? null : inner.parse(v, path)),
  }),
  // Raw bytes (PNG files, pixels): a Uint8Array of at most maxLength bytes, passed through as it is.
  bytes: (maxLength: number): Schema<Uint8Array> => ({
    describe: `a Uint8Array of at most ${maxLength} bytes`,
    parse: (v, path = '') =>
      v instanceof Uint8Array && v.length <= maxLength ? v : fail(path, `a Uint8Array of at most ${maxLength} bytes`, v),
  }),
  // Latents and class vectors: a Float32Array of at most maxLength finite values.
  floats: (maxLength: number): Schema<Float32Array> => ({
    describe: `a Float32Array of at most ${maxLength} finite values`,
    parse: (v, path = '') => {
      if (!(v instanceof Float32Array) || v.length > maxLength) fail(path, `a Float32Array of at most ${maxLength} values`, v)
      for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) fail(`${path}[${i}]`, 'a finite number', v[i])
      return v
    },
  }),
  // An array of at most maxLength items.
  list: <T>(item: Schema<T>, maxLength: number): Schema<T[]> => ({
    describe: `an array of at most ${maxLength} ${item.describe}`,
    parse: (v, path = '') =>
      Array.isArray(v) && v.length <= maxLength
        ? v.map((x, i) => item.parse(x, `${path}[${i}]`))
        : fail(path, `an array of at most ${maxLength} items`, v),
  }),
}

