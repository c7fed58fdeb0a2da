// The page web mode answers when an address lacks its token. Its styling is one <style> element that the page's
// policy admits by its hash: nothing else may load or run there.
import { createHash } from 'node:crypto'

const STYLE = 'body { font-family: sans-serif; max-width: 40em; margin: 4em auto; line-height: 1.4 } code { font-size: 0.95em }'

export const TOKEN_PAGE_HTML =
  '<!doctype html><html lang="en"><meta charset="utf-8"><title>BigGAN Studio: address without its token</title>' +
  `<style>${STYLE}</style><body>` +
  '<h1>This address needs its token</h1>' +
  '<p>BigGAN Studio (web mode) answers only to the address it printed when it started, which ends in ' +
  '<code>/?token=…</code>. Copy that whole address from the terminal where you started it (<code>npm start -- --web</code>).</p>' +
  '<p>The address stays the same each time web mode starts on the same data folder, until it is started with ' +
  '<code>--new-token</code>.</p></body></html>'

export const TOKEN_PAGE_CSP =
  `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}'; ` +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
