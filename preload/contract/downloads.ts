// The contract's downloads domain: "Get a model" in the Models view. The catalogue the studio's setting names (or the
// bundled one), what a model's download amounts to before it starts (downloads:plan), and the download itself
// (downloads:get): progress as 'progress' events of job 'downloads:get' (bytes done and total, and in the label the
// file, speed and time left), cancelled with jobs:cancel; once verified, the model is imported and opened.
import { modelInfo } from './engine.ts'
import { LIMITS } from './limits.ts'
import { s, type ChannelSchemas, type Infer } from './schema.ts'

const catalogueModel = s.object({
  name: s.string(),
  title: s.string(),
  family: s.string(),
  arch: s.string(),
  resolution: s.number(),
  classes: s.number(),
  /** bytes, where the catalogue knows every file's size */
  size: s.nullable(s.number()),
  /** the size in words ('1.23 GB', or that the server is asked) */
  sizeText: s.string(),
  files: s.number(),
  /** whether the files can be fetched directly; otherwise manual says how to get them */
  direct: s.boolean(),
  manual: s.optional(s.object({ url: s.string(), steps: s.string() })),
  homepage: s.string(),
  licence: s.string(),
  citation: s.string(),
  verified: s.string(),
})

const catalogueState = s.object({
  /** the catalogue file read */
  file: s.string(),
  /** whether it is the bundled one (the setting is null) */
  bundled: s.boolean(),
  models: s.array(catalogueModel),
  /** why the catalogue could not be read (models is then empty) */
  error: s.nullable(s.string()),
})

const plan = s.object({
  name: s.string(),
  files: s.array(s.object({ name: s.string(), size: s.nullable(s.number()), have: s.number() })),
  /** bytes in all, where every size is known before the download */
  total: s.nullable(s.number()),
  /** bytes already downloaded (finished files, and partial ones to resume) */
  have: s.number(),
  /** in words: '2 files, 235 MB (12.0 MB already here)' */
  summary: s.string(),
})

export const DOWNLOAD_JOB = 'downloads:get'

export const downloadsChannels = {
  /** the catalogue the setting names, or the bundled one */
  'downloads:catalogue': { input: s.none(), output: catalogueState },
  /** the files of a catalogue model and their sizes, before anything is downloaded */
  'downloads:plan': { input: s.object({ name: s.text(LIMITS.name) }), output: plan },
  /** downloads a catalogue model (resuming what an earlier try left), verifies it, imports it and opens it */
  'downloads:get': { input: s.object({ name: s.text(LIMITS.name) }), output: modelInfo },
} satisfies Record<string, ChannelSchemas>

export type CatalogueModel = Infer<typeof catalogueModel>
export type CatalogueState = Infer<typeof catalogueState>
export type DownloadPlan = Infer<typeof plan>
