// Object URLs for favourites' PNG thumbnails (img-src allows blob:). One owner: keep() hands out URLs for the
// favourites on screen and revokes the rest; dispose() revokes all.

export class ThumbnailUrls {
  private urls = new Map<string, string>()

  /** URL for each (key, bytes); URLs of keys not listed are revoked. */
  keep(items: { key: string; bytes: Uint8Array }[]): Map<string, string> {
    const next = new Map<string, string>()
    for (const { key, bytes } of items) {
      let url = this.urls.get(key) ?? next.get(key)
      if (!url) url = URL.createObjectURL(new Blob([bytes.slice()], { type: 'image/png' }))
      next.set(key, url)
    }
    for (const [key, url] of this.urls) if (!next.has(key)) URL.revokeObjectURL(url)
    this.urls = next
    return next
  }

  dispose(): void {
    for (const url of this.urls.values()) URL.revokeObjectURL(url)
    this.urls.clear()
  }
}
