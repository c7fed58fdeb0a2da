// The studio's keyboard shortcuts: one table, read by the key handler and by the help overlay.

export type Shortcut =
  | { kind: 'view'; index: number }
  | { kind: 'undo' }
  | { kind: 'redo' }
  | { kind: 'new-seed' }
  | { kind: 'favourite' }
  | { kind: 'help' }
  | { kind: 'close' }
  | { kind: 'step'; sign: 1 | -1 }
  | { kind: 'select-direction'; delta: 1 | -1 }
  | { kind: 'walk' }

export interface KeyLike {
  key: string
  ctrlKey: boolean
  metaKey: boolean
  shiftKey: boolean
  altKey: boolean
}

/** What a key press asks for, or null. `typing`: the focus is in a text field, select or slider, which keep their
 *  own keys (only Escape passes). */
export function shortcutFor(e: KeyLike, typing: boolean): Shortcut | null {
  if (e.key === 'Escape') return { kind: 'close' }
  if (typing || e.altKey) return null
  const mod = e.ctrlKey || e.metaKey
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key
  if (key === 'z') return e.shiftKey ? { kind: 'redo' } : { kind: 'undo' }
  if (mod && key === 'y') return { kind: 'redo' }
  if (mod) return null
  if (/^[0-9]$/.test(e.key)) return { kind: 'view', index: (Number(e.key) + 9) % 10 }
  switch (key) {
    case 'r':
      return { kind: 'new-seed' }
    case 'f':
      return { kind: 'favourite' }
    case '?':
      return { kind: 'help' }
    case 'h':
      return { kind: 'help' }
    case ' ':
      return { kind: 'walk' }
    case 'ArrowRight':
      return { kind: 'step', sign: 1 }
    case 'ArrowLeft':
      return { kind: 'step', sign: -1 }
    case 'ArrowUp':
      return { kind: 'select-direction', delta: -1 }
    case 'ArrowDown':
      return { kind: 'select-direction', delta: 1 }
  }
  return null
}

/** Whether an element keeps its own keys (text entry, selects, sliders, editable content). */
export function isTypingTarget(el: { tagName?: string; type?: string; isContentEditable?: boolean } | null): boolean {
  if (!el || !el.tagName) return false
  if (el.isContentEditable) return true
  const tag = el.tagName.toUpperCase()
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true
  if (tag !== 'INPUT') return false
  const type = (el.type ?? 'text').toLowerCase()
  return !['button', 'checkbox', 'radio', 'submit', 'reset', 'file', 'color'].includes(type)
}

/** The help overlay's table. */
export const SHORTCUT_HELP: { keys: string[]; action: string }[] = [
  { keys: ['1 – 9', '0'], action: 'Switch view (Explore, Grid, Interpolate, Blend, Library, Export, Models, Fine-tune, Class leakage, Metrics)' },
  { keys: ['←', '→'], action: 'Step back / forward along the selected direction (Explore)' },
  { keys: ['↑', '↓'], action: 'Select the previous / next direction (Explore)' },
  { keys: ['Space'], action: 'Play / pause the random walk (Explore)' },
  { keys: ['R'], action: 'New random seed' },
  { keys: ['F'], action: 'Save the current image as a favourite' },
  { keys: ['Z', 'Ctrl+Z'], action: 'Undo' },
  { keys: ['Shift+Z', 'Ctrl+Shift+Z', 'Ctrl+Y'], action: 'Redo' },
  { keys: ['?', 'H'], action: 'Show this help' },
  { keys: ['Esc'], action: 'Close help or dialogs' },
]
