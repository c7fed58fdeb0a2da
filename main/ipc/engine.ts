// engine:* handlers. They adapt the engine's values to the contract's shapes and add nothing else.
import { initBackend } from '../engine/backend.ts'
import type { Output } from '../../preload/contract.ts'

export async function engineInfo(): Promise<Output<'engine:info'>> {
  const b = await initBackend()
  return {
    backend: b.name,
    tfBackend: b.tfBackend,
    threads: b.threads,
    simd: b.simd,
    version: b.version,
    tried: b.tried.map((t) => ({ ...t })),
    notes: [...b.notes],
  }
}
