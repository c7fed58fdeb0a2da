// What a saved model says of itself beside its weights: its architecture, where its weights came from (provenance),
// the hash that names them, which groups of tensors it holds, and a training checkpoint's state for an exact resume.
// Plain data: the model folder on disk (disk/modelFolder.ts) reads and writes it as config.json.
import type { ModelConfig } from './config'

/** The groups of a saved model's tensors, by name prefix: G's and D's parameters under their engine names, the EMA
 *  of G as `ema.G.…`, and a training checkpoint's optimiser state as `opt.<parameter>.m|v`. */
export const groups = {
  generator: 'G.',
  discriminator: 'D.',
  ema: 'ema.', // `ema.G.…`: the exponential moving average of G's weights
  optimiser: 'opt.',
} as const

export interface Provenance {
  /** 'init' | 'import:hf-biggan-deep' | 'import:biggan-pytorch' | 'import:studiogan' | 'train' | 'finetune' … */
  source: string
  /** where it came from: a path, a parent model hash */
  from?: string
  createdAt: string
  engineVersion: string
  notes?: string
  /** a training run's lineage: the model it started from (fine-tunes), its images, and the run folder */
  parent?: { dir: string; contentHash: string }
  data?: { dir: string; contentHash: string }
  run?: { dir: string; method?: string }
}

export interface ModelManifest {
  /** the folder format's name and version ('biggan-studio-model', 1): disk/modelFolder.ts reads and writes them */
  format: string
  formatVersion: number
  config: ModelConfig
  provenance: Provenance
  /** sha256 over the tensors in name order (name, dtype, shape, bytes) */
  contentHash: string
  contents: { generator: boolean; discriminator: boolean; ema: boolean; optimiser: boolean }
  /** free-form training state (step, random state …) for exact resume */
  state?: Record<string, unknown>
}

