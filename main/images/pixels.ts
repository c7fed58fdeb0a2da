// The studio's image grids: where each generated image sits in a grid picture, and the tiling that draws it. The
// images come in as pixels already (engine/pixels.ts turns generator output into them).

/** Where `count` images of cell × cell pixels sit in a grid image: row-major in `columns` columns, a `gap`-pixel
 *  border around every cell. The one geometry of the studio's grids: tileGrid draws it, and a fine-tune preview
 *  records it in its PNG so that the renderer finds the sample under a click without knowing the rule. */
export interface GridLayout {
  count: number
  columns: number
  rows: number
  cell: number
  gap: number
  width: number
  height: number
}

export const GRID_GAP = 2

/** The layout of `count` cells, `columns` wide (by default a square-ish ⌈√count⌉). */
export function gridLayout(count: number, cell: number, columns = Math.max(1, Math.ceil(Math.sqrt(count))), gap = GRID_GAP): GridLayout {
  const rows = Math.ceil(count / columns)
  return { count, columns, rows, cell, gap, width: columns * cell + (columns + 1) * gap, height: rows * cell + (rows + 1) * gap }
}

/** The top-left pixel of cell `index`. */
export function cellOrigin(layout: GridLayout, index: number): { x: number; y: number } {
  const { columns, cell, gap } = layout
  return { x: gap + (index % columns) * (cell + gap), y: gap + Math.floor(index / columns) * (cell + gap) }
}

/** Tiles `layout.count` RGB images of cell × cell into the layout's grid, on white. */
export function tileGrid(pixels: Uint8Array, layout: GridLayout): { rgb: Uint8Array; width: number; height: number } {
  const { count, cell: size, width, height } = layout
  const rgb = new Uint8Array(width * height * 3).fill(255)
  for (let n = 0; n < count; n++) {
    const { x: x0, y: y0 } = cellOrigin(layout, n)
    for (let y = 0; y < size; y++) {
      const src = (n * size + y) * size * 3
      rgb.set(pixels.subarray(src, src + size * 3), ((y0 + y) * width + x0) * 3)
    }
  }
  return { rgb, width, height }
}
