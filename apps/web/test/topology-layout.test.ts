import { describe, expect, it } from "vitest";
import { COLUMNS, NODE_H, layout } from "../src/lib/topology-layout.ts";

/** A fleet of `routes` routes over 12 clusters of 3 endpoints, behind 2 nodes and 1 listener. */
function graph(routes: number) {
  const nodes = [
    { id: "proxy:a", type: "proxy", label: "a" },
    { id: "proxy:b", type: "proxy", label: "b" },
    { id: "listener:public", type: "listener", label: "public" },
    { id: "listener:idle", type: "listener", label: "idle" },
    { id: "vhost:main/all", type: "vhost", label: "all" },
  ];
  const edges = [
    { from: "proxy:a", to: "listener:public" },
    { from: "proxy:b", to: "listener:public" },
    { from: "listener:public", to: "vhost:main/all" },
  ];
  for (let c = 0; c < 12; c++) {
    nodes.push({ id: `cluster:c${c}`, type: "cluster", label: `c${c}` });
    for (let e = 0; e < 3; e++) {
      nodes.push({ id: `endpoint:c${c}/${e}`, type: "endpoint", label: `10.0.${c}.${e}:80` });
      edges.push({ from: `cluster:c${c}`, to: `endpoint:c${c}/${e}` });
    }
  }
  for (let r = 0; r < routes; r++) {
    nodes.push({ id: `route:main/all/r${r}`, type: "route", label: `r${r}` });
    edges.push({ from: "vhost:main/all", to: `route:main/all/r${r}` }, { from: `route:main/all/r${r}`, to: `cluster:c${r % 12}` });
  }
  return { nodes, edges };
}

describe("layout (dagre)", () => {
  it("puts each type in its own column, in flow order, even a listener no node serves", () => {
    const { nodes, edges } = graph(20);
    const l = layout(nodes, edges);
    const xs = COLUMNS.map((c) => new Set(nodes.filter((n) => n.type === c).map((n) => l.pos.get(n.id)!.x)));
    for (const set of xs) expect(set.size).toBe(1);
    const order = xs.map((s) => [...s][0]!);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(l.columnX).toEqual(order);
  });

  it("keeps 300 routes apart in their column (no two overlap) inside the reported size", () => {
    const { nodes, edges } = graph(300);
    const l = layout(nodes, edges);
    const ys = nodes
      .filter((n) => n.type === "route")
      .map((n) => l.pos.get(n.id)!.y)
      .sort((a, b) => a - b);
    expect(ys).toHaveLength(300);
    for (let i = 1; i < ys.length; i++) expect(ys[i]! - ys[i - 1]!).toBeGreaterThanOrEqual(NODE_H);
    // The entry of the graph (proxies, listeners) starts at the top, where the page opens.
    expect(l.pos.get("proxy:a")!.y).toBeLessThan(100);
    for (const p of l.pos.values()) {
      expect(p.x).toBeGreaterThanOrEqual(0);
      expect(p.y + NODE_H).toBeLessThanOrEqual(l.height);
    }
  });
});
