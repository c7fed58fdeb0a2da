// How networks own their parameters. A network is a tree of modules built from the config; each module declares
// its parameters (name, shape, role) when it is constructed, without allocating anything, so the architecture
// tables alone give parameter names, shapes and counts. Tensors live in a ParamStore, the one owner that disposes them.
import type { Forward, Mode } from './forward'
import { tfjsOps } from './ops/tfjs'
import { tf } from './tf'

/** What a parameter is for: decides trainability, initialisation and whether orthogonal regularisation applies. */
export type ParamRole =
  | 'weight' // conv / linear kernel: trainable, orthogonal init, orthogonal regularisation (2+ dims)
  | 'bias' // trainable, zeros
  | 'gain' // unconditional BN gain: trainable, ones
  | 'embedding' // class embeddings: trainable, excluded from orthogonal regularisation (the paper)
  | 'gamma' // attention residual scale: trainable, zero init
  | 'sn-u' // spectral-norm left vector [out]: state
  | 'sn-v' // spectral-norm right vector [fanIn]: state
  | 'sn-sigma' // last σ estimate [1]: state, for spectral monitoring
  | 'bn-mean' // running / per-truncation means [nStats, C]: state
  | 'bn-var' // running / per-truncation variances [nStats, C]: state

export const trainableRoles: ReadonlySet<ParamRole> = new Set(['weight', 'bias', 'gain', 'embedding', 'gamma'])

export interface ParamSpec {
  name: string
  shape: number[]
  role: ParamRole
}

export abstract class Module {
  readonly children: Module[] = []
  readonly own: ParamSpec[] = []
  constructor(readonly name: string) {}

  protected declare(suffix: string, shape: number[], role: ParamRole): string {
    const name = `${this.name}.${suffix}`
    this.own.push({ name, shape, role })
    return name
  }

  protected add<M extends Module>(child: M): M {
    this.children.push(child)
    return child
  }

  /** Every parameter of this module and its children, in declaration order. */
  specs(): ParamSpec[] {
    return [...this.own, ...this.children.flatMap((c) => c.specs())]
  }
}

export function countParameters(specs: readonly ParamSpec[]): number {
  return specs
    .filter((s) => trainableRoles.has(s.role))
    .reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0)
}

/** Owns the tf.Variables of one or more networks, by name. */
export class ParamStore {
  private readonly vars = new Map<string, tf.Variable>()

  set(name: string, value: tf.Tensor, trainable: boolean): void {
    this.vars.get(name)?.dispose()
    // no variable name: tfjs names are global, and two models (or G and its EMA) must coexist
    this.vars.set(name, tf.variable(value, trainable))
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name)
    if (!v) throw new Error(`parameter '${name}' is not loaded`)
    return v
  }

  has(name: string): boolean {
    return this.vars.has(name)
  }

  names(): string[] {
    return [...this.vars.keys()]
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose()
    this.vars.clear()
  }
}

/** A TensorFlow.js forward: its parameters in a ParamStore, its state updates kept (tf.keep) until applyUpdates. */
export interface ForwardContext extends Forward<tf.Tensor> {
  params: ParamStore
  /** new values for state parameters, kept (tf.keep) until applyUpdates */
  updates: Map<string, tf.Tensor>
}

export function forwardContext(params: ParamStore, mode: Mode, truncation?: number): ForwardContext {
  const ctx: ForwardContext = {
    ops: tfjsOps,
    params,
    mode,
    truncation,
    updates: new Map(),
    param: (name) => params.get(name),
    record: (name, value) => recordUpdate(ctx, name, value),
  }
  return ctx
}

/** Records a new value for a state parameter (kept past the caller's tidy); a second record replaces the first. */
export function recordUpdate(ctx: ForwardContext, name: string, value: tf.Tensor): void {
  ctx.updates.get(name)?.dispose()
  ctx.updates.set(name, tf.keep(value))
}

/** Writes the state updates a training forward recorded, and frees them. */
export function applyUpdates(ctx: ForwardContext): void {
  for (const [name, t] of ctx.updates) {
    ctx.params.get(name).assign(t)
    t.dispose()
  }
  ctx.updates.clear()
}

/** Frees recorded updates without applying them (a forward whose state changes must not land). */
export function discardUpdates(ctx: ForwardContext): void {
  for (const t of ctx.updates.values()) t.dispose()
  ctx.updates.clear()
}
