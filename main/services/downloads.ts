// "Get a model" (the contract's downloads domain) over the downloader in main/download: the catalogue the studio's
// setting names (else the bundled one), a model's plan before it starts, and the download itself into
// <dataDir>/downloads/<name>/, reported as progress of job 'downloads:get' and cancelled through jobs:cancel. A
// verified download is handed to models:open, which imports it through the import dispatch and opens it. One
// download runs at a time; what a cancelled or failed one leaves is resumed by the next.
import { join } from 'node:path'
import { DOWNLOAD_JOB, StudioError, type CatalogueState, type ModelInfo, type StudioEvent } from '../../preload/contract/index.ts'
import { bundledCataloguePath, entrySize, findEntry, readCatalogue, type Catalogue } from '../download/catalogue.ts'
import { DownloadError } from '../download/errors.ts'
import { describeEntrySize, describePlan, downloadTarget, importPath, planDownload, targetFromEntry, type ModelProgress } from '../download/getModel.ts'
import { describeTransfer } from '../download/progress.ts'
import type { Handlers } from '../ipc/router.ts'
import type { Library } from '../store/index.ts'

export interface DownloadsOptions {
  dataDir: string
  resourcesDir: string
  library: Library
  emit: (event: StudioEvent) => void
  /** imports (where needed) and opens a model: the studio's models:open */
  openModel: (path: string) => Promise<ModelInfo>
}

type DownloadsChannel = 'downloads:catalogue' | 'downloads:plan' | 'downloads:get'

export interface Downloads {
  handlers: Pick<Handlers, DownloadsChannel>
  /** cancels the running download where `job` names it; false otherwise */
  cancel(job: string): boolean
  /** stops a running download (kept for resume) as the studio closes */
  close(): void
}

const PROGRESS_EVERY_MS = 200

export function createDownloads(options: DownloadsOptions): Downloads {
  let running: AbortController | null = null

  const setting = (): string | null => {
    try {
      return options.library.settings().settings.downloads.catalogue
    } catch {
      return null
    }
  }
  const catalogueFile = (): string => setting() ?? bundledCataloguePath(options.resourcesDir)

  const catalogue = async (): Promise<Catalogue> => {
    try {
      return await readCatalogue(catalogueFile())
    } catch (err) {
      throw asStudioError(err)
    }
  }

  const folderOf = (name: string): string => join(options.dataDir, 'downloads', name)

  const progress = (p: ModelProgress): void => {
    const what = p.phase === 'verify' ? `verifying ${p.file}` : p.file
    options.emit({
      type: 'progress',
      job: DOWNLOAD_JOB,
      label: `${what}: ${describeTransfer(p.allDone, p.allTotal, p.phase === 'verify' ? 0 : p.bytesPerSecond)}`,
      done: p.allDone,
      total: p.allTotal ?? 0,
    })
  }

  return {
    close() {
      running?.abort()
    },
    cancel(job) {
      if (job !== DOWNLOAD_JOB || !running) return false
      running.abort()
      return true
    },
    handlers: {
      'downloads:catalogue': async (): Promise<CatalogueState> => {
        const file = catalogueFile()
        const bundled = setting() === null
        let read: Catalogue
        try {
          read = await readCatalogue(file)
        } catch (err) {
          return { file, bundled, models: [], error: (err as Error).message }
        }
        return {
          file,
          bundled,
          error: null,
          models: read.models.map((m) => ({
            name: m.name,
            title: m.title,
            family: m.family,
            arch: m.arch,
            resolution: m.resolution,
            classes: m.classes,
            size: entrySize(m) ?? null,
            sizeText: describeEntrySize(m),
            files: m.files.length,
            direct: m.files.length > 0,
            ...(m.manual ? { manual: m.manual } : {}),
            homepage: m.homepage,
            licence: m.licence,
            citation: m.citation,
            verified: m.verified,
          })),
        }
      },

      'downloads:plan': async ({ name }) => {
        try {
          const target = targetFromEntry(findEntry(await catalogue(), name))
          const plan = await planDownload(folderOf(target.name), target)
          return {
            name,
            files: plan.files.map((f) => ({ name: f.name, size: f.size ?? null, have: f.have })),
            total: plan.total ?? null,
            have: plan.have,
            summary: describePlan(plan),
          }
        } catch (err) {
          throw asStudioError(err)
        }
      },

      'downloads:get': async ({ name }) => {
        if (running) throw new StudioError('failed', 'a download is already running: wait for it or cancel it first')
        const abort = new AbortController()
        running = abort
        let path: string
        try {
          const target = targetFromEntry(findEntry(await catalogue(), name))
          const dir = folderOf(target.name)
          const plan = await planDownload(dir, target, { signal: abort.signal })
          let last = 0
          let lastFile = ''
          await downloadTarget(dir, target, plan, {
            signal: abort.signal,
            onNote: (message) => options.emit({ type: 'notice', level: 'info', message }),
            onModelProgress: (p) => {
              const now = Date.now()
              // each file's first report goes out at once, so a new file shows even if it stalls
              if (now - last < PROGRESS_EVERY_MS && p.file === lastFile && p.done !== p.total) return
              last = now
              lastFile = p.file
              progress(p)
            },
          })
          path = importPath(dir, target)
        } catch (err) {
          throw asStudioError(err)
        } finally {
          running = null
        }
        return options.openModel(path)
      },
    },
  }
}

function asStudioError(err: unknown): unknown {
  if (err instanceof DownloadError) return new StudioError(err.code === 'cancelled' ? 'cancelled' : 'failed', err.message)
  return err
}
