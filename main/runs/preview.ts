// A run's preview: the fixed preview latents rendered by the EMA generator, tiled into one PNG grid. The grid's
// layout, the step, the seed and each sample's class travel in the PNG's text chunk ('biggan-preview'), so whoever
// shows the image finds the sample under a click without knowing the tiling rule. Written by the run folder,
// read back by the studio: one home for both halves of the format.
import { toPixels } from '../engine/pixels.ts'
import { encodePng, readPngText } from '../images/png.ts'
import { gridLayout, tileGrid, type GridLayout } from '../images/pixels.ts'
import type { PreviewSamples } from '../engine/train/loop.ts'

const TEXT_KEY = 'biggan-preview'

/** The samples as a PNG grid with their layout and classes in its text. */
export function previewPng(samples: PreviewSamples): Uint8Array {
  const layout = gridLayout(samples.classes.length, samples.resolution)
  const grid = tileGrid(toPixels(samples.images), layout)
  const text = { [TEXT_KEY]: JSON.stringify({ step: samples.step, seed: samples.seed, classes: samples.classes, grid: layout }) }
  return encodePng(grid.rgb, grid.width, grid.height, text)
}

/** Where each sample sits in a preview PNG: the layout recorded in it. A preview written before layouts were recorded
 *  gets the default layout of its sample count, its cell size read off its width; undefined when the PNG says
 *  nothing of its samples (not a preview). */
export function previewLayout(png: Uint8Array): GridLayout | undefined {
  let meta: { classes?: unknown; grid?: Partial<Record<keyof GridLayout, unknown>> } | undefined
  try {
    meta = JSON.parse(readPngText(png)[TEXT_KEY] ?? 'null') ?? undefined
  } catch {
    meta = undefined
  }
  const g = meta?.grid
  const whole = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0
  if (g && whole(g.count) && whole(g.cell) && whole(g.columns) && whole(g.gap) && g.columns > 0) {
    return gridLayout(g.count, g.cell, g.columns, g.gap)
  }
  const count = Array.isArray(meta?.classes) ? meta.classes.length : 0
  if (count === 0) return undefined
  const { columns, gap } = gridLayout(count, 0)
  const width = new DataView(png.buffer, png.byteOffset, png.byteLength).getUint32(16) // IHDR
  return gridLayout(count, Math.round((width - (columns + 1) * gap) / columns))
}
