// What the checkpoint after each library write costs: `npx tsx test/store/checkpoint.bench.ts [folder]`.
// The same writes through the store's own classes on a connection opened as the library opens it (WAL,
// synchronous=FULL), as the library makes them (commit, then checkpoint) and without the checkpoint, in blocks
// taking turns so both meet the same disk. The folder (default: the system's temp folder) should sit on the disk whose cost
// is wanted: a tmpfs makes every fsync free. A benchmark, not a test: it prints, it does not judge.
// The count that carries to other disks, from strace over ten saves: a commit alone makes 1 fsync (the -wal's, as
// synchronous=FULL asks); commit + checkpoint makes about 4 (the restarted -wal's header, the -wal before copying,
// the database after it) and 2 ftruncates. Where an fsync is slow (macOS's F_FULLFSYNC) that is what a save pays.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type Database from 'better-sqlite3'
import { Favourites } from '../../main/store/favourites.ts'
import { checkpoint, openDatabase } from '../../main/store/open.ts'
import { Sessions } from '../../main/store/sessions.ts'
import { newFavourite } from './helpers.ts'

const ROUNDS = 200
const BLOCK = 50
const folder = mkdtempSync(join(process.argv[2] ?? tmpdir(), 'biggan-checkpoint-bench-'))

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

function measure(name: string, writer: (db: Database.Database, file: string) => (i: number) => void): void {
  const file = join(folder, `${name.replace(/\W+/g, '-')}.sqlite`)
  const db = openDatabase(file, {}, [], (db) => db)
  try {
    const write = writer(db, file)
    const plain: number[] = []
    const checkpointed: number[] = []
    // blocks of BLOCK, taking turns: within a block every write meets the -wal its own kind leaves (growing, or
    // emptied by the checkpoint before), as in use
    for (let i = 0; i < 2 * ROUNDS; i++) {
      const withCheckpoint = Math.floor(i / BLOCK) % 2 === 1
      const start = process.hrtime.bigint()
      write(i)
      if (withCheckpoint) checkpoint(db)
      ;(withCheckpoint ? checkpointed : plain).push(Number(process.hrtime.bigint() - start) / 1e6)
    }
    const [a, b] = [median(plain), median(checkpointed)]
    console.log(`${name.padEnd(24)} commit ${a.toFixed(2)} ms, commit + checkpoint ${b.toFixed(2)} ms (median of ${ROUNDS}; +${(b - a).toFixed(2)} ms)`)
  } finally {
    db.close()
  }
}

try {
  console.log(`in ${folder}`)
  measure('save a favourite', (db, file) => {
    const favourites = new Favourites(db, file)
    return (i) => favourites.save(newFavourite({ tags: ['bench'] }, i + 1))
  })
  measure('record a point (history)', (db, file) => {
    const sessions = new Sessions(db, file)
    return (i) => {
      const f = newFavourite({}, i + 1)
      sessions.push({ point: { z: f.z, y: f.y, truncation: f.truncation }, view: 'explore', label: `step ${i}`, modelHash: f.modelHash })
    }
  })
} finally {
  rmSync(folder, { recursive: true, force: true })
}
