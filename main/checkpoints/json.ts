// A strict JSON parser for untrusted headers. JSON.parse cannot be used as is: it silently keeps the last of two
// duplicate keys, turns `__proto__` into a prototype change when the result is spread, accepts lone surrogates
// and recurses without a depth limit. Objects come back as Maps so every name stays data.

import { CheckpointError, quoted } from '../tensors/errors.ts'

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject
export type JsonObject = Map<string, JsonValue>

const maxDepth = 64
const loneSurrogate = /\p{Cs}/u
const numberPattern = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y

export function parseJson(text: string, what: string, file?: string): JsonValue {
  let pos = 0

  const fail = (message: string): never => {
    throw new CheckpointError('bad-header', `${what}: ${message} at character ${pos}`, file)
  }
  const skipSpace = (): void => {
    while (pos < text.length) {
      const c = text.charCodeAt(pos)
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break
      pos++
    }
  }
  const expect = (ch: string): void => {
    skipSpace()
    if (text[pos] !== ch) fail(`expected '${ch}' but found ${describe(text, pos)}`)
    pos++
  }

  const parseString = (): string => {
    const start = pos
    pos++ // opening quote
    let escaped = false
    for (;;) {
      if (pos >= text.length) fail('unterminated string')
      const c = text.charCodeAt(pos)
      if (c === 0x22) break
      if (c < 0x20) fail('control character inside a string')
      if (c === 0x5c) {
        escaped = true
        pos++
        if (pos >= text.length) fail('unterminated string')
      }
      pos++
    }
    pos++
    const raw = text.slice(start, pos)
    let s: string
    if (!escaped) s = raw.slice(1, -1)
    else {
      try {
        // A single string literal whose escapes we have not validated: JSON.parse does exactly that job.
        s = JSON.parse(raw) as string
      } catch {
        return fail('invalid escape in a string')
      }
    }
    if (loneSurrogate.test(s)) fail('a string holds an unpaired UTF-16 surrogate')
    return s
  }

  const parseValue = (depth: number): JsonValue => {
    if (depth > maxDepth) fail(`nested deeper than ${maxDepth} levels`)
    skipSpace()
    const c = text[pos]
    if (c === '{') {
      pos++
      const obj: JsonObject = new Map()
      skipSpace()
      if (text[pos] === '}') { pos++; return obj }
      for (;;) {
        skipSpace()
        if (text[pos] !== '"') fail(`expected a quoted key but found ${describe(text, pos)}`)
        const key = parseString()
        if (obj.has(key)) fail(`duplicate key ${quoted(key)}`)
        expect(':')
        obj.set(key, parseValue(depth + 1))
        skipSpace()
        if (text[pos] === ',') { pos++; continue }
        if (text[pos] === '}') { pos++; return obj }
        fail(`expected ',' or '}' but found ${describe(text, pos)}`)
      }
    }
    if (c === '[') {
      pos++
      const arr: JsonValue[] = []
      skipSpace()
      if (text[pos] === ']') { pos++; return arr }
      for (;;) {
        arr.push(parseValue(depth + 1))
        skipSpace()
        if (text[pos] === ',') { pos++; continue }
        if (text[pos] === ']') { pos++; return arr }
        fail(`expected ',' or ']' but found ${describe(text, pos)}`)
      }
    }
    if (c === '"') return parseString()
    if (text.startsWith('true', pos)) { pos += 4; return true }
    if (text.startsWith('false', pos)) { pos += 5; return false }
    if (text.startsWith('null', pos)) { pos += 4; return null }
    numberPattern.lastIndex = pos
    const m = numberPattern.exec(text)
    if (!m) return fail(`unexpected ${describe(text, pos)}`)
    pos += m[0].length
    return Number(m[0])
  }

  const value = parseValue(0)
  skipSpace()
  if (pos !== text.length) fail(`unexpected ${describe(text, pos)} after the JSON value`)
  return value
}

function describe(text: string, pos: number): string {
  if (pos >= text.length) return 'the end of the text'
  return JSON.stringify(text.slice(pos, pos + 12))
}
