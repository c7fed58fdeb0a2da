// The fine-tune form as data: the "advanced" settings (one row each, with its bounds from the contract), what the
// typed text means (empty: the engine's default), and the target the request names.
import type {
  FinetuneHyperparameters,
  FinetuneMethod,
  FinetuneOverrides,
  FinetunePlan,
  FinetuneTarget,
  MetricsRecord,
  Run,
} from '../../preload/contract/index.ts'
import { formatLimit } from './numbers.ts'
import { formatDuration } from './runs.ts'

export const METHODS: { id: FinetuneMethod; label: string; hint: string }[] = [
  { id: 'adversarial', label: 'Adversarial', hint: 'G and D go on training on the folder, with ADA augmentation and FreezeD' },
  { id: 'new-class', label: 'New class', hint: 'adversarial, with a new class row that learns faster' },
  { id: 'fresh-d', label: 'Fresh D', hint: 'a new discriminator warms up against the frozen G first (for models without D)' },
  { id: 'bsa', label: 'BSA', hint: 'batch-statistics adaptation: no D, for very small folders' },
]

export const AUGMENT_POLICIES = ['color', 'translation', 'cutout'] as const
export type AugmentPolicy = (typeof AUGMENT_POLICIES)[number]

type NumericKey = Exclude<keyof FinetuneOverrides, 'augmentPolicies' | 'mirror'>

export interface OverrideField {
  key: NumericKey
  label: string
  integer: boolean
  min: number
  max: number
  hint: string
  /** the BSA method reads it too (as its lr, batch or seed) */
  bsa?: boolean
  /** only this method reads it */
  only?: FinetuneMethod
}

/** Every numeric setting of the contract's finetuneOverrides, in the order the fold lists them. */
export const OVERRIDE_FIELDS: OverrideField[] = [
  { key: 'batchSize', label: 'Batch size', integer: true, min: 1, max: 4096, hint: 'images per D step', bsa: true },
  { key: 'accumulation', label: 'Accumulation', integer: true, min: 1, max: 1024, hint: 'batches summed per step' },
  { key: 'dStepsPerGStep', label: 'D steps per G step', integer: true, min: 1, max: 100, hint: 'the paper uses 2' },
  { key: 'lrG', label: 'G learning rate', integer: false, min: 1e-9, max: 0.999, hint: 'Adam step size of G (BSA: its lr)', bsa: true },
  { key: 'lrD', label: 'D learning rate', integer: false, min: 1e-9, max: 0.999, hint: 'Adam step size of D' },
  { key: 'orthogonalRegularisation', label: 'Orthogonal reg.', integer: false, min: 0, max: 0.999, hint: 'β of the paper’s §3.1 regulariser' },
  { key: 'emaDecay', label: 'EMA decay', integer: false, min: 0, max: 0.999999, hint: 'of the generator’s moving average' },
  { key: 'emaStart', label: 'EMA start', integer: true, min: 0, max: 10_000_000, hint: 'step the average starts at' },
  { key: 'augmentP', label: 'Augment p (fixed)', integer: false, min: 0, max: 1, hint: 'empty: ADA adapts p' },
  { key: 'adaTarget', label: 'ADA target r_t', integer: false, min: -0.999, max: 0.999, hint: 'ADA raises p while r_t is above it' },
  { key: 'freezeD', label: 'FreezeD blocks', integer: true, min: 0, max: 64, hint: 'D’s first blocks kept frozen' },
  { key: 'warmupSteps', label: 'D warm-up steps', integer: true, min: 0, max: 10_000_000, hint: 'fresh D trains alone first', only: 'fresh-d' },
  { key: 'classStepFactor', label: 'New class step ×', integer: false, min: 0.001, max: 1000, hint: 'new class rows step faster', only: 'new-class' },
  { key: 'checkpointEvery', label: 'Checkpoint every', integer: true, min: 1, max: 10_000_000, hint: 'steps', bsa: true },
  { key: 'keepCheckpoints', label: 'Keep checkpoints', integer: true, min: 1, max: 1000, hint: 'newest kept, plus best/' },
  { key: 'previewEvery', label: 'Preview every', integer: true, min: 1, max: 10_000_000, hint: 'steps between preview grids' },
  { key: 'previewCount', label: 'Preview samples', integer: true, min: 1, max: 256, hint: 'fixed latents in the grid', bsa: true },
  { key: 'logEvery', label: 'Log every', integer: true, min: 1, max: 10_000_000, hint: 'steps between metrics records' },
  { key: 'spectraEvery', label: 'Spectra every', integer: true, min: 1, max: 10_000_000, hint: 'steps between σ0 σ1 σ2 logs' },
  { key: 'memorisationEvery', label: 'Copy check every', integer: true, min: 0, max: 10_000_000, hint: '0: no copying check' },
  { key: 'seed', label: 'Seed', integer: true, min: 0, max: 2 ** 32 - 1, hint: 'data order, latents and init', bsa: true },
]

/** Whether a method reads a field (the fold hides the others). */
export function fieldApplies(field: OverrideField, method: FinetuneMethod): boolean {
  if (method === 'bsa') return field.bsa === true
  return field.only === undefined || field.only === method
}

/** The resolved value the plan shows for a field (placeholder of its input). */
export function resolvedValue(
  field: OverrideField,
  plan: { hyperparameters: FinetuneHyperparameters | null; bsa: { batchSize: number; lr: number; seed: number } | null } | null,
): string {
  if (!plan) return ''
  if (plan.bsa) {
    const v = field.key === 'batchSize' ? plan.bsa.batchSize : field.key === 'lrG' ? plan.bsa.lr : field.key === 'seed' ? plan.bsa.seed : null
    return v === null ? '' : String(v)
  }
  const h = plan.hyperparameters
  if (!h) return ''
  if (field.key === 'augmentP' && h.augmentAdaptive) return `ADA, from ${h.augmentP}`
  if (field.key === 'classStepFactor') return h.classStepFactor === null ? '' : String(h.classStepFactor)
  const v = h[field.key as keyof FinetuneHyperparameters]
  return typeof v === 'number' ? String(v) : ''
}

export interface AdvancedForm {
  /** typed text per numeric field; empty or absent: the engine's default */
  values: Partial<Record<NumericKey, string>>
  /** null: the default policies */
  policies: AugmentPolicy[] | null
  mirror: 'default' | 'on' | 'off'
}

/** The overrides the form asks for, and what is wrong with each field that cannot be sent. Fields a method does
 *  not read are left out. */
export function parseOverrides(
  form: AdvancedForm,
  method: FinetuneMethod,
): { overrides: FinetuneOverrides; errors: Partial<Record<NumericKey, string>> } {
  const overrides: Record<string, unknown> = {}
  const errors: Partial<Record<NumericKey, string>> = {}
  for (const field of OVERRIDE_FIELDS) {
    if (!fieldApplies(field, method)) continue
    const text = form.values[field.key]?.trim() ?? ''
    if (text === '') continue
    const v = Number(text)
    if (!Number.isFinite(v)) errors[field.key] = 'not a number'
    else if (field.integer && !Number.isInteger(v)) errors[field.key] = 'a whole number'
    else if (v < field.min || v > field.max) errors[field.key] = `from ${field.min} to ${field.max}`
    else overrides[field.key] = v
  }
  if (method !== 'bsa') {
    if (form.policies !== null) overrides.augmentPolicies = [...form.policies]
    if (form.mirror !== 'default') overrides.mirror = form.mirror === 'on'
  }
  return { overrides: overrides as FinetuneOverrides, errors }
}

export interface TargetForm {
  kind: 'folder' | 'existing' | 'new'
  classIndex: number | null
  newName: string
}

/** The request's target, or what is missing. */
export function targetOf(form: TargetForm): { target: FinetuneTarget } | { error: string } {
  if (form.kind === 'existing') {
    if (form.classIndex === null) return { error: 'Pick the model class the folder trains.' }
    return { target: { kind: 'existing', classIndex: form.classIndex } }
  }
  if (form.kind === 'new') {
    const name = form.newName.trim()
    if (!name) return { error: 'Name the new class.' }
    if (name.length > 200) return { error: 'The class name is longer than 200 characters.' }
    return { target: { kind: 'new', name } }
  }
  return { target: { kind: 'folder' } }
}

/** A target in words, for the runs list. */
export function describeTarget(target: FinetuneTarget, classNames: readonly string[]): string {
  if (target.kind === 'existing') {
    const i = target.classIndex ?? -1
    return `class ${classNames[i] ?? `#${i}`}`
  }
  if (target.kind === 'new') return `new class “${target.name ?? ''}”`
  return 'the folder’s classes'
}

/** The G steps a run may ask for (the contract's bound). */
export const STEPS = { min: 1, max: 10_000_000 } as const
/** From this many steps a run asks to be confirmed, with its estimated time, before it starts. */
export const CONFIRM_STEPS = 100_000

/** The steps typed, or why they cannot start a run: nothing is clamped, a run trains exactly what it says. */
export function parseSteps(text: string): { steps: number } | { error: string } {
  const t = text.trim()
  const range = `a whole number from ${formatLimit(STEPS.min)} to ${formatLimit(STEPS.max)}`
  if (t === '') return { error: `Steps: give ${range}.` }
  const v = Number(t)
  if (!Number.isFinite(v)) return { error: `Steps: “${t.slice(0, 40)}” is not a number; give ${range}.` }
  if (!Number.isInteger(v)) return { error: `Steps: ${t} is not whole; give ${range}.` }
  if (v < STEPS.min) return { error: `Steps: ${formatLimit(v)} trains nothing; give ${range}.` }
  if (v > STEPS.max) return { error: `Steps: ${formatLimit(v)} is more than the ${formatLimit(STEPS.max)} a run may take.` }
  return { steps: v }
}

/** Images one G step computes on: D's steps and G's, each over the (accumulated) batch; BSA's batch. */
function imagesPerStep(plan: Pick<FinetunePlan, 'hyperparameters' | 'bsa'> | Pick<Run, 'hyperparameters' | 'bsa'>): number | null {
  if (plan.bsa) return plan.bsa.batchSize
  const h = plan.hyperparameters
  return h ? h.dStepsPerGStep * h.batchSize * h.accumulation : null
}

/** Seconds a G step of `plan` should take, scaled from a run of the same model that was timed here (the median of
 *  its logged images per second), or null when there is none. */
export function secondsPerStep(
  plan: Pick<FinetunePlan, 'hyperparameters' | 'bsa'>,
  timed: { run: Pick<Run, 'hyperparameters' | 'bsa'>; metrics: Pick<MetricsRecord, 'imagesPerSecond'>[] } | null,
): number | null {
  if (!timed) return null
  const rates = timed.metrics.map((m) => m.imagesPerSecond).filter((v): v is number => typeof v === 'number' && v > 0)
  const images = imagesPerStep(plan)
  if (rates.length === 0 || images === null || imagesPerStep(timed.run) === null) return null
  rates.sort((a, b) => a - b)
  const median = rates[Math.floor(rates.length / 2)]
  return images / median
}

/** What the confirmation of a long run says about its time. */
export function runTimeText(steps: number, perStep: number | null, timedRun: string | null): string {
  if (perStep === null || timedRun === null) {
    return `No run of this model has been timed here yet, so its time is not known before it starts; the run monitor shows the estimate after its first steps.`
  }
  return `At about ${perStep < 10 ? perStep.toFixed(2) : Math.round(perStep)} s a step (as run ${timedRun} trained here), ${formatLimit(steps)} steps take about ${formatDuration(steps * perStep)}.`
}

/** The total a finished or stopped run trains further to: empty takes twice its steps (within the limit); a typed
 *  total must lie past the step it has reached. Refused, never clamped. */
export function parseExtendSteps(text: string, run: Pick<Run, 'step' | 'steps'>): { steps: number } | { error: string } {
  if (text.trim() === '') return { steps: Math.min(STEPS.max, Math.max(run.step + 1, run.steps * 2)) }
  const parsed = parseSteps(text)
  if ('error' in parsed) return parsed
  if (parsed.steps <= run.step) return { error: `Steps: the run has reached step ${formatLimit(run.step)}; give a total past it.` }
  return parsed
}
