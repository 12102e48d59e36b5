/**
 * Column layout of the topology graph: one column per node type in flow order, nodes
 * stacked in each column; plus the filter (a match keeps its upstream and downstream
 * chain so the path through the proxy stays visible).
 */
export const COLUMNS = ["proxy", "listener", "vhost", "route", "cluster", "endpoint"] as const;
/** Wide gaps between columns leave room for the two-line edge labels. */
export const COL_W = 250;
export const ROW_H = 56;
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

export function layout<N extends TNode>(nodes: N[]): { pos: Map<string, { x: number; y: number }>; width: number; height: number } {
  const pos = new Map<string, { x: number; y: number }>();
  let rows = 1;
  COLUMNS.forEach((col, ci) => {
    const inCol = nodes.filter((n) => n.type === col);
    rows = Math.max(rows, inCol.length);
    inCol.forEach((n, ri) => pos.set(n.id, { x: 10 + ci * COL_W, y: 30 + ri * ROW_H }));
  });
  return { pos, width: 20 + COLUMNS.length * COL_W, height: 50 + rows * ROW_H };
}
