// Named directions in z, kept per model: a direction the person found (a random orthogonal one, a GANSpace principal
// component) under a name of their own, with the range of G's blocks it edits. With a hierarchical z each block reads
// its own chunk of z, so a range of chunks is GANSpace's layer-wise edit (Härkönen et al. 2020: an edit applied only
// to the latent inputs of chosen layers). Rows come back as StoredDirection, oldest first per model.
import type Database from 'better-sqlite3'
import { blobToFloats, checkFloats, checkInteger, checkText, floatsToBlob, invalid, now } from './codec.ts'
import { LibraryError } from './errors.ts'
import { STORE_LIMITS } from './limits.ts'

/** Where a direction came from: Explore's random orthogonal set, or GANSpace's principal components. */
export type DirectionKind = 'random' | 'pca'

/** The hierarchical-z chunks a direction edits, first to last inclusive (chunk 0 feeds G's first linear layer,
 *  chunk i its block i). */
export interface BlockRange {
  first: number
  last: number
}

export interface StoredDirection {
  id: number
  modelHash: string
  name: string
  kind: DirectionKind
  /** [zDim], as it was found (unit length) */
  vector: Float32Array
  blocks: BlockRange
  createdAt: string
  updatedAt: string
}

export type NewDirection = Pick<StoredDirection, 'modelHash' | 'name' | 'kind' | 'vector' | 'blocks'>
export type DirectionPatch = Partial<Pick<StoredDirection, 'name' | 'blocks'>>

const KINDS: readonly DirectionKind[] = ['random', 'pca']

interface DirectionRow {
  id: number
  model_hash: string
  name: string
  kind: DirectionKind
  vector: Uint8Array
  first_chunk: number
  last_chunk: number
  created_at: string
  updated_at: string
}

export class Directions {
  constructor(
    private readonly db: Database.Database,
    private readonly file: string,
  ) {}

  save(d: NewDirection): StoredDirection {
    const blocks = checkBlocks(d?.blocks)
    const time = now()
    const { lastInsertRowid } = this.db
      .prepare(
        `INSERT INTO directions (model_hash, name, kind, vector, first_chunk, last_chunk, created_at, updated_at)
         VALUES (@modelHash, @name, @kind, @vector, @first, @last, @time, @time)`,
      )
      .run({
        modelHash: checkText('modelHash', d.modelHash, STORE_LIMITS.hash, { nonEmpty: true }),
        name: checkText('name', d.name, STORE_LIMITS.name, { nonEmpty: true }),
        kind: KINDS.includes(d.kind) ? d.kind : invalid('kind', `one of ${KINDS.join(', ')}`, d.kind),
        vector: floatsToBlob(checkFloats('vector', d.vector, 1, STORE_LIMITS.zDim)),
        first: blocks.first,
        last: blocks.last,
        time,
      })
    return this.get(Number(lastInsertRowid))
  }

  get(id: number): StoredDirection {
    checkInteger('id', id, 1, Number.MAX_SAFE_INTEGER)
    const row = this.db.prepare('SELECT * FROM directions WHERE id = ?').get(id) as DirectionRow | undefined
    if (!row) throw new LibraryError('not-found', `There is no direction ${id} in the library ${this.file}.`, this.file)
    return this.toRecord(row)
  }

  /** A model's directions, oldest first. */
  list(modelHash: string): StoredDirection[] {
    checkText('modelHash', modelHash, STORE_LIMITS.hash)
    const rows = this.db.prepare('SELECT * FROM directions WHERE model_hash = ? ORDER BY id').all(modelHash) as DirectionRow[]
    return rows.map((r) => this.toRecord(r))
  }

  update(id: number, patch: DirectionPatch): StoredDirection {
    const old = this.get(id)
    const name = patch.name === undefined ? old.name : checkText('name', patch.name, STORE_LIMITS.name, { nonEmpty: true })
    const blocks = patch.blocks === undefined ? old.blocks : checkBlocks(patch.blocks)
    this.db
      .prepare('UPDATE directions SET name = ?, first_chunk = ?, last_chunk = ?, updated_at = ? WHERE id = ?')
      .run(name, blocks.first, blocks.last, now(), id)
    return this.get(id)
  }

  delete(id: number): boolean {
    checkInteger('id', id, 1, Number.MAX_SAFE_INTEGER)
    return this.db.prepare('DELETE FROM directions WHERE id = ?').run(id).changes > 0
  }

  private toRecord(row: DirectionRow): StoredDirection {
    return {
      id: row.id,
      modelHash: row.model_hash,
      name: row.name,
      kind: row.kind,
      vector: blobToFloats(row.vector, this.file, `direction ${row.id}'s vector`),
      blocks: { first: row.first_chunk, last: row.last_chunk },
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }
  }
}

function checkBlocks(value: unknown): BlockRange {
  const b = value as BlockRange | undefined
  const first = checkInteger('blocks.first', b?.first, 0, STORE_LIMITS.zDim - 1)
  const last = checkInteger('blocks.last', b?.last, 0, STORE_LIMITS.zDim - 1)
  if (last < first) invalid('blocks', 'a range whose last chunk is not before its first', value)
  return { first, last }
}
