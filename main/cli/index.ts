// `biggan`: the command table and the runner. bin/biggan.mjs calls main(); tests spawn that launcher.
// To add a command: write a `Command` in commands/ (its options as data, `run(ctx)` returning an exit code) and
// list it in COMMANDS. Parsing, --help and error reporting come from args.ts.
import { BACKEND_NAMES, isBackendName } from '../backend/names.ts'
import { parseWasmThreads, WASM_THREADS_ENV_VAR } from '../backend/threadCounts.ts'
import {
  commandHelp,
  parseCommandArgs,
  splitInvocation,
  topLevelHelp,
  UsageError,
  type Command,
  type CommandContext,
} from './args.ts'
import { evalCommand } from './commands/eval.ts'
import { exportCommand } from './commands/export.ts'
import { finetune } from './commands/finetune.ts'
import { get } from './commands/get.ts'
import { importCommand } from './commands/import.ts'
import { info } from './commands/info.ts'
import { init } from './commands/init.ts'
import { leakage } from './commands/leakage.ts'
import { metrics } from './commands/metrics.ts'
import { sample } from './commands/sample.ts'
import { standing } from './commands/standing.ts'
import { train } from './commands/train.ts'

export const COMMANDS: readonly Command[] = [info, importCommand, get, exportCommand, sample, evalCommand, init, standing, train, finetune, leakage, metrics]

export interface Io {
  out: (line: string) => void
  err: (line: string) => void
}

const processIo: Io = {
  out: (line) => void process.stdout.write(line + '\n'),
  err: (line) => void process.stderr.write(line + '\n'),
}

// Runs one invocation and returns its exit code: 0 done, 1 failed, 2 wrong usage (or a feature not available).
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  try {
    const inv = splitInvocation(argv)
    if (inv.command === 'help') return help(inv.rest[0], io)
    if (inv.command === null) {
      if (inv.help) return help(undefined, io)
      throw new UsageError("no command given. Run 'biggan --help' for the list of commands.")
    }
    const cmd = findCommand(inv.command)
    if (inv.help) return help(cmd.name, io)
    const parsed = parseCommandArgs(cmd, inv.rest)
    if (parsed.help) return help(cmd.name, io)
    const backend = parsed.backend ?? inv.backend
    if (backend !== undefined) checkBackend(backend)
    const threads = parsed.threads ?? inv.threads
    // The CLI is a process of its own: --threads is BIGGAN_WASM_THREADS for it, read when the backend starts.
    if (threads !== undefined) process.env[WASM_THREADS_ENV_VAR] = String(checkThreads(threads))
    const ctx: CommandContext = { args: parsed.args, out: io.out, err: io.err }
    if (backend !== undefined) ctx.backend = backend
    return (await cmd.run(ctx)) ?? 0
  } catch (e) {
    return report(e, io)
  }
}

function findCommand(name: string): Command {
  const cmd = COMMANDS.find((c) => c.name === name)
  if (!cmd) {
    const names = COMMANDS.map((c) => c.name).join(', ')
    throw new UsageError(`unknown command '${name}'. Commands: ${names}. Run 'biggan --help' for usage.`)
  }
  return cmd
}

function checkBackend(name: string): void {
  if (!isBackendName(name)) {
    throw new UsageError(`unknown backend '${name}' for --backend: choose one of ${BACKEND_NAMES.join(', ')}`)
  }
}

function checkThreads(value: string): number {
  try {
    return parseWasmThreads(value, '--threads')
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e))
  }
}

function help(commandName: string | undefined, io: Io): number {
  io.out(commandName === undefined ? topLevelHelp(COMMANDS) : commandHelp(findCommand(commandName)))
  return 0
}

function report(e: unknown, io: Io): number {
  if (e instanceof UsageError) {
    io.err(`biggan: ${e.message}`)
    return 2
  }
  const message = e instanceof Error ? e.message : String(e)
  io.err(`biggan: error: ${message}`)
  if (process.env.BIGGAN_DEBUG && e instanceof Error && e.stack) io.err(e.stack)
  else io.err('(set BIGGAN_DEBUG=1 to see the stack trace)')
  return 1
}
