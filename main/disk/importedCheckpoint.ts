// What an import produces, whatever the family: the config, the provenance and the tensors by engine name. Its own
// file so that each family's importer and the dispatch (importCheckpoint.ts) share it without importing each other.
import type { ModelConfig } from '../engine/config.ts'
import type { Provenance } from '../engine/manifest.ts'
import type { TensorMap } from '../tensors/tensor.ts'

/** The families a model exports back to. */
export type CheckpointFamily = 'hf-biggan-deep' | 'biggan-pytorch'
/** The families a checkpoint imports from. */
export type ImportFamily = CheckpointFamily | 'tfhub-biggan' | 'tfhub-biggan-deep' | 'studiogan'

export interface ImportedCheckpoint {
  family: ImportFamily
  config: ModelConfig
  provenance: Omit<Provenance, 'createdAt' | 'engineVersion'>
  /** the generator to sample from, by engine name (G.…) */
  G: TensorMap
  /** the discriminator, where the checkpoint has one (D.…) */
  D?: TensorMap
  /** the EMA of G where the checkpoint holds both G and its EMA (engine names G.…, stored as ema.G.…) */
  ema?: TensorMap
}

export type ImportProgress = (message: string) => void
