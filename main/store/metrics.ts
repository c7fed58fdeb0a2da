// Generator metrics measured in the studio: one row per measurement, with what makes its numbers comparable
// or not — the model's content hash, the extractor (kind, name, content hash of its weights, feature width), the
// real folder's content hash and the real and generated counts, the class and the settings — beside the numbers.
// Rows come back as StoredGeneratorMetrics, newest first per model.
import type Database from 'better-sqlite3'
import { checkInteger, checkText, invalid, now } from './codec.ts'
import { LibraryError } from './errors.ts'
import { STORE_LIMITS } from './limits.ts'

/** Which kind of extractor measured the numbers: the bundled classifier, the model's D, or a user's folder. */
export type ExtractorKind = 'classifier' | 'discriminator' | 'user'

/** The numbers at one truncation (null: z drawn untruncated). */
export interface StoredMetricsPoint {
  truncation: number | null
  fd: number
  kid: { mean: number; std: number; subsets: number; subsetSize: number }
  precision: number
  recall: number
  density: number
  coverage: number
}

/** A measurement as the library keeps it: 'metrics' for one truncation, 'curve' for several. */
export interface StoredGeneratorMetrics {
  id: number
  kind: 'metrics' | 'curve'
  model: { hash: string; path: string; name: string }
  extractor: { kind: ExtractorKind; name: string; hash: string; dims: number }
  real: { path: string; hash: string; count: number }
  fakeCount: number
  /** the measured class; null: all classes */
  class: number | null
  settings: {
    truncations: (number | null)[]
    seed: number
    realLimit: number
    kidSubsets: number
    k: { precisionRecall: number; densityCoverage: number }
  }
  /** one per truncation, in the order measured */
  points: StoredMetricsPoint[]
  note: string
  savedTo: string | null
  saveNote: string | null
  warnings: string[]
  createdAt: string
}

export type NewGeneratorMetrics = Omit<StoredGeneratorMetrics, 'id' | 'kind' | 'createdAt'>

const EXTRACTOR_KINDS: readonly ExtractorKind[] = ['classifier', 'discriminator', 'user']
/** truncations and notes: a few kilobytes per row */
const JSON_LIMIT = 1_000_000

interface MetricsRow {
  id: number
  kind: 'metrics' | 'curve'
  model_hash: string
  model_path: string
  model_name: string
  extractor: ExtractorKind
  extractor_name: string
  extractor_hash: string
  real_path: string
  real_hash: string
  real_count: number
  fake_count: number
  class_index: number | null
  settings: string
  result: string
  created_at: string
}

/** What the result column holds: the numbers and what was said about them. */
type StoredResult = Pick<StoredGeneratorMetrics, 'points' | 'note' | 'savedTo' | 'saveNote' | 'warnings'> & { dims: number }

export class GeneratorMetricsStore {
  constructor(
    private readonly db: Database.Database,
    private readonly file: string,
  ) {}

  /** Stores a measurement: 'metrics' for one truncation, 'curve' for several. */
  save(m: NewGeneratorMetrics): StoredGeneratorMetrics {
    const points = checkPoints(m?.points)
    const row = {
      kind: points.length === 1 ? 'metrics' : 'curve',
      modelHash: checkText('model.hash', m.model?.hash, STORE_LIMITS.hash, { nonEmpty: true }),
      modelPath: checkText('model.path', m.model.path, STORE_LIMITS.path, { nonEmpty: true }),
      modelName: checkText('model.name', m.model.name, STORE_LIMITS.modelName),
      extractor: EXTRACTOR_KINDS.includes(m.extractor?.kind)
        ? m.extractor.kind
        : invalid('extractor.kind', `one of ${EXTRACTOR_KINDS.join(', ')}`, m.extractor?.kind),
      extractorName: checkText('extractor.name', m.extractor.name, STORE_LIMITS.path + 32, { nonEmpty: true }),
      extractorHash: checkText('extractor.hash', m.extractor.hash, STORE_LIMITS.hash, { nonEmpty: true }),
      realPath: checkText('real.path', m.real?.path, STORE_LIMITS.path, { nonEmpty: true }),
      realHash: checkText('real.hash', m.real.hash, STORE_LIMITS.hash, { nonEmpty: true }),
      realCount: checkInteger('real.count', m.real.count, 1, Number.MAX_SAFE_INTEGER),
      fakeCount: checkInteger('fakeCount', m.fakeCount, 1, Number.MAX_SAFE_INTEGER),
      classIndex: m.class === null ? null : checkInteger('class', m.class, 0, STORE_LIMITS.classes - 1),
      settings: json('settings', m.settings),
      result: json('result', {
        points,
        note: checkText('note', m.note, STORE_LIMITS.notes, { nonEmpty: true }),
        dims: checkInteger('extractor.dims', m.extractor.dims, 1, Number.MAX_SAFE_INTEGER),
        savedTo: m.savedTo === null ? null : checkText('savedTo', m.savedTo, STORE_LIMITS.path),
        saveNote: m.saveNote === null ? null : checkText('saveNote', m.saveNote, STORE_LIMITS.notes),
        warnings: (Array.isArray(m.warnings) ? m.warnings : invalid('warnings', 'a list of text', m.warnings)).map((w, i) =>
          checkText(`warnings[${i}]`, w, STORE_LIMITS.notes),
        ),
      } satisfies StoredResult),
      time: now(),
    }
    const { lastInsertRowid } = this.db
      .prepare(
        `INSERT INTO generator_metrics (kind, model_hash, model_path, model_name, extractor, extractor_name,
           extractor_hash, real_path, real_hash, real_count, fake_count, class_index, settings, result, created_at)
         VALUES (@kind, @modelHash, @modelPath, @modelName, @extractor, @extractorName, @extractorHash, @realPath,
           @realHash, @realCount, @fakeCount, @classIndex, @settings, @result, @time)`,
      )
      .run(row)
    return this.get(Number(lastInsertRowid))
  }

  get(id: number): StoredGeneratorMetrics {
    checkInteger('id', id, 1, Number.MAX_SAFE_INTEGER)
    const row = this.db.prepare('SELECT * FROM generator_metrics WHERE id = ?').get(id) as MetricsRow | undefined
    if (!row) throw new LibraryError('not-found', `There are no generator metrics ${id} in the library ${this.file}.`, this.file)
    return this.toRecord(row)
  }

  /** The measurements of one model, newest first. */
  list(modelHash: string): StoredGeneratorMetrics[] {
    checkText('modelHash', modelHash, STORE_LIMITS.hash)
    const rows = this.db.prepare('SELECT * FROM generator_metrics WHERE model_hash = ? ORDER BY id DESC').all(modelHash) as MetricsRow[]
    return rows.map((r) => this.toRecord(r))
  }

  delete(id: number): boolean {
    checkInteger('id', id, 1, Number.MAX_SAFE_INTEGER)
    return this.db.prepare('DELETE FROM generator_metrics WHERE id = ?').run(id).changes > 0
  }

  private toRecord(row: MetricsRow): StoredGeneratorMetrics {
    const settings = this.parse(row, 'settings') as StoredGeneratorMetrics['settings']
    const result = this.parse(row, 'result') as StoredResult
    return {
      id: row.id,
      kind: row.kind,
      model: { hash: row.model_hash, path: row.model_path, name: row.model_name },
      extractor: { kind: row.extractor, name: row.extractor_name, hash: row.extractor_hash, dims: result.dims },
      real: { path: row.real_path, hash: row.real_hash, count: row.real_count },
      fakeCount: row.fake_count,
      class: row.class_index,
      settings,
      points: result.points,
      note: result.note,
      savedTo: result.savedTo,
      saveNote: result.saveNote,
      warnings: result.warnings,
      createdAt: row.created_at,
    }
  }

  private parse(row: MetricsRow, column: 'settings' | 'result'): unknown {
    try {
      const value = JSON.parse(row[column]) as unknown
      if (typeof value === 'object' && value !== null) return value
    } catch {
      // reported below
    }
    throw new LibraryError(
      'corrupt',
      `The library database ${this.file} holds generator metrics ${row.id} whose ${column} is not the JSON the studio wrote: delete that measurement.`,
      this.file,
    )
  }
}

/** Every number finite (JSON would turn NaN into null), at least one truncation. */
function checkPoints(value: unknown): StoredMetricsPoint[] {
  if (!Array.isArray(value) || value.length === 0) invalid('points', 'at least one truncation', value)
  const finite = (field: string, v: unknown): number =>
    typeof v === 'number' && Number.isFinite(v) ? v : invalid(field, 'a finite number', v)
  return value.map((p: StoredMetricsPoint, i) => ({
    truncation: p.truncation === null ? null : finite(`points[${i}].truncation`, p.truncation),
    fd: finite(`points[${i}].fd`, p.fd),
    kid: {
      mean: finite(`points[${i}].kid.mean`, p.kid?.mean),
      std: finite(`points[${i}].kid.std`, p.kid.std),
      subsets: finite(`points[${i}].kid.subsets`, p.kid.subsets),
      subsetSize: finite(`points[${i}].kid.subsetSize`, p.kid.subsetSize),
    },
    precision: finite(`points[${i}].precision`, p.precision),
    recall: finite(`points[${i}].recall`, p.recall),
    density: finite(`points[${i}].density`, p.density),
    coverage: finite(`points[${i}].coverage`, p.coverage),
  }))
}

function json(field: string, value: unknown): string {
  const text = JSON.stringify(value)
  if (text === undefined || text.length > JSON_LIMIT) invalid(field, `JSON of at most ${JSON_LIMIT} characters`, value)
  return text
}
