// Which view is showing (kept across reloads), and whether the help overlay is open.
import { VIEWS, type ViewId } from '../lib/views.ts'

class Navigation {
  view = $state<ViewId>('explore')
  helpOpen = $state(false)

  go(view: ViewId): void {
    this.view = view
  }

  /** The view shown, as the page keeps it across reloads. */
  snapshot(): Record<string, unknown> {
    return { view: this.view }
  }

  restore(saved: Record<string, unknown>): void {
    const view = VIEWS.find((v) => v.id === saved.view)
    if (view) this.view = view.id
  }
}

export const navigation = new Navigation()
