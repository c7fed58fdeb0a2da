// Tracing writes a node wherever a layer asks for one; some end up feeding nothing (a layout copy taken for an op
// that then folded, say). This keeps only the nodes and initializers the graph's outputs depend on.
import type { Graph } from '../proto.ts'

export function pruned(graph: Graph): Graph {
  const needed = new Set(graph.outputs.map((o) => o.name))
  const nodes = []
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]
    if (!node.outputs.some((o) => needed.has(o))) continue
    nodes.push(node)
    for (const input of node.inputs) if (input !== '') needed.add(input)
  }
  nodes.reverse()
  return {
    ...graph,
    nodes,
    initializers: graph.initializers.filter((t) => needed.has(t.name)),
  }
}
