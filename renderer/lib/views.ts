// The studio's views, in sidebar order: keys 1–9, then 0, switch to them.

export const VIEWS = [
  { id: 'explore', label: 'Explore', hint: 'One image: class, seed, truncation, and moves through z' },
  { id: 'grid', label: 'Truncation grid', hint: 'Seeds or classes × truncation values' },
  { id: 'interpolate', label: 'Interpolate', hint: 'A path between two points, as a strip and an animation' },
  { id: 'blend', label: 'Blend', hint: 'Mix classes and breed children' },
  { id: 'library', label: 'Library', hint: 'Favourites and sessions' },
  { id: 'export', label: 'Export', hint: 'PNG with its latent record; drop one to reopen it' },
  { id: 'models', label: 'Models', hint: 'Open, import and switch models' },
  { id: 'finetune', label: 'Fine-tune', hint: 'Fine-tune the open model on an image folder, and follow its runs' },
  { id: 'leakage', label: 'Class leakage', hint: 'Which class a judge sees in samples of each class, per truncation and checkpoint' },
  { id: 'metrics', label: 'Metrics', hint: 'FD, KID, precision/recall and density/coverage against real images, per truncation' },
] as const

export type ViewId = (typeof VIEWS)[number]['id']

export function viewAt(index: number): ViewId | null {
  return VIEWS[index]?.id ?? null
}

/** The number key of the view at `index`: '1' … '9', then '0' for the tenth. */
export function viewKey(index: number): string {
  return String((index + 1) % 10)
}
