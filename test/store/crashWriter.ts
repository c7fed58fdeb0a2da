// Child process of crash.test.ts: writes to a library through Library and waits to be killed with SIGKILL.
//   node --import tsx crashWriter.ts <file> commits <n>   n committed favourites, then one big transaction that
//                                                         prints "mid-write" part-way and never commits
//   node --import tsx crashWriter.ts <file> stream        commits favourites one by one, printing each id
// Lines go out with writeSync, so a line the parent reads was printed after the commit returned.
import { writeSync } from 'node:fs'
import { Library } from '../../main/store/index.ts'
import { committedFavourite, uncommittedFavourite } from './crashData.ts'

const [file, mode, count] = process.argv.slice(2)
const say = (line: string) => writeSync(1, `${line}\n`)
const library = Library.open(file)

if (mode === 'commits') {
  for (let i = 0; i < Number(count); i++) say(`committed ${library.saveFavourite(committedFavourite(i)).id}`)
  library.transaction(() => {
    for (let i = 0; i < 400; i++) {
      library.saveFavourite(uncommittedFavourite(i))
      // 100 × 256 KiB is past better-sqlite3's 16 MiB page cache: uncommitted pages have spilled into the WAL
      if (i === 100) say('mid-write')
    }
    // never commit: hold the transaction open until killed (or give up after a minute, still uncommitted)
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000)
    process.exit(3)
  })
} else if (mode === 'stream') {
  for (let i = 0; ; i++) say(`committed ${library.saveFavourite(committedFavourite(i)).id}`)
}
