// The studio's service layer: one handler per channel of the contract, over the engine worker (engine-host) and the
// library (store). No Electron here: the desktop shell, web mode and tests all drive the same object. The library
// belongs to the caller (it opens and closes it); the engine worker belongs to the studio (close() ends it).
import { join } from 'node:path'
import { LIMITS, StudioError, type ModelInfo, type Point, type StudioEvent } from '../../preload/contract/index.ts'
import { isDefaultModelPath } from '../disk/resources.ts'
import { EngineClient, type Progress } from '../engine-host/client/engineClient.ts'
import type { ModelRecord } from '../engine-host/protocol/engine.ts'
import { engineVersion } from '../engine/version.ts'
import { LatentRecordError, readLatentRecord } from '../images/latentRecord.ts'
import type { Handlers } from '../ipc/router.ts'
import type { Library } from '../store/index.ts'
import { searchClasses } from './classSearch.ts'
import { createDownloads } from './downloads.ts'
import { withStudioErrors } from './errors.ts'
import { createFinetune, type Finetune } from './finetune.ts'
import { createDirections } from './directions.ts'
import { createInspect } from './inspect.ts'
import { createJobs } from './jobs.ts'
import { createMetrics } from './metrics.ts'
import { modelView } from './modelView.ts'
import { packPoint, packPoints, pointClass, truncationProblem } from './points.ts'
import { createSettings } from './settings.ts'

export interface StudioOptions {
  /** the app's data folder: imported models go to <dataDir>/models */
  dataDir: string
  /** the shipped resources: the bundled model is <resourcesDir>/default-model */
  resourcesDir: string
  shell: 'electron' | 'web'
  library: Library
  /** where BIGGAN_RUNTIME (which overrides the runtime setting) is read; process.env where absent */
  env?: NodeJS.ProcessEnv
}

export interface Studio {
  handlers: Handlers
  subscribe(listener: (e: StudioEvent) => void): () => void
  close(): Promise<void>
  /** the fine-tune view's back end (its training workers), for diagnostics and tests */
  finetune: Finetune
}

const THUMBNAIL_SIZE = 128

export function createStudio(options: StudioOptions): Studio {
  const { library } = options
  const modelsDir = join(options.dataDir, 'models')
  const listeners = new Set<(e: StudioEvent) => void>()
  const jobs = createJobs({ dataDir: options.dataDir })
  const emit = (event: StudioEvent): void => {
    jobs.observe(event)
    for (const listener of listeners) {
      try {
        listener(event)
      } catch {
        // one listener's failure is not the others' concern
      }
    }
  }
  const engine = new EngineClient({
    onNotice: (level, message) => emit({ type: 'notice', level, message }),
    // a 'model' event without a model: none is open any more
    onModelLost: () => emit({ type: 'model' }),
  })
  const progressOf = (job: string) => (p: Progress) => emit({ type: 'progress', job, label: p.label, done: p.done, total: p.total })

  const model = (): ModelRecord => {
    const m = engine.model
    if (!m) throw new StudioError('failed', 'no model is open: open a model (or the default model) first')
    return m
  }

  const opened = (record: ModelRecord): ModelInfo => {
    const info = modelView(record)
    if (!info.isRandom) {
      try {
        library.touchModel({
          path: info.path,
          name: info.name,
          hash: info.hash,
          arch: info.arch,
          resolution: info.resolution,
          numClasses: info.numClasses,
        })
      } catch (err) {
        emit({ type: 'notice', level: 'warning', message: `The model opened, but the recent-models list was not updated: ${messageOf(err)}` })
      }
    }
    emit({ type: 'model', model: info })
    return info
  }

  const defaultName = (m: ModelRecord, point: Point): string => {
    const cls = pointClass(point.y)
    const what = cls === null ? 'blend' : m.classNames[cls] ?? `class-${cls}`
    return `${m.name}-${what}-${point.seed !== undefined ? `seed${point.seed}` : 'edited'}`
  }

  const settings = createSettings({ engine, library, env: options.env ?? process.env })

  const finetune = createFinetune({
    dataDir: options.dataDir,
    library,
    currentModel: () => engine.model,
    openModel: (path) => handlers['models:open']({ path }),
    emit,
    runCompute: settings.runCompute,
  })

  const inspect = createInspect({ engine, library, resourcesDir: options.resourcesDir, emit })
  const metrics = createMetrics({ engine, library, resourcesDir: options.resourcesDir, emit })
  const downloads = createDownloads({
    dataDir: options.dataDir,
    resourcesDir: options.resourcesDir,
    library,
    emit,
    openModel: (path) => handlers['models:open']({ path }),
  })
  const directions = createDirections({ engine, library })

  const handlers: Handlers = {
    ...finetune.handlers,
    ...settings.handlers,
    ...inspect.handlers,
    ...metrics.handlers,
    ...downloads.handlers,
    ...jobs.handlers,
    ...directions.handlers,
    'engine:info': async () => {
      const b = await engine.call({ op: 'info' })
      return { ...b, engineVersion, shell: options.shell }
    },

    // Every page asks this as it starts, once it listens for events: what opening the library found (a damaged
    // library kept aside, a damaged -wal) was said before any page listened, so each page hears it now.
    'models:current': async () => {
      for (const notice of library.notices) emit({ type: 'notice', level: 'error', message: notice.message })
      return engine.model ? modelView(engine.model) : null
    },
    'models:recent': async () => library.recentModels(),
    // the default model's own folder, opened by path (from Recent), opens as the default: its name and badge kept
    'models:open': async ({ path }) =>
      opened(
        isDefaultModelPath(path, options.resourcesDir, modelsDir)
          ? await engine.openDefault(options.resourcesDir, modelsDir, progressOf('models:open'))
          : await engine.open(path, modelsDir, progressOf('models:open')),
      ),
    'models:openDefault': async () => opened(await engine.openDefault(options.resourcesDir, modelsDir, progressOf('models:open'))),

    'classes:search': async ({ query, limit }) => {
      const m = model()
      return searchClasses(m.classNames, m.classIds, query, limit ?? 1000)
    },

    'latents:sample': async ({ seed, count, truncation }) => {
      model()
      return engine.call({ op: 'sample', seed, count, truncation })
    },
    'latents:redraw': async ({ z, start, end, seed, truncation }) => {
      model()
      const request = { op: 'redraw' as const, z: Float32Array.from(z), start, end, seed, truncation }
      return engine.call(request, { transfer: [request.z.buffer] })
    },
    'latents:retruncate': async ({ z, from, to, seed }) => {
      model()
      const request = { op: 'retruncate' as const, z: Float32Array.from(z), from, to, seed }
      return engine.call(request, { transfer: [request.z.buffer] })
    },
    'latents:directions': async ({ kind, count, seed, y }) => {
      const m = model()
      if (y && y.length !== m.numClasses) {
        throw new StudioError('bad-input', `the class vector has ${y.length} values, but ${m.name} has ${m.numClasses} classes`)
      }
      const request = { op: 'directions' as const, kind, count, seed, ...(y ? { y: Float32Array.from(y) } : {}) }
      return engine.call(request, {
        job: 'latents:directions',
        onProgress: progressOf('latents:directions'),
        ...(request.y ? { transfer: [request.y.buffer] } : {}),
      })
    },

    'images:render': async ({ view, points }) => engine.render(view, packPoints(model(), points)),
    'images:png': async ({ point, name, upscale }) => {
      const m = model()
      const bytes = await engine.png(packPoint(m, point), 'export', undefined, upscale)
      return { bytes, fileName: `${safeFileName(name ?? defaultName(m, point))}.png` }
    },
    'images:sequence': async ({ points, format, fps, name, upscale }) => {
      const m = model()
      const base = safeFileName(name ?? `${m.name}-walk`)
      const packed = packPoints(m, points)
      const { bytes } = await engine.call(
        { op: 'sequence', points: packed, format, fps, baseName: base, ...(upscale ? { upscale } : {}) },
        {
          job: 'images:sequence',
          onProgress: progressOf('images:sequence'),
          transfer: [packed.z.buffer, packed.y.buffer, packed.truncation.buffer] as ArrayBuffer[],
        },
      )
      if (bytes.length > LIMITS.favouritesFileBytes) {
        const mb = (n: number) => `${Math.ceil(n / 2 ** 20)} MB`
        throw new StudioError(
          'bad-input',
          `the ${format === 'gif' ? 'GIF' : 'zip of PNG frames'} came to ${mb(bytes.length)}, more than the ${mb(LIMITS.favouritesFileBytes)} an export may be: ` +
            'export fewer frames or a smaller size',
        )
      }
      return { bytes, fileName: `${base}.${format === 'gif' ? 'gif' : 'zip'}` }
    },
    'images:readPng': async ({ png }) => {
      let record
      try {
        record = readLatentRecord(png)
      } catch (err) {
        if (err instanceof LatentRecordError) throw new StudioError('failed', err.message)
        throw err
      }
      const m = engine.model
      const madeWith = `${record.modelName} (${record.modelHash.slice(0, 8)})`
      if (!m) throw new StudioError('failed', `no model is open: this PNG was made with ${madeWith}; open that model, then drop the PNG again`)
      if (record.z.length !== m.zDim || record.y.length !== m.numClasses) {
        throw new StudioError(
          'failed',
          `this PNG was made with ${madeWith}, whose z has ${record.z.length} values and which has ${record.y.length} classes; ` +
            `the open model ${m.name} takes a z of ${m.zDim} and has ${m.numClasses} classes. Open ${record.modelName} to reopen this image`,
        )
      }
      const refused = truncationProblem(m, record.truncation)
      if (refused) throw new StudioError('failed', `this PNG was made with ${madeWith}, and for the open model its ${refused}. Open ${record.modelName} to reopen this image`)
      const point: Point = {
        z: Float32Array.from(record.z),
        y: Float32Array.from(record.y),
        truncation: record.truncation,
        ...(record.seed !== undefined ? { seed: record.seed } : {}),
      }
      return { record, sameModel: record.modelHash === m.hash, point }
    },

    'favourites:save': async ({ point, name, tags, notes, rating, parentId }) => {
      const m = model()
      const packed = packPoint(m, point)
      const thumbnail = await engine.png({ ...packed, z: packed.z.slice(), y: packed.y.slice() }, 'thumbnail', THUMBNAIL_SIZE)
      return library.saveFavourite({
        name,
        tags,
        notes,
        rating,
        parentId: parentId ?? null,
        modelHash: m.hash,
        modelName: m.name,
        engineVersion,
        semantics: m.semantics,
        z: packed.z,
        y: packed.y,
        truncation: point.truncation,
        ...(point.seed !== undefined ? { seed: point.seed } : {}),
        thumbnail,
      })
    },
    'favourites:list': async (filter) => library.listFavourites(definedOnly(filter)),
    'favourites:get': async ({ id }) => library.getFavourite(id),
    'favourites:update': async ({ id, ...patch }) => library.updateFavourite(id, definedOnly(patch)),
    'favourites:delete': async ({ id }) => ({ deleted: library.deleteFavourite(id) }),
    'favourites:lineage': async ({ id }) => library.lineage(id),
    'favourites:tags': async () => library.tags(),
    'favourites:export': async ({ ids }) => ({
      bytes: library.exportFavourites(ids),
      fileName: `biggan-favourites-${new Date().toISOString().slice(0, 10)}.json`,
    }),
    'favourites:import': async ({ bytes }) => library.importFavourites(bytes),

    'session:current': async () => library.currentSession(),
    'session:list': async () => library.listSessions(),
    'session:open': async ({ id }) => library.openSession(id),
    'session:new': async ({ name }) => library.newSession(name),
    'session:push': async ({ point, view, label }) => {
      const m = model()
      return library.push({ point, view, modelHash: m.hash, ...(label !== undefined ? { label } : {}) })
    },
    'session:undo': async () => library.undo(),
    'session:redo': async () => library.redo(),

    // answered once the job has stopped: 'cancelled' only where it stopped as cancelled, not where it finished first
    'jobs:cancel': async ({ job }) => ({ cancelled: downloads.cancel(job) || (await engine.cancel(job)) || (await finetune.cancelJob(job)) }),

    // The system dialog needs a window: the Electron shell answers it in main/ipc, over the window that asked.
    'dialog:chooseFolder': async () => {
      throw new StudioError('unsupported', "dialog:chooseFolder: web mode has no system folder dialog: type the folder's path instead")
    },
  }

  return {
    handlers: jobs.track(withStudioErrors(handlers)),
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    async close() {
      downloads.close()
      await finetune.close()
      await engine.close()
      listeners.clear()
    },
    finetune,
  }
}

/** A file name from free text: letters, digits, spaces, brackets, '.', '_' and '-' kept, the rest '-'. */
export function safeFileName(text: string): string {
  const name = text
    .normalize('NFKC')
    .replace(/[^\p{L}\p{N} ()._-]+/gu, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[\s.-]+|[\s.-]+$/g, '')
    .slice(0, 100)
  return name || 'biggan'
}

/** The object without its undefined properties. */
function definedOnly<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
