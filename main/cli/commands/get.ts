import type { Command } from '../args.ts'
import { importToFolder } from '../importModel.ts'

export const get: Command = {
  name: 'get',
  summary: 'download a published model (catalogue name or address), verify it and import it',
  usage: 'get NAME|URL --out DIR [--catalogue FILE] [--sha256 HEX]',
  description: `
Downloads a model listed in the catalogue (resources/catalogue.json, or --catalogue FILE) or one checkpoint file from
an address, then imports it into the native model folder DIR. The downloaded files stay in DIR/download: an
interrupted or cancelled download (Ctrl-C) is kept there as NAME.part with a NAME.part.json beside it, and running the
same command again resumes it. Every file's size is checked and its sha256 is compared with the catalogue's before
anything is imported (a file whose hash is wrong is removed). Redirects are followed, but never from https to http.
Nothing is written outside DIR. 'biggan get --list' (with --out omitted) lists the catalogue.`,
  positionals: [{ name: 'NAME|URL', help: 'a catalogue name (biggan-deep-128, …) or an http(s) address of a checkpoint file' }],
  options: [
    { name: 'out', value: 'DIR', help: 'the native model folder to write (downloads go to DIR/download)' },
    { name: 'catalogue', value: 'FILE', help: 'another catalogue file (default: the bundled resources/catalogue.json)' },
    { name: 'sha256', value: 'HEX', help: 'the expected sha256 of a file given by address' },
    { name: 'list', help: 'list the catalogue: names, sizes, what can be downloaded directly' },
  ],
  async run({ args, backend, out, err }) {
    const { join } = await import('node:path')
    const { UsageError } = await import('../args.ts')
    const { bundledCataloguePath, findEntry, readCatalogue } = await import('../../download/catalogue.ts')
    const { defaultResourcesDir } = await import('../../disk/resources.ts')
    const { describeEntrySize, describePlan, downloadTarget, importPath, planDownload, targetFromEntry, targetFromUrl } = await import('../../download/getModel.ts')
    const { describeTransfer, formatBytes } = await import('../../download/progress.ts')
    const catalogueFile = (args.options.catalogue as string | undefined) ?? bundledCataloguePath(defaultResourcesDir())

    if (args.options.list) {
      const catalogue = await readCatalogue(catalogueFile)
      for (const m of catalogue.models) {
        out(`${m.name.padEnd(30)} ${m.arch}-${m.resolution}, ${m.classes} classes, ${describeEntrySize(m)}`)
      }
      return 0
    }
    const [what] = args.positionals
    const dir = args.options.out as string | undefined
    if (!what) throw new UsageError("get needs a catalogue name or an address (or --list). Run 'biggan get --help'.")
    if (!dir) throw new UsageError("get needs --out DIR, the model folder to write. Run 'biggan get --help'.")

    const target = /^[a-z][a-z0-9+.-]*:\/\//i.test(what)
      ? targetFromUrl(what, args.options.sha256 as string | undefined)
      : targetFromEntry(findEntry(await readCatalogue(catalogueFile), what))
    const downloads = join(dir, 'download')
    if (target.entry) {
      out(`${target.entry.title}`)
      out(`  licence: ${target.entry.licence}`)
      out(`  cite: ${target.entry.citation}`)
    }
    const plan = await planDownload(downloads, target)
    out(`${target.name}: ${describePlan(plan)} → ${downloads}`)

    // Ctrl-C stops the transfer and keeps what arrived for the next run
    const abort = new AbortController()
    const onSigint = (): void => abort.abort()
    process.once('SIGINT', onSigint)
    let lastLine = 0
    let lastFile = ''
    try {
      const files = await downloadTarget(downloads, target, plan, {
        signal: abort.signal,
        onNote: (line) => err(line),
        onModelProgress: (p) => {
          const now = Date.now()
          if (now - lastLine < 1000 && p.file === lastFile && p.done !== p.total) return
          lastLine = now
          lastFile = p.file
          err(`${p.phase === 'verify' ? 'verifying' : 'downloading'} ${p.file}: ${describeTransfer(p.done, p.total, p.bytesPerSecond)}`)
        },
      })
      for (const f of files) {
        out(`  ${f.path}: ${formatBytes(f.size)}, sha256 ${f.sha256} ${f.verified ? '(matches the catalogue)' : '(computed; the catalogue has none to compare)'}`)
      }
    } finally {
      process.removeListener('SIGINT', onSigint)
    }

    await importToFolder(importPath(downloads, target), dir, backend, out, err)
  },
}
