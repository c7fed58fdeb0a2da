// Which view is showing, and whether the help overlay is open.
import type { ViewId } from '../lib/views.ts'

class Navigation {
  view = $state<ViewId>('explore')
  helpOpen = $state(false)

  go(view: ViewId): void {
    this.view = view
  }
}

export const navigation = new Navigation()
