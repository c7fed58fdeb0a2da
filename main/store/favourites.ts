// Favourites: saved points with a name, tags, notes, a rating, a thumbnail and the favourite they came from.
// Every query is parameterised; the only SQL put together at run time is a fixed set of WHERE fragments.
import type Database from 'better-sqlite3'
import {
  blobToBytes,
  blobToFloats,
  checkFloats,
  checkInteger,
  checkSeed,
  checkSemantics,
  checkTags,
  checkText,
  checkThumbnail,
  checkTruncation,
  containsPattern,
  floatsToBlob,
  now,
  searchText,
  tagKey,
  type Semantics,
} from './codec.ts'
import { LibraryError } from './errors.ts'
import { STORE_LIMITS } from './limits.ts'

export interface NewFavourite {
  name: string
  tags: string[]
  notes: string
  /** 0–5, an integer */
  rating: number
  parentId: number | null
  modelHash: string
  modelName: string
  engineVersion: string
  semantics: Semantics
  z: Float32Array
  y: Float32Array
  truncation: number
  seed?: number
  /** PNG bytes */
  thumbnail: Uint8Array
}

/** A favourite as the library keeps it: what was saved, with its id and times. */
export interface StoredFavourite extends NewFavourite {
  id: number
  createdAt: string
  updatedAt: string
}

export interface FavouriteFilter {
  /** words that must all appear (case-insensitive) in the name, the notes or a tag */
  query?: string
  /** only favourites with this tag (case-insensitive) */
  tag?: string
  minRating?: number
  modelHash?: string
  /** default DEFAULT_PAGE */
  limit?: number
  offset?: number
}

export interface FavouritePatch {
  name?: string
  tags?: string[]
  notes?: string
  rating?: number
}

export const DEFAULT_PAGE = 100

interface FavouriteRow {
  id: number
  name: string
  notes: string
  rating: number
  parent_id: number | null
  model_hash: string
  model_name: string
  engine_version: string
  semantics: Semantics
  z: Buffer
  y: Buffer
  truncation: number
  seed: number | null
  thumbnail: Buffer
  created_at: string
  updated_at: string
}

/** A new favourite after checkFavourite (tags and name trimmed): what saveFavourite and import both insert. */
export type FavouriteRecord = NewFavourite

/** Checks every field of a new favourite; throws LibraryError('invalid') naming the first bad one. */
export function checkFavourite(f: NewFavourite): FavouriteRecord {
  if (typeof f !== 'object' || f === null) throw new LibraryError('invalid', 'favourite: expected an object.')
  const name = checkText('name', f.name, STORE_LIMITS.name, { nonEmpty: true }).trim()
  return {
    name,
    tags: checkTags('tags', f.tags),
    notes: checkText('notes', f.notes, STORE_LIMITS.notes),
    rating: checkInteger('rating', f.rating, 0, 5),
    parentId: f.parentId === null ? null : checkInteger('parentId', f.parentId, 1, Number.MAX_SAFE_INTEGER),
    modelHash: checkText('modelHash', f.modelHash, STORE_LIMITS.hash, { nonEmpty: true }),
    modelName: checkText('modelName', f.modelName, STORE_LIMITS.modelName),
    engineVersion: checkText('engineVersion', f.engineVersion, STORE_LIMITS.engineVersion),
    semantics: checkSemantics('semantics', f.semantics),
    z: checkFloats('z', f.z, 1, STORE_LIMITS.zDim),
    y: checkFloats('y', f.y, 1, STORE_LIMITS.classes),
    truncation: checkTruncation('truncation', f.truncation),
    seed: checkSeed('seed', f.seed),
    thumbnail: checkThumbnail('thumbnail', f.thumbnail),
  }
}

export class Favourites {
  private readonly select: Database.Statement<[number], FavouriteRow>
  private readonly exists: Database.Statement<[number], { id: number }>
  private readonly selectTags: Database.Statement<[number], { tag: string }>
  private readonly selectChildren: Database.Statement<[number], { id: number }>
  private readonly insertRow: Database.Statement
  private readonly insertTag: Database.Statement
  private readonly deleteTags: Database.Statement
  private readonly selectDuplicate: Database.Statement<unknown[], { id: number }>

  constructor(
    private readonly db: Database.Database,
    private readonly file: string,
  ) {
    this.select = db.prepare('SELECT * FROM favourites WHERE id = ?')
    this.exists = db.prepare('SELECT id FROM favourites WHERE id = ?')
    this.selectTags = db.prepare('SELECT tag FROM favourite_tags WHERE favourite_id = ? ORDER BY position')
    this.selectChildren = db.prepare('SELECT id FROM favourites WHERE parent_id = ? ORDER BY created_at, id')
    this.insertRow = db.prepare(`
      INSERT INTO favourites (name, notes, rating, parent_id, model_hash, model_name, engine_version, semantics,
                              z, y, truncation, seed, thumbnail, search, created_at, updated_at)
      VALUES (@name, @notes, @rating, @parentId, @modelHash, @modelName, @engineVersion, @semantics,
              @z, @y, @truncation, @seed, @thumbnail, @search, @createdAt, @updatedAt)`)
    this.insertTag = db.prepare('INSERT INTO favourite_tags (favourite_id, tag, tag_key, position) VALUES (?, ?, ?, ?)')
    this.deleteTags = db.prepare('DELETE FROM favourite_tags WHERE favourite_id = ?')
    this.selectDuplicate = db.prepare(
      'SELECT id FROM favourites WHERE model_hash = ? AND name = ? AND truncation = ? AND z = ? AND y = ? ORDER BY id LIMIT 1',
    )
  }

  save(f: NewFavourite): StoredFavourite {
    const record = checkFavourite(f)
    const id = this.db.transaction(() => {
      if (record.parentId !== null && !this.exists.get(record.parentId))
        throw new LibraryError('not-found', `The parent favourite ${record.parentId} does not exist (deleted?); save it without one.`)
      const time = now()
      return this.insert(record, time, time)
    })()
    return this.get(id)
  }

  /** Inserts a checked record as it is (the caller ran checkFavourite and owns the transaction). */
  insert(record: FavouriteRecord, createdAt: string, updatedAt: string): number {
    const result = this.insertRow.run({
      name: record.name,
      notes: record.notes,
      rating: record.rating,
      parentId: record.parentId,
      modelHash: record.modelHash,
      modelName: record.modelName,
      engineVersion: record.engineVersion,
      semantics: record.semantics,
      z: floatsToBlob(record.z),
      y: floatsToBlob(record.y),
      truncation: record.truncation,
      seed: record.seed ?? null,
      thumbnail: Buffer.from(record.thumbnail),
      search: searchText(record.name, record.notes, record.tags),
      createdAt,
      updatedAt,
    })
    const id = Number(result.lastInsertRowid)
    this.writeTags(id, record.tags)
    return id
  }

  /** The favourite the import file's record duplicates: same model, name, truncation, z and y (bit for bit). */
  findDuplicate(record: FavouriteRecord): number | undefined {
    return this.selectDuplicate.get(record.modelHash, record.name, record.truncation, floatsToBlob(record.z), floatsToBlob(record.y))?.id
  }

  get(id: number): StoredFavourite {
    checkInteger('id', id, 1, Number.MAX_SAFE_INTEGER)
    const row = this.select.get(id)
    if (!row) throw new LibraryError('not-found', `There is no favourite ${id} (deleted?).`, this.file)
    return this.fromRow(row)
  }

  list(filter: FavouriteFilter = {}): { items: StoredFavourite[]; total: number } {
    const where: string[] = []
    const params: unknown[] = []
    if (filter.query !== undefined) {
      const words = checkText('query', filter.query, STORE_LIMITS.name).toLowerCase().split(/\s+/).filter(Boolean)
      for (const word of words.slice(0, STORE_LIMITS.words)) {
        where.push(`f.search LIKE ? ESCAPE '\\'`)
        params.push(containsPattern(word))
      }
    }
    if (filter.tag !== undefined) {
      where.push('EXISTS (SELECT 1 FROM favourite_tags t WHERE t.favourite_id = f.id AND t.tag_key = ?)')
      params.push(tagKey(checkText('tag', filter.tag, STORE_LIMITS.name)))
    }
    if (filter.minRating !== undefined) {
      where.push('f.rating >= ?')
      params.push(checkInteger('minRating', filter.minRating, 0, 5))
    }
    if (filter.modelHash !== undefined) {
      where.push('f.model_hash = ?')
      params.push(checkText('modelHash', filter.modelHash, STORE_LIMITS.hash))
    }
    const limit = filter.limit === undefined ? DEFAULT_PAGE : checkInteger('limit', filter.limit, 1, Number.MAX_SAFE_INTEGER)
    const offset = filter.offset === undefined ? 0 : checkInteger('offset', filter.offset, 0, Number.MAX_SAFE_INTEGER)
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : ''

    return this.db.transaction(() => {
      const { total } = this.db.prepare(`SELECT count(*) AS total FROM favourites f ${clause}`).get(...params) as { total: number }
      const rows = this.db
        .prepare(`SELECT f.* FROM favourites f ${clause} ORDER BY f.created_at DESC, f.id DESC LIMIT ? OFFSET ?`)
        .all(...params, limit, offset) as FavouriteRow[]
      return { items: rows.map((row) => this.fromRow(row)), total }
    })()
  }

  update(id: number, patch: FavouritePatch): StoredFavourite {
    if (typeof patch !== 'object' || patch === null) throw new LibraryError('invalid', 'patch: expected an object.')
    const name = patch.name === undefined ? undefined : checkText('name', patch.name, STORE_LIMITS.name, { nonEmpty: true }).trim()
    const tags = patch.tags === undefined ? undefined : checkTags('tags', patch.tags)
    const notes = patch.notes === undefined ? undefined : checkText('notes', patch.notes, STORE_LIMITS.notes)
    const rating = patch.rating === undefined ? undefined : checkInteger('rating', patch.rating, 0, 5)
    this.db.transaction(() => {
      const current = this.get(id)
      if (name === undefined && tags === undefined && notes === undefined && rating === undefined) return
      const next = {
        name: name ?? current.name,
        tags: tags ?? current.tags,
        notes: notes ?? current.notes,
        rating: rating ?? current.rating,
      }
      this.db
        .prepare('UPDATE favourites SET name = ?, notes = ?, rating = ?, search = ?, updated_at = ? WHERE id = ?')
        .run(next.name, next.notes, next.rating, searchText(next.name, next.notes, next.tags), now(), id)
      if (tags !== undefined) this.writeTags(id, tags)
    })()
    return this.get(id)
  }

  /** Deletes a favourite; its children stay, without a parent (ON DELETE SET NULL). False when there was none. */
  delete(id: number): boolean {
    checkInteger('id', id, 1, Number.MAX_SAFE_INTEGER)
    return this.db.prepare('DELETE FROM favourites WHERE id = ?').run(id).changes > 0
  }

  /** Ancestors oldest first, the favourite, its descendants breadth-first (siblings oldest first). A parent is
   *  always saved before its child, so there are no cycles; the visited set only guards a hand-edited file. */
  lineage(id: number): { ancestors: StoredFavourite[]; self: StoredFavourite; descendants: StoredFavourite[] } {
    return this.db.transaction(() => {
      const self = this.get(id)
      const visited = new Set([self.id])
      const ancestors: StoredFavourite[] = []
      for (let parent = self.parentId; parent !== null && !visited.has(parent); ) {
        const row = this.select.get(parent)
        if (!row) break
        const favourite = this.fromRow(row)
        visited.add(favourite.id)
        ancestors.unshift(favourite)
        parent = favourite.parentId
      }
      const descendants: StoredFavourite[] = []
      const queue = [self.id]
      while (queue.length) {
        for (const { id: child } of this.selectChildren.all(queue.shift()!)) {
          if (visited.has(child)) continue
          visited.add(child)
          descendants.push(this.get(child))
          queue.push(child)
        }
      }
      return { ancestors, self, descendants }
    })()
  }

  /** Every tag with the number of favourites that carry it, most used first. */
  tags(): { tag: string; count: number }[] {
    return this.db
      .prepare('SELECT min(tag) AS tag, count(*) AS count FROM favourite_tags GROUP BY tag_key ORDER BY count DESC, tag_key')
      .all() as { tag: string; count: number }[]
  }

  /** Ids of all favourites, oldest first (parents before children). */
  ids(): number[] {
    return (this.db.prepare('SELECT id FROM favourites ORDER BY id').all() as { id: number }[]).map((row) => row.id)
  }

  private writeTags(id: number, tags: string[]): void {
    this.deleteTags.run(id)
    tags.forEach((tag, position) => this.insertTag.run(id, tag, tagKey(tag), position))
  }

  private fromRow(row: FavouriteRow): StoredFavourite {
    return {
      id: row.id,
      name: row.name,
      tags: this.selectTags.all(row.id).map((t) => t.tag),
      notes: row.notes,
      rating: row.rating,
      parentId: row.parent_id,
      modelHash: row.model_hash,
      modelName: row.model_name,
      engineVersion: row.engine_version,
      semantics: row.semantics,
      z: blobToFloats(row.z, this.file, `favourite ${row.id}'s z`),
      y: blobToFloats(row.y, this.file, `favourite ${row.id}'s y`),
      truncation: row.truncation,
      ...(row.seed === null ? {} : { seed: row.seed }),
      thumbnail: blobToBytes(row.thumbnail),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    }
  }
}
