// The `biggan` command line's framework: commands declare their arguments as data, this file parses argv
// against that declaration and writes the help text from it. No dependency.
//
// Grammar: biggan [GLOBAL…] COMMAND [ARG | --name VALUE | --name=VALUE | --switch | GLOBAL]… [-- ARG…]
// A value-taking option always consumes the next word, so `--seed -3` works.

export interface OptionSpec {
  name: string // used as --name
  value?: string // placeholder shown in help ('DIR', 'N|NAME'); absent for a switch, which takes no value
  help: string
  required?: boolean
}

export interface PositionalSpec {
  name: string // placeholder shown in help ('SRC')
  help: string
  required?: boolean
}

export interface ParsedArgs {
  positionals: string[]
  // given options by name: the value, or true for a switch. Absent options are absent.
  options: Readonly<Record<string, string | true>>
}

export interface CommandContext {
  args: ParsedArgs
  backend?: string // --backend NAME, already checked against the known names
  out: (line: string) => void // stdout, one line
  err: (line: string) => void // stderr, one line
}

// A handler returns the exit code (nothing means 0) or throws: a UsageError exits 2, anything else 1.
export type CommandHandler = (ctx: CommandContext) => Promise<number | void>

export interface Command {
  name: string
  summary: string // one line, for the command list
  usage: string // after 'biggan '
  description: string // for --help, printed as written (wrap lines by hand, about 100 columns)
  positionals?: PositionalSpec[]
  options: OptionSpec[]
  run: CommandHandler
}

// Options every command accepts, before or after the command name.
export const GLOBAL_OPTIONS: OptionSpec[] = [
  {
    name: 'backend',
    value: 'NAME',
    help:
      'TensorFlow.js backend: tfjs-node-gpu, tfjs-node, wasm or cpu ' +
      '(default: the fastest that loads; the BIGGAN_BACKEND environment variable sets it too)',
  },
  {
    name: 'threads',
    value: 'N',
    help:
      "threads for the wasm backend: a number or 'max' (one per core; default 1, since tfjs turns wasm threads off " +
      'under Node; the BIGGAN_WASM_THREADS environment variable sets it too)',
  },
  { name: 'help', help: 'show this help (also -h)' },
]

// Wrong use of the command line: exit code 2, and the message says what to run instead.
export class UsageError extends Error {
  override readonly name = 'UsageError'
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message)
  }
}

// The global options that take a value, as the parsers hand them back.
const VALUE_GLOBALS = ['backend', 'threads'] as const
type ValueGlobals = Partial<Record<(typeof VALUE_GLOBALS)[number], string>>

export interface Invocation extends ValueGlobals {
  command: string | null // null: no command given
  help: boolean
  rest: string[] // the command's own words, globals removed
}

// First pass: global options up to the command name. The command's words are parsed by parseCommandArgs.
export function splitInvocation(argv: readonly string[]): Invocation {
  const inv: Invocation = { command: null, help: false, rest: [] }
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]
    const global = valueGlobal(word)
    if (word === '-h' || word === '--help') {
      inv.help = true
    } else if (global) {
      const [value, used] = optionValue(argv, i, global, GLOBAL_OPTIONS.find((o) => o.name === global)!.value!, undefined)
      inv[global] = value
      i += used
    } else if (word.startsWith('-') && word !== '-') {
      throw new UsageError(`unknown option ${word} before the command. Run 'biggan --help' for usage.`)
    } else {
      inv.command = word
      inv.rest = argv.slice(i + 1)
      break
    }
  }
  return inv
}

// Second pass: a command's words against its declaration. Global options may appear anywhere among them;
// they come back in `help`, `backend` and `threads`.
export function parseCommandArgs(
  cmd: Command,
  words: readonly string[],
): { args: ParsedArgs; help: boolean } & ValueGlobals {
  const specs = new Map<string, OptionSpec>()
  for (const spec of [...cmd.options, ...GLOBAL_OPTIONS]) specs.set(spec.name, spec)
  const options: Record<string, string | true> = Object.create(null)
  const positionals: string[] = []
  let help = false
  let onlyPositionals = false
  for (let i = 0; i < words.length; i++) {
    const word = words[i]
    if (onlyPositionals || !word.startsWith('-') || word === '-') {
      positionals.push(word)
    } else if (word === '--') {
      onlyPositionals = true
    } else if (word === '-h' || word === '--help') {
      help = true
    } else if (word.startsWith('--')) {
      const name = word.slice(2).split('=', 1)[0]
      const spec = specs.get(name)
      if (!spec || name === 'help') {
        throw new UsageError(`unknown option --${name} for 'biggan ${cmd.name}'. ${seeHelp(cmd)}`, cmd.name)
      }
      if (spec.value === undefined) {
        if (word.includes('=')) {
          throw new UsageError(`option --${name} takes no value. ${seeHelp(cmd)}`, cmd.name)
        }
        options[name] = true
      } else {
        if (name in options) {
          throw new UsageError(`option --${name} is given twice. ${seeHelp(cmd)}`, cmd.name)
        }
        const [value, used] = optionValue(words, i, name, spec.value, cmd)
        options[name] = value
        i += used
      }
    } else {
      throw new UsageError(`unknown option ${word} for 'biggan ${cmd.name}'. ${seeHelp(cmd)}`, cmd.name)
    }
  }
  const globals: ValueGlobals = {}
  for (const name of VALUE_GLOBALS) {
    const value = options[name]
    if (typeof value === 'string') globals[name] = value
    delete options[name]
  }
  if (!help) checkComplete(cmd, positionals, options)
  return { args: { positionals, options }, help, ...globals }
}

// Which value-taking global option a word (`--name` or `--name=value`) is, if any.
function valueGlobal(word: string): (typeof VALUE_GLOBALS)[number] | undefined {
  return VALUE_GLOBALS.find((name) => word === `--${name}` || word.startsWith(`--${name}=`))
}

// `--name value` or `--name=value`: returns the value and how many extra words it used.
function optionValue(
  words: readonly string[],
  i: number,
  name: string,
  placeholder: string,
  cmd: Command | undefined,
): [string, number] {
  const word = words[i]
  const eq = word.indexOf('=')
  if (eq >= 0) return [word.slice(eq + 1), 0]
  if (i + 1 >= words.length) {
    const help = cmd ? seeHelp(cmd) : "Run 'biggan --help' for usage."
    throw new UsageError(`option --${name} needs a value: --${name} ${placeholder}. ${help}`, cmd?.name)
  }
  return [words[i + 1], 1]
}

function checkComplete(cmd: Command, positionals: string[], options: Record<string, string | true>): void {
  const declared = cmd.positionals ?? []
  const required = declared.filter((p) => p.required).length
  if (positionals.length < required) {
    const missing = declared.slice(positionals.length).filter((p) => p.required).map((p) => p.name)
    throw new UsageError(`missing ${missing.join(' ')}: usage: biggan ${cmd.usage}. ${seeHelp(cmd)}`, cmd.name)
  }
  if (positionals.length > declared.length) {
    const extra = positionals.slice(declared.length).map((w) => `'${w}'`).join(' ')
    throw new UsageError(`unexpected argument ${extra} for 'biggan ${cmd.name}'. ${seeHelp(cmd)}`, cmd.name)
  }
  const missing = cmd.options.filter((o) => o.required && !(o.name in options))
  if (missing.length > 0) {
    const list = missing.map((o) => `--${o.name} ${o.value ?? ''}`.trim()).join(', ')
    throw new UsageError(`missing required option${missing.length > 1 ? 's' : ''} ${list}. ${seeHelp(cmd)}`, cmd.name)
  }
}

function seeHelp(cmd: Command): string {
  return `Run 'biggan ${cmd.name} --help' for usage.`
}

// Typed access to option values. Each throws a UsageError naming the option when the value is malformed.

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.options[name]
  return typeof v === 'string' ? v : undefined
}

export function switchOption(args: ParsedArgs, name: string): boolean {
  return args.options[name] === true
}

export function numberOption(args: ParsedArgs, name: string): number | undefined {
  const v = stringOption(args, name)
  if (v === undefined) return undefined
  const n = Number(v)
  if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, not '${v}'`)
  return n
}

export function intOption(args: ParsedArgs, name: string): number | undefined {
  const n = numberOption(args, name)
  if (n !== undefined && !Number.isSafeInteger(n)) {
    throw new UsageError(`--${name} must be a whole number, not '${args.options[name]}'`)
  }
  return n
}

// Help text

export function commandHelp(cmd: Command): string {
  const lines = [`Usage: biggan ${cmd.usage}`, '', cmd.summary, '', ...cmd.description.trim().split('\n')]
  if (cmd.positionals && cmd.positionals.length > 0) {
    lines.push('', 'Arguments:', ...table(cmd.positionals.map((p) => [p.name, p.help])))
  }
  lines.push(
    '',
    'Options:',
    ...table(cmd.options.map((o) => [optionLabel(o), o.required ? `${o.help} (required)` : o.help])),
    '',
    'Global options:',
    ...table(GLOBAL_OPTIONS.map((o) => [optionLabel(o), o.help])),
  )
  return lines.join('\n')
}

export function topLevelHelp(commands: readonly Command[]): string {
  return [
    'biggan: the BigGAN Studio command line',
    '',
    'Usage: biggan [--backend NAME] [--threads N] COMMAND [options]',
    '',
    'Commands:',
    ...table(commands.map((c) => [c.name, c.summary])),
    '',
    'Global options:',
    ...table(GLOBAL_OPTIONS.map((o) => [optionLabel(o), o.help])),
    '',
    "Run 'biggan COMMAND --help' for a command's arguments and options.",
  ].join('\n')
}

function optionLabel(o: OptionSpec): string {
  return o.value === undefined ? `--${o.name}` : `--${o.name} ${o.value}`
}

function table(rows: string[][]): string[] {
  const width = Math.max(...rows.map((r) => r[0].length))
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`)
}

// For commands whose engine part has not landed yet: a plain error (exit 1) that says so.
export function notImplementedYet(command: string): never {
  throw new Error(`'biggan ${command}' is not implemented yet: this build only has its command-line interface`)
}
