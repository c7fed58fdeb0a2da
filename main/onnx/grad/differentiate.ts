// Reverse-mode differentiation over an ONNX graph under construction: from a scalar loss back to the values asked
// for, one gradient rule per node (rules.ts), the contributions of a value used several times added up. The result
// is more nodes in the same graph, so one onnxruntime session runs the forward pass, the loss and the backward pass
// together. Nothing here is written per layer: a network's backward pass follows from its forward graph alone.
import type { GraphBuilder } from '../graph.ts'
import { int } from '../graph.ts'
import type { Tensor } from '../proto.ts'
import { gradientRules, notDifferentiable, type RuleContext } from './rules.ts'
import { inferShapes, numel, type Shape } from './shapes.ts'

export interface DifferentiateOptions {
  /** values no gradient flows through (spectral norm's u and v, statistics treated as constants): they and
   *  everything only they reach stay out of the backward pass */
  stop?: ReadonlySet<string>
  /** the seed ∂L/∂loss (default: ones of the loss's shape), e.g. a graph input to weigh several losses */
  seed?: string
}

/**
 * Appends to `g` the nodes that compute ∂loss/∂v for each v in `wrt` (graph inputs or initializers), and returns
 * their names by v. A v the loss does not depend on gets zeros. `loss` is usually a scalar; a non-scalar loss is
 * summed (its seed is ones).
 */
export function differentiate(g: GraphBuilder, loss: string, wrt: readonly string[], options: DifferentiateOptions = {}): Map<string, string> {
  const graph = g.graph()
  const nodes = [...graph.nodes] // the forward nodes: what the rules append is not walked again
  const shapes = inferShapes(graph)
  const constants = new Map<string, Tensor>(graph.initializers.map((t) => [t.name, t]))
  const stop = options.stop ?? new Set<string>()
  const shape = (v: string): Shape => {
    const s = shapes.get(v)
    if (!s) throw new Error(`differentiate: no shape for ${v}`)
    return s
  }
  if (!shapes.has(loss)) throw new Error(`differentiate: the loss ${loss} is not a value of graph ${graph.name}`)

  // values that depend on something in wrt, through nodes a gradient can pass
  const live = new Set(wrt.filter((v) => !stop.has(v)))
  for (const node of nodes) {
    if (notDifferentiable.has(node.opType)) continue
    if (node.inputs.some((v) => live.has(v))) for (const out of node.outputs) if (!stop.has(out)) live.add(out)
  }

  const contributions = new Map<string, string[]>()
  const contribute = (v: string, grad: string): void => {
    if (!live.has(v)) return
    const list = contributions.get(v)
    if (list) list.push(grad)
    else contributions.set(v, [grad])
  }
  /** The sum of a value's contributions, written once and then reused. */
  const total = (v: string, name: string): string | undefined => {
    const list = contributions.get(v)
    if (!list || list.length === 0) return undefined
    if (list.length === 1) return list[0]
    const sum = g.op('Sum', list, name)
    contributions.set(v, [sum])
    return sum
  }

  contribute(loss, options.seed ?? g.weight(`${loss}.grad.seed`, new Float32Array(numel(shape(loss))).fill(1), [...shape(loss)]))

  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]
    const dy = node.outputs.map((v) => total(v, `${v}.grad`))
    if (dy.every((d) => d === undefined)) continue
    if (!node.inputs.some((v) => live.has(v))) continue
    const rule = gradientRules[node.opType]
    if (!rule) throw new Error(`differentiate: no gradient rule for ${node.opType} (node ${node.name}): add one to main/onnx/grad/rules.ts`)
    const context: RuleContext = {
      g,
      node,
      needs: node.inputs.map((v) => live.has(v)),
      shape: (v) => {
        const s = shapes.get(v)
        if (s) return s
        // a value a rule wrote: its shape from the forward value it is the gradient of is not known here
        throw new Error(`differentiate: no shape for ${v} (written by the backward pass of ${node.name})`)
      },
      constant: (v) => constants.get(v),
      name: (what) => `${node.name}.grad.${what}`,
      sumTo: (v, from, to) => sumTo(g, v, from, to, `${node.name}.grad.sum`),
      zeros: (s) => g.weight(`${node.name}.grad.zeros`, new Float32Array(numel(s)), [...s]),
    }
    const dx = rule(context, dy)
    node.inputs.forEach((v, k) => {
      const d = dx[k]
      if (d !== undefined && v !== '') contribute(v, d)
    })
  }

  return new Map(
    wrt.map((v) => [v, total(v, `${v}.grad`) ?? g.weight(`${v}.grad.zeros`, new Float32Array(numel(shape(v))), [...shape(v)])]),
  )
}

/** `v` of shape `from` summed over the axes along which `to` was broadcast to `from`, then shaped as `to`. The axes
 *  are summed one at a time, last first, as TensorFlow.js's gradients of broadcasts sum the BatchNorm terms: the
 *  train-mode G's gradient is sensitive to that rounding. */
export function sumTo(g: GraphBuilder, v: string, from: Shape, to: Shape, name: string): string {
  if (from.length === to.length && from.every((d, i) => d === to[i])) return v
  const offset = from.length - to.length
  const axes = from.flatMap((d, i) => (i < offset || (to[i - offset] === 1 && d !== 1) ? [i] : []))
  let summed = v
  for (const axis of [...axes].reverse()) summed = g.op('ReduceSum', [summed, g.int64s([axis])], `${name}[${axis}]`, { keepdims: int(1) })
  return g.reshape(summed, [...to], `${name}.shape`)
}
