// The code, the help texts, the tests and the README say their reasons themselves: nothing cites a document the
// person reading does not have (a project note such as "finetune-metrics §2", a notes/ or docs/ file that is not in
// the repository) or a tracker's issue number. Papers are cited by name ("BigGAN §4.2"), which anyone can find.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT, sourceFiles } from './imports.ts'

const CITES_ELSEWHERE: { what: string; pattern: RegExp }[] = [
  { what: 'a section of a project note', pattern: /\b[a-z]+(?:-[a-z]+)+(?:\.md)? §\s?\d/ },
  { what: 'an issue number', pattern: /\b(?:see |in |per |from )?issues? #?\d+\b/i },
]
/** a notes or docs file named as if it were in this repository (a public project's, "onnx/docs/…", is cited by
 *  the project's name) */
const NOTE_FILE = /(?<![\w/-])(?:notes?|docs?)\/[\w-]+\.md\b/g

function textFiles(): string[] {
  const files = ['main', 'preload', 'renderer', 'bin', 'scripts', 'test'].flatMap((dir) => sourceFiles(dir))
  return [...files, 'README.md'].filter((f) => !f.endsWith('selfContained.test.ts'))
}

describe('self-contained text', () => {
  it('cites no project note, notes file outside the repository or issue number', () => {
    const found: string[] = []
    for (const file of textFiles()) {
      const text = readFileSync(join(ROOT, file), 'utf8')
      text.split('\n').forEach((line, i) => {
        for (const { what, pattern } of CITES_ELSEWHERE) if (pattern.test(line)) found.push(`${file}:${i + 1}: ${what}: ${line.trim()}`)
        for (const m of line.matchAll(NOTE_FILE)) {
          if (!existsSync(join(ROOT, m[0]))) found.push(`${file}:${i + 1}: ${m[0]} is not in the repository`)
        }
      })
    }
    expect(found).toEqual([])
  })
})
