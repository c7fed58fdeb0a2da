// electron-builder's afterPack hook (package.json build.afterPack): sets the packaged app's Electron fuses.
// electron-builder loads hooks with Node's own import, which reads no TypeScript, so this entry only asks tsx (a
// dependency) to load scripts/electron-fuses.ts, where the fuses and the code that sets them live.
import { tsImport } from 'tsx/esm/api'

const { afterPack } = await tsImport('./electron-fuses.ts', import.meta.url)

export default afterPack
