// The latent record a studio PNG carries (in a tEXt chunk keyed 'biggan-latent'), so a dropped PNG reopens its
// exact point. Writing escapes the JSON to ASCII (tEXt is Latin-1). Reading is strict: the
// PNG's structure, the chunks it reads (CRC-32 included) and every field of the record are checked, and each refusal
// says what was wrong and what to do. Pure: bytes in, a record out.
import { crc32 } from '../checkpoints/crc32.ts'
import { upscaleProblem, type Upscale } from './upscale.ts'

export const LATENT_KEY = 'biggan-latent'
export const LATENT_FORMAT = 'biggan-studio-latent'
export const LATENT_VERSION = 1

/** The most values a record's z and y may hold: a record beyond them is refused as malformed. The contract carries a
 *  record's point back to the renderer under bounds of its own (test/images/latentRecord.test.ts keeps them equal). */
export const LATENT_LIMITS = { zDim: 1024, classes: 100_000 } as const

/** A point as a studio PNG carries it: the point, and what it needs to be regenerated exactly elsewhere. */
export interface LatentRecord {
  format: typeof LATENT_FORMAT
  version: number
  modelHash: string
  modelName: string
  engineVersion: string
  /** how the model reads `truncation`: a resampling threshold ('paper') or ψ, which also selects BatchNorm
   *  statistics ('released') */
  semantics: 'paper' | 'released'
  z: number[]
  y: number[]
  truncation: number
  seed?: number
  /** how the image was enlarged from the model's resolution; absent: as generated */
  upscale?: Upscale
}

const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]
const REOPEN_HINT = 'Drop a PNG that BigGAN Studio exported (Export → PNG): only those carry the point they show'

export class LatentRecordError extends Error {
  override readonly name = 'LatentRecordError'
}

/** The tEXt value for a record: JSON with every non-ASCII character escaped. Float32 values survive exactly: a
 *  float32 widened to a double prints as the shortest decimal that parses back to the same double, and −0 is
 *  written as -0 (JSON.stringify would write 0). */
export function latentRecordText(record: LatentRecord): string {
  const { z, y, ...rest } = record
  const numbers = (values: number[]): string => `[${values.map((v) => (Object.is(v, -0) ? '-0' : String(v))).join(',')}]`
  const json = `${JSON.stringify(rest).slice(0, -1)},"z":${numbers(z)},"y":${numbers(y)}}`
  return json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

/** The record inside a PNG the studio wrote. */
export function readLatentRecord(png: Uint8Array): LatentRecord {
  const text = latentText(png)
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new LatentRecordError(`this PNG's '${LATENT_KEY}' record is not valid JSON (it was edited or damaged). ${REOPEN_HINT}`)
  }
  return checkRecord(value)
}

/** Walks the PNG's chunks and returns the latent record's text. */
function latentText(png: Uint8Array): string {
  if (png.length < 8 || signature.some((b, i) => png[i] !== b)) {
    throw new LatentRecordError(`this file is not a PNG (its first bytes are not the PNG signature). ${REOPEN_HINT}`)
  }
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength)
  let o = 8
  let text: string | undefined
  let first = true
  for (;;) {
    if (o + 12 > png.length) {
      throw new LatentRecordError(`this PNG is cut short: it ends at byte ${png.length} before its IEND chunk. ${REOPEN_HINT}`)
    }
    const length = view.getUint32(o)
    const type = String.fromCharCode(...png.subarray(o + 4, o + 8))
    if (!/^[A-Za-z]{4}$/.test(type)) throw new LatentRecordError(`this PNG has a malformed chunk at byte ${o}. ${REOPEN_HINT}`)
    if (length > png.length - o - 12) {
      throw new LatentRecordError(`this PNG's '${type}' chunk at byte ${o} runs past the end of the file (cut short?). ${REOPEN_HINT}`)
    }
    if (first && (type !== 'IHDR' || length !== 13)) {
      throw new LatentRecordError(`this PNG does not start with its IHDR header chunk. ${REOPEN_HINT}`)
    }
    first = false
    // only the chunks read here are CRC-checked: the image data is the decoder's business
    if (type === 'IHDR' || type === 'tEXt') {
      const stored = view.getUint32(o + 8 + length)
      if (crc32(png.subarray(o + 4, o + 8 + length)) !== stored) {
        throw new LatentRecordError(`this PNG's '${type}' chunk at byte ${o} fails its CRC-32 check: the file is damaged. ${REOPEN_HINT}`)
      }
    }
    if (type === 'tEXt') {
      const data = png.subarray(o + 8, o + 8 + length)
      const nul = data.indexOf(0)
      if (nul > 0 && Buffer.from(data.subarray(0, nul)).toString('latin1') === LATENT_KEY) {
        if (text !== undefined) throw new LatentRecordError(`this PNG carries two '${LATENT_KEY}' records; it was not written by the studio. ${REOPEN_HINT}`)
        text = Buffer.from(data.subarray(nul + 1)).toString('latin1')
      }
    }
    o += 12 + length
    if (type === 'IEND') break
  }
  if (text === undefined) {
    throw new LatentRecordError(`this PNG carries no BigGAN Studio latent record ('${LATENT_KEY}'). ${REOPEN_HINT}`)
  }
  return text
}

function checkRecord(value: unknown): LatentRecord {
  const bad = (what: string): never => {
    throw new LatentRecordError(`this PNG's latent record is malformed: ${what}. ${REOPEN_HINT}`)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('it is not an object')
  const o = value as Record<string, unknown>
  if (o.format !== LATENT_FORMAT) bad(`its format is ${JSON.stringify(o.format)}, not '${LATENT_FORMAT}'`)
  if (typeof o.version !== 'number' || !Number.isInteger(o.version) || o.version < 1) bad('it has no version number')
  if (o.version !== LATENT_VERSION) {
    throw new LatentRecordError(
      `this PNG's latent record is version ${o.version}; this studio reads version ${LATENT_VERSION}. Update BigGAN Studio to reopen it`,
    )
  }
  const text = (k: string): string => (typeof o[k] === 'string' ? (o[k] as string) : bad(`'${k}' is not text`))
  const numbers = (k: string, max: number): number[] => {
    const v = o[k]
    if (!Array.isArray(v) || v.length === 0 || v.length > max) bad(`'${k}' is not a list of 1 to ${max} numbers`)
    const list = v as unknown[]
    const i = list.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x))
    if (i >= 0) bad(`'${k}'[${i}] is not a finite number`)
    return list as number[]
  }
  if (o.semantics !== 'paper' && o.semantics !== 'released') bad(`'semantics' is ${JSON.stringify(o.semantics)}, not 'paper' or 'released'`)
  const truncation = o.truncation
  if (typeof truncation !== 'number' || !(truncation >= 0.001 && truncation <= 4)) bad("'truncation' is not a number in [0.001, 4]")
  const seed = o.seed
  if (seed !== undefined && !(typeof seed === 'number' && Number.isInteger(seed) && seed >= 0 && seed <= 2 ** 32 - 1)) {
    bad("'seed' is not a whole number in [0, 2^32 − 1]")
  }
  const upscale = o.upscale
  if (upscale !== undefined) {
    const u = upscale as Record<string, unknown>
    const problem = typeof upscale !== 'object' || upscale === null ? 'it is not an object' : upscaleProblem(u.factor as number, String(u.filter))
    if (problem) bad(`'upscale' is not a factor and filter (${problem})`)
  }
  return {
    format: LATENT_FORMAT,
    version: LATENT_VERSION,
    modelHash: text('modelHash'),
    modelName: text('modelName'),
    engineVersion: text('engineVersion'),
    semantics: o.semantics as LatentRecord['semantics'],
    z: numbers('z', LATENT_LIMITS.zDim),
    y: numbers('y', LATENT_LIMITS.classes),
    truncation: truncation as number,
    ...(seed !== undefined ? { seed: seed as number } : {}),
    ...(upscale !== undefined ? { upscale: { factor: (upscale as Upscale).factor, filter: (upscale as Upscale).filter } } : {}),
  }
}
