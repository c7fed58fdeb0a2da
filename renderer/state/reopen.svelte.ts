// Reopening a point that came from outside the current view: a favourite, or a PNG the studio exported (dropped on
// the window or chosen in Export). Both say which model they need when it is not the open one.
import type { Favourite } from '../../preload/contract/index.ts'
import { errorMessage } from '../lib/errors.ts'
import { isPng } from '../lib/files.ts'
import { pointMismatch, pointOf } from '../lib/points.ts'
import { studio } from '../lib/studio.ts'
import { current } from './current.svelte.ts'
import { model } from './model.svelte.ts'
import { navigation } from './navigation.svelte.ts'
import { notices } from './notices.svelte.ts'

/** Words for a model the user needs to open, with a hint when it is among the recent ones. */
export function neededModel(name: string, hash: string): string {
  const recent = model.recent.find((r) => r.hash === hash)
  const where = recent ? `it is in Models → Recent (${recent.path})` : 'open its folder in Models'
  return `model “${name}” (${hash.slice(0, 12)}…): ${where}`
}

/** Opens a favourite in Explore if it belongs to the open model; returns why not otherwise. */
export function openFavourite(f: Favourite): string | null {
  const info = model.info
  if (!info) return 'No model is open.'
  if (f.modelHash !== info.hash) return `“${f.name}” was made with ${neededModel(f.modelName, f.modelHash)}.`
  const p = pointOf(f)
  const why = pointMismatch(p, info)
  if (why) return `“${f.name}” does not fit this model: ${why}.`
  current.set(p, { commit: 'now', view: 'library', label: `favourite “${f.name}”` })
  current.parentFavourite = f.id
  navigation.go('explore')
  return null
}

/** Opens a model from the recent list (by hash), then the favourite. */
export async function openFavouriteWithModel(f: Favourite): Promise<void> {
  const recent = model.recent.find((r) => r.hash === f.modelHash)
  if (!recent) return
  await model.open(recent.path)
  if (model.info?.hash !== f.modelHash) return
  // the new model's session point is restored first; the favourite then becomes current
  await current.restored
  const why = openFavourite(f)
  if (why) notices.push('warning', why)
}

/** Reads the latent record of a PNG the studio wrote and reopens its exact point. */
export async function reopenPng(bytes: Uint8Array, fileName: string): Promise<void> {
  if (!isPng(bytes)) {
    notices.push('warning', `${fileName} is not a PNG. Drop a PNG that BigGAN Studio exported.`)
    return
  }
  try {
    const { record, sameModel, point } = await studio().images.readPng({ png: bytes })
    if (!sameModel) {
      notices.push('warning', `${fileName} was made with ${neededModel(record.modelName, record.modelHash)}, then drop it again.`)
      return
    }
    const info = model.info
    const why = info ? pointMismatch(point, info) : 'no model is open'
    if (why) {
      notices.push('warning', `${fileName} cannot be reopened: ${why}.`)
      return
    }
    current.set(point, { commit: 'now', view: 'export', label: `reopened ${fileName}`.slice(0, 200) })
    current.parentFavourite = null
    navigation.go('explore')
    notices.push('info', `Reopened the exact point of ${fileName}.`)
  } catch (e) {
    notices.push('warning', `${fileName} could not be reopened: ${errorMessage(e)}`)
  }
}
