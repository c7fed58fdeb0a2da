#!/usr/bin/env node
// Launcher for the `biggan` CLI: registers tsx (a dependency) so Node runs the TypeScript sources directly,
// with no build step, then hands over to main/cli/index.ts.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../main/cli/index.ts')
process.exitCode = await main(process.argv.slice(2))
