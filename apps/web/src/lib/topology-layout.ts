import { Graph, layout as dagreLayout } from "@dagrejs/dagre";

/**
 * Layout of the topology graph with dagre (a maintained layered-graph layout): one rank
 * per node type in flow order, nodes ordered within each rank to cross as few edges as
 * it can, so a few hundred routes stay readable (the page adds pan and zoom); plus the
 * filter (a match keeps its upstream and downstream chain so the path through the proxy
 * stays visible).
 */
export const COLUMNS = ["proxy", "listener", "vhost", "route", "cluster", "endpoint"] as const;
/** Wide gaps between columns leave room for the two-line edge labels. */
export const COL_W = 250;
export const ROW_H = 56;
/** Space between two nodes of one rank. */
export const NODE_GAP = 12;
export const NODE_W = 128;
export const NODE_H = 36;

type TNode = { id: string; type: string; label: string };
type TEdge = { from: string; to: string };

export function filterGraph<N extends TNode, E extends TEdge>(nodes: N[], edges: E[], text: string): { nodes: N[]; edges: E[] } {
  const q = text.trim().toLowerCase();
  if (!q) return { nodes, edges };
  const keep = new Set(nodes.filter((n) => n.label.toLowerCase().includes(q) || n.id.toLowerCase().includes(q)).map((n) => n.id));
  const walk = (dir: "up" | "down") => {
    const frontier = [...keep];
    const seen = new Set(frontier);
    while (frontier.length) {
      const id = frontier.pop() as string;
      for (const e of edges) {
        const next = dir === "down" ? (e.from === id ? e.to : null) : e.to === id ? e.from : null;
        if (next && !seen.has(next)) {
          seen.add(next);
          frontier.push(next);
        }
      }
    }
    return seen;
  };
  const all = new Set([...walk("up"), ...walk("down")]);
  return { nodes: nodes.filter((n) => all.has(n.id)), edges: edges.filter((e) => all.has(e.from) && all.has(e.to)) };
}

export type TLayout = { pos: Map<string, { x: number; y: number }>; columnX: number[]; width: number; height: number };

/**
 * Positions (top-left) of every node. Each type gets its own rank even when a node has no
 * incoming edge (a listener no node serves): hidden anchors, one per type, feed such
 * nodes so dagre's ranking cannot pull them into an earlier column.
 */
export function layout<N extends TNode, E extends TEdge>(nodes: N[], edges: E[] = []): TLayout {
  const g = new Graph();
  g.setGraph({ rankdir: "LR", nodesep: NODE_GAP, ranksep: COL_W - NODE_W, marginx: 10, marginy: 30 });
  g.setDefaultEdgeLabel(() => ({}));
  const column = new Map<string, number>(COLUMNS.map((c, i) => [c, i]));
  COLUMNS.forEach((_, i) => {
    g.setNode(`__col${i}`, { width: 1, height: 1 });
    if (i > 0) g.setEdge(`__col${i - 1}`, `__col${i}`, { weight: 0, minlen: 1 });
  });
  const ids = new Set(nodes.map((n) => n.id));
  for (const n of nodes) g.setNode(n.id, { width: NODE_W, height: NODE_H });
  const fed = new Set<string>();
  for (const e of edges) {
    if (!ids.has(e.from) || !ids.has(e.to)) continue;
    g.setEdge(e.from, e.to, { weight: 1, minlen: Math.max(1, (column.get(typeOf(nodes, e.to)) ?? 1) - (column.get(typeOf(nodes, e.from)) ?? 0)) });
    fed.add(e.to);
  }
  for (const n of nodes) {
    const c = column.get(n.type) ?? 0;
    if (c > 0 && !fed.has(n.id)) g.setEdge(`__col${c - 1}`, n.id, { weight: 0, minlen: 1 });
  }
  dagreLayout(g);
  // Dagre decides the order within each column (fewest crossings); every column is then
  // stacked from the top in that order, so the first screen shows every proxy, listener
  // and cluster, not one chain with the others thousands of pixels below it.
  const pos = new Map<string, { x: number; y: number }>();
  let width = 0;
  let height = 0;
  for (const col of COLUMNS) {
    const inCol = nodes.filter((n) => n.type === col).map((n) => ({ n, p: g.node(n.id) as { x: number; y: number } }));
    inCol.sort((a, b) => a.p.y - b.p.y);
    inCol.forEach(({ n, p }, i) => {
      const y = 30 + i * (NODE_H + NODE_GAP);
      pos.set(n.id, { x: p.x - NODE_W / 2, y });
      width = Math.max(width, p.x + NODE_W / 2 + 10);
      height = Math.max(height, y + NODE_H + 20);
    });
  }
  const columnX = COLUMNS.map((_, i) => (g.node(`__col${i}`) as { x: number }).x - NODE_W / 2);
  return { pos, columnX, width: Math.max(width, columnX.at(-1)! + NODE_W + 10), height: Math.max(height, 80) };
}

const typeCache = new WeakMap<object, Map<string, string>>();
function typeOf<N extends TNode>(nodes: N[], id: string): string {
  let m = typeCache.get(nodes);
  if (!m) typeCache.set(nodes, (m = new Map(nodes.map((n) => [n.id, n.type]))));
  return m.get(id) ?? "";
}
