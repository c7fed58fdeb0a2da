// What the preload exposes to the page as window.studioBridge: the contract's transport, typed for both sides. It
// lives apart from preload/index.ts so the renderer can name it without importing 'electron', whose types bring
// Node's globals with them.
import type { Reply } from './contract/index.ts'

export interface StudioBridge {
  invoke(channel: string, input: unknown): Promise<Reply<unknown>>
  subscribe(listener: (event: unknown) => void): () => void
}
