// Runs the `biggan` command line in this process (main() with captured output), on the wasm backend.
import { main } from '../../main/cli/index'

export async function biggan(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = []
  const err: string[] = []
  const code = await main(['--backend', 'wasm', ...argv], { out: (l) => out.push(l), err: (l) => err.push(l) })
  return { code, out: out.join('\n'), err: err.join('\n') }
}
