// Where the views keep their place across reloads and restarts: the page's localStorage, one entry per view, under
// the id of the app's data folder (jobs:list gives it), so that two studios on different data folders served from one
// address never see each other's forms. Jobs are not kept here: the back end's registry holds them (jobs:*). Values
// are JSON; a missing, unreadable or foreign entry reads as nothing, and a full or refused storage keeps nothing.

/** The part of the browser's Storage used here (tests pass a Map-backed one). */
export interface KeyValueStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
  removeItem(key: string): void
}

export class ViewStore {
  constructor(
    private readonly storage: KeyValueStorage | null,
    private readonly dataId: string,
  ) {}

  private key(name: string): string {
    return `biggan-studio:${this.dataId}:${name}`
  }

  read(name: string): unknown {
    try {
      const text = this.storage?.getItem(this.key(name))
      return text ? (JSON.parse(text) as unknown) : null
    } catch {
      return null
    }
  }

  write(name: string, value: unknown): void {
    try {
      if (value === null || value === undefined) this.storage?.removeItem(this.key(name))
      else this.storage?.setItem(this.key(name), JSON.stringify(value))
    } catch {
      // a full or refused storage: the view forgets its place on reload, nothing else is lost
    }
  }
}

/** The page's localStorage, or null where the page may not use it. */
export function pageStorage(): KeyValueStorage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage
  } catch {
    return null
  }
}

// Readers of stored values, each answering the fallback for anything that is not what the view wrote.
export const stored = {
  object(value: unknown): Record<string, unknown> | null {
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null
  },
  string(value: unknown, fallback: string): string {
    return typeof value === 'string' ? value : fallback
  },
  number(value: unknown, fallback: number): number {
    return typeof value === 'number' && Number.isFinite(value) ? value : fallback
  },
  integers(value: unknown): number[] | null {
    return Array.isArray(value) && value.every((v) => Number.isInteger(v)) ? (value as number[]) : null
  },
  floats(value: unknown): Float32Array | null {
    return Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isFinite(v)) ? Float32Array.from(value as number[]) : null
  },
  oneOf<T extends string>(value: unknown, choices: readonly T[], fallback: T): T {
    return choices.includes(value as T) ? (value as T) : fallback
  },
}
