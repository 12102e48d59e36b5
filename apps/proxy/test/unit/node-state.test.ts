import { describe, expect, it } from "vitest";
import { NodeState } from "../../src/workers/node-state.ts";
import type { TStateToWorker } from "../../src/workers/state-protocol.ts";

/** The primary's node-wide state (workers/node-state.ts), driven as the workers' messages would. */
function setup(workers = [1, 2]) {
  const sent: { to: number; m: TStateToWorker }[] = [];
  const state = new NodeState((to, m) => sent.push({ to, m }), () => workers);
  state.owner = 1;
  const granted = () => {
    const last = sent.at(-1)?.m;
    return last?.type === "sy:grant" ? last.granted : -1;
  };
  return { state, sent, granted };
}

describe("NodeState", () => {
  it("never grants slots past the limit, takes them back, and frees a dead worker's", () => {
    const { state, granted } = setup();
    state.handle(1, { type: "sy:slots", id: 1, key: "c:requests", limit: 3, want: 2 });
    expect(granted()).toBe(2);
    state.handle(2, { type: "sy:slots", id: 2, key: "c:requests", limit: 3, want: 2 });
    expect(granted()).toBe(1);
    state.handle(2, { type: "sy:slots", id: 3, key: "c:requests", limit: 3, want: 1 });
    expect(granted()).toBe(0);
    state.handle(1, { type: "sy:slots-back", key: "c:requests", n: 1 });
    expect(state.slotsUsed("c:requests")).toBe(2);
    // A worker cannot give back more than it holds.
    state.handle(2, { type: "sy:slots-back", key: "c:requests", n: 5 });
    expect(state.slotsUsed("c:requests")).toBe(1);
    state.workerGone(1);
    expect(state.slotsUsed("c:requests")).toBe(0);
  });

  it("one token bucket per key for the node: burst, then the rate", () => {
    const { state, sent } = setup();
    const take = (from: number, want: number) => {
      state.handle(from, { type: "sy:tokens", id: 1, key: "p\0k", burst: 5, ratePerMs: 0.001, want });
      const g = sent.at(-1)?.m as Extract<TStateToWorker, { type: "sy:grant" }>;
      return g.granted;
    };
    expect(take(1, 3) + take(2, 3) + take(1, 3)).toBe(5);
  });

  it("relays the owner's verdicts and sets only, and replays them to a worker that applies later", () => {
    const { state, sent } = setup([1, 2, 3]);
    state.handle(2, { type: "sy:health", cluster: "c", hostPort: "h:1", healthy: false, detail: "x" });
    expect(sent).toHaveLength(0);
    state.handle(1, { type: "sy:health", cluster: "c", hostPort: "h:1", healthy: true, detail: "status 200" });
    state.handle(1, { type: "sy:ejection", cluster: "c", hostPort: "h:1", remainingMs: 30_000, ejections: 1 });
    state.handle(1, { type: "sy:found", key: "c#k", version: 0, endpoints: [{ address: "127.0.0.1", port: 1, weight: 1 }] });
    expect(sent.filter((s) => s.to === 1)).toHaveLength(0);
    expect(sent.filter((s) => s.to === 2).map((s) => s.m.type)).toEqual(["sy:health", "sy:ejection", "sy:found"]);
    expect((sent.at(-1)?.m as { version: number }).version).toBe(1);
    sent.length = 0;
    state.replayTo(3);
    state.endpointsTo(3);
    expect(sent.map((s) => s.m.type)).toEqual(["sy:health", "sy:ejection", "sy:found"]);
    const ejection = sent[1]?.m as { remainingMs: number };
    expect(ejection.remainingMs).toBeGreaterThan(29_000);
    // Outcomes of other workers go to the owner alone.
    sent.length = 0;
    state.handle(2, { type: "sy:outcome", cluster: "c", hostPort: "h:1", outcome: "error5xx" });
    expect(sent.map((s) => s.to)).toEqual([1]);
  });
});
