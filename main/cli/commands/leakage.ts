import { resolve } from 'node:path'
import { intOption, stringOption, UsageError, type Command, type CommandContext } from '../args.ts'
import { openModel } from '../engine.ts'
import type { BigGANModel } from '../../engine/model.ts'
import type { LeakageAtTruncation, LeakageReport } from '../../engine/inspect/leakage.ts'

export const leakage: Command = {
  name: 'leakage',
  summary: 'class leakage: which class a classifier (or D) sees in samples of each intended class, per truncation',
  usage: 'leakage --model DIR --classes LIST [--seeds N] [--truncations LIST] [--classifier fashion-mnist|d|DIR] [--checkpoints LIST] [--out FILE.json]',
  description: `
For each class in LIST, renders N samples (seeds S … S+N−1, the same latents for every class) at each truncation,
asks a judge which class each image shows, and prints the intended × detected matrix and the leakage rate (the
share of samples detected as another class). The judge is a classifier, or the model's own discriminator ('d'):
its class evidence ⟨E[k], φ(x)⟩, argmax over the model's classes. Classifier classes are matched with the
model's by name (case and punctuation ignored), else by index. Images are quantised to 8 bits, as exported.
--checkpoints runs the same matrix over model folders: a run folder or its checkpoints/ folder stands for its
step-N checkpoints (oldest first); the --model folder is measured last unless it is one of them.
Truncation values are the model's (see 'biggan sample --help'); 'none' draws z untruncated.`,
  options: [
    { name: 'model', value: 'DIR', help: 'a native model folder', required: true },
    { name: 'classes', value: 'LIST', help: "comma-separated class indices or names, or 'all'", required: true },
    { name: 'seeds', value: 'N', help: 'samples per class and truncation (default 16)' },
    { name: 'first-seed', value: 'S', help: 'the first seed (default 0)' },
    { name: 'truncations', value: 'LIST', help: "comma-separated truncation values, 'none' for none (default 1,0.7,0.4)" },
    {
      name: 'classifier',
      value: 'fashion-mnist|d|DIR',
      help: "the judge: the bundled Fashion-MNIST classifier, the model's D, or a TensorFlow.js or studio classifier folder " +
        '(default: fashion-mnist for a model with its classes, else d)',
    },
    { name: 'checkpoints', value: 'LIST', help: 'comma-separated model, checkpoints or run folders: leakage per checkpoint' },
    { name: 'out', value: 'FILE.json', help: 'also write the full report (counts and the seeds of every cell) as JSON' },
  ],
  async run(ctx) {
    const { args, backend, out } = ctx
    const { leakageMatrix } = await import('../../engine/inspect/leakage.ts')
    const { leakageOverCheckpoints, checkpointFolders } = await import('../../runs/leakage.ts')
    const { writeJsonAtomic } = await import('../../disk/atomic.ts')
    const seeds = intOption(args, 'seeds') ?? 16
    if (seeds < 1 || seeds > 100_000) throw new UsageError(`--seeds must be between 1 and 100000, not ${seeds}`)
    const firstSeed = intOption(args, 'first-seed') ?? 0
    const truncations = parseTruncations(stringOption(args, 'truncations') ?? '1,0.7,0.4', 'truncations')
    const modelDir = stringOption(args, 'model')!
    const model = await openModel(modelDir, backend)
    let judge: Awaited<ReturnType<typeof openJudge>> | undefined
    try {
      const classes = await parseClasses(model, stringOption(args, 'classes')!)
      judge = await openJudge(ctx, model, stringOption(args, 'classifier'))
      const options = { classes, seeds, firstSeed, truncations, onProgress: progress(ctx, 'samples') }
      const checkpointList = stringOption(args, 'checkpoints')
      if (checkpointList === undefined) {
        const report = await leakageMatrix(model, judge.route, options)
        printReport(out, report, modelDir, model)
        const file = stringOption(args, 'out')
        if (file) out(`wrote ${await writeJsonAtomic(file, { format: 'biggan-studio-leakage', version: 1, createdAt: new Date().toISOString(), modelDir, ...report }, 'write the leakage report')}`)
        return
      }
      const dirs: string[] = []
      for (const item of splitList(checkpointList, 'checkpoints')) {
        try {
          dirs.push(...(await checkpointFolders(item)))
        } catch (e) {
          throw new UsageError(`--checkpoints: ${(e as Error).message}`)
        }
      }
      const measured = dirs.map((d) => resolve(d))
      const modelHash = model.manifest?.contentHash
      const results = await leakageOverCheckpoints(dirs, judge.route, options, (r) => {
        out(`${r.step === null ? '?' : `step ${r.step}`}: ${r.leakage.map((l, i) => `${label(truncations[i])} ${percent(l)}`).join(', ')}  (${r.dir})`)
      })
      if (!measured.includes(resolve(modelDir)) && !results.some((r) => r.contentHash !== null && r.contentHash === modelHash)) {
        const report = await leakageMatrix(model, judge.route, options)
        results.push({ dir: modelDir, step: stepOf(model), contentHash: modelHash ?? null, leakage: report.truncations.map((t) => t.leakage), report })
      }
      out('')
      out(`Leakage per checkpoint (judge ${results[0]?.report.judge.name}, ${seeds} seeds × ${classes.length} classes per truncation):`)
      out(`| checkpoint | step | ${truncations.map(label).join(' | ')} |`)
      out(`|---|---:|${truncations.map(() => '---:').join('|')}|`)
      for (const r of results) out(`| ${r.dir} | ${r.step ?? '–'} | ${r.leakage.map(percent).join(' | ')} |`)
      const file = stringOption(args, 'out')
      if (file) {
        const report = { format: 'biggan-studio-leakage-checkpoints', version: 1, createdAt: new Date().toISOString(), truncations, checkpoints: results }
        out(`wrote ${await writeJsonAtomic(file, report, 'write the leakage report')}`)
      }
    } finally {
      judge?.dispose()
      model.dispose()
    }
  },
}

/** The judge the user named (or the default for this model), as leakageMatrix takes it. */
async function openJudge(ctx: CommandContext, model: BigGANModel, spec: string | undefined) {
  const { defaultExtractorSpec, openExtractor } = await import('../../disk/extractors.ts')
  const chosen = spec ?? (await defaultExtractorSpec(model))
  if (chosen === undefined) {
    throw new UsageError('this model has no discriminator and the bundled classifier does not know its classes: give --classifier DIR')
  }
  if (chosen === 'd' || chosen === 'D' || chosen === 'discriminator') {
    if (!model.D) {
      throw new UsageError("--classifier d needs the model's discriminator, and this model is generator-only: give --classifier fashion-mnist or a classifier folder")
    }
    return { route: 'discriminator' as const, dispose: () => undefined }
  }
  const extractor = await openExtractor(chosen, { model })
  if (!extractor.classify) {
    extractor.dispose()
    throw new UsageError(`${extractor.name} has no class outputs, so it cannot say which class an image shows`)
  }
  if (spec === undefined) ctx.err(`judge: ${extractor.name} (give --classifier to choose another)`)
  return { route: extractor, dispose: () => extractor.dispose() }
}

function printReport(out: (line: string) => void, report: LeakageReport, modelDir: string, model: BigGANModel): void {
  const hash = (h: string | null | undefined): string => (h ? h.slice(0, 12) : 'no hash')
  out(`model ${modelDir} (${hash(model.manifest?.contentHash)}), judge ${report.judge.name} (${hash(report.judge.hash)}), classes matched ${report.classMatch === 'identity' ? 'as the model\'s own' : `by ${report.classMatch}`}`)
  out(`${report.seeds.length} seeds (${report.seeds[0]}–${report.seeds[report.seeds.length - 1]}) per class and truncation`)
  const used = new Set<number>(report.classes.map((c) => c.column))
  for (const t of report.truncations) t.counts.forEach((row) => row.forEach((n, j) => n > 0 && used.add(j)))
  const columns = [...used].sort((a, b) => a - b)
  out(`columns (detected): ${columns.map((j) => `${j} ${report.judge.classes[j]}`).join(', ')}`)
  const nameWidth = Math.max(8, ...report.classes.map((c) => c.name.length))
  for (const t of report.truncations) {
    out('')
    out(`truncation ${label(t.truncation)}: leakage ${percent(t.leakage)}`)
    out(`  ${'intended'.padEnd(nameWidth)} ${columns.map((j) => String(j).padStart(4)).join('')}  leakage`)
    report.classes.forEach((c, row) => {
      const cells = columns.map((j) => String(t.counts[row][j]).padStart(4)).join('')
      out(`  ${c.name.padEnd(nameWidth)} ${cells}  ${percent(t.perClass[row])}`)
    })
  }
  out('')
  out(`leakage by truncation: ${report.truncations.map((t: LeakageAtTruncation) => `${label(t.truncation)} ${percent(t.leakage)}`).join(', ')}`)
}

/** 'a,b,…' of class indices or names, or 'all'. */
export async function parseClasses(model: BigGANModel, list: string): Promise<number[]> {
  if (list.trim().toLowerCase() === 'all') return Array.from({ length: model.config.numClasses }, (_, i) => i)
  const { findClass } = await import('../../engine/classes.ts')
  const classes = splitList(list, 'classes').map((word) => {
    try {
      return findClass(model.config, word)
    } catch (e) {
      throw new UsageError(`--classes: ${(e as Error).message}`)
    }
  })
  if (new Set(classes).size !== classes.length) throw new UsageError('--classes lists a class twice')
  return classes
}

/** 'none' or numbers > 0, comma-separated. */
export function parseTruncations(list: string, option: string): (number | null)[] {
  return splitList(list, option).map((word) => {
    if (word.toLowerCase() === 'none') return null
    const t = Number(word)
    if (!Number.isFinite(t) || !(t > 0)) throw new UsageError(`--${option} takes 'none' or numbers > 0, not '${word}'`)
    return t
  })
}

function splitList(list: string, option: string): string[] {
  const words = list.split(',').map((w) => w.trim()).filter((w) => w !== '')
  if (words.length === 0) throw new UsageError(`--${option} needs at least one value`)
  return words
}

function stepOf(model: BigGANModel): number | null {
  const step = (model.manifest?.state as { step?: unknown } | undefined)?.step
  return typeof step === 'number' ? step : null
}

export function label(t: number | null): string {
  return t === null ? 'none' : String(t)
}

export function percent(x: number): string {
  return `${(100 * x).toFixed(1)} %`
}

/** A progress callback that writes to stderr at most once a second, and at the end. */
export function progress(ctx: CommandContext, what: string): (done: number, total: number) => void {
  let last = 0
  return (done, total) => {
    if (done === total || Date.now() - last > 1000) {
      last = Date.now()
      ctx.err(`${done}/${total} ${what}`)
    }
  }
}
