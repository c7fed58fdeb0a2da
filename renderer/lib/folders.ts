// Choosing a folder: the system's folder dialog where the shell has one (the desktop app), the typed path always.
// Web mode has no system dialog: the back end refuses dialog:chooseFolder with code 'unsupported', and the field
// stays a path field.
import type { EngineInfo, Input, Output } from '../../preload/contract/index.ts'
import { errorCode } from './errors.ts'

/** Whether the shell offers the system's folder dialog (engine:info says which shell serves the page). */
export function folderDialogAvailable(engine: EngineInfo | null): boolean {
  return engine?.shell === 'electron'
}

export type FolderChoice =
  | { kind: 'chosen'; path: string }
  | { kind: 'cancelled' }
  /** the shell has no system dialog: keep typing the path */
  | { kind: 'unsupported'; message: string }

/** Asks the system dialog for a folder, starting at the path typed so far. Other failures are thrown. */
export async function chooseFolder(
  choose: (input: Input<'dialog:chooseFolder'>) => Promise<Output<'dialog:chooseFolder'>>,
  typed: string,
  title: string,
): Promise<FolderChoice> {
  const start = typed.trim()
  try {
    const { path } = await choose({ title, ...(start ? { defaultPath: start } : {}) })
    return path === null ? { kind: 'cancelled' } : { kind: 'chosen', path }
  } catch (e) {
    if (errorCode(e) === 'unsupported') return { kind: 'unsupported', message: e instanceof Error ? e.message : String(e) }
    throw e
  }
}
