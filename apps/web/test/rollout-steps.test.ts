/**
 * Rollouts by steps (#19 item 7) inside one console (REST + xds hub + SLO guard loop on
 * real PostgreSQL) with simulated proxy nodes that run the proxy's OWN control-plane client
 * (apps/proxy/src/control-plane/client.ts, as bench/control-plane.ts does): each node
 * validates every snapshot with config-model and acks it, and reports stats windows over
 * the same socket. The test computes which nodes a step picks on its own (sha256 of the
 * node id), so a wrong assignment in the console fails it.
 */
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCluster, makeConfig } from "@switchyard/config-model/testing";
import { validateConfig } from "@switchyard/config-model";
import { getRollout } from "@switchyard/db";
import { startControlPlaneClient, type TControlPlaneClient } from "../../proxy/src/control-plane/client.ts";
import { chartMarkers } from "../src/server/services/chart-markers.ts";
import { startCpServer, waitFor, type TCpServer } from "./helpers/cp-server.ts";
import { statsFrame } from "./helpers/fake-node.ts";

type TSimNode = { id: string; group: string; client: TControlPlaneClient; applied: { version: number; hash: string } | null; failing: boolean };

let cp: TCpServer;
const nodes = new Map<string, TSimNode>();
let statsTimer: NodeJS.Timeout;
let port = 9300;

/** The node's place in a stepped rollout, computed here independently of the console. */
function position(id: string): number {
  return createHash("sha256").update(id).digest().readUInt32BE(0) / 2 ** 32;
}

/** The ids a step of `percent` picks among `ids`: the first ceil(percent%) by position, at least one. */
function picked(ids: string[], percent: number): string[] {
  const k = Math.max(1, Math.ceil((percent / 100) * ids.length));
  return [...ids].sort((a, b) => position(a) - position(b)).slice(0, k);
}

function startNode(id: string, group: string): TSimNode {
  const node: TSimNode = { id, group, applied: null, failing: false, client: undefined as unknown as TControlPlaneClient };
  node.client = startControlPlaneClient({
    url: cp.wsUrl,
    nodeId: id,
    group,
    proxyVersion: "sim",
    getApplied: () => node.applied,
    apply: async (snapshot) => {
      const checked = validateConfig(snapshot.config);
      if (!checked.ok) return { ok: false, error: "invalid config", issues: checked.issues };
      node.applied = { version: snapshot.version, hash: snapshot.hash };
      return { ok: true };
    },
    log: () => undefined,
    keepaliveIntervalMs: 60_000,
  });
  nodes.set(id, node);
  return node;
}

async function publish(body: Record<string, unknown>) {
  const config = makeConfig({ clusters: [makeCluster({ endpoints: [{ address: "127.0.0.1", port: port++ }] })] });
  expect((await cp.api("/config", { method: "PUT", json: config })).status).toBe(200);
  const res = await cp.api("/versions", { method: "POST", json: body });
  expect(res.status, res.text).toBe(201);
  return res.body as { version: number; rolloutId?: number };
}

const WEB = Array.from({ length: 10 }, (_, i) => `web-${i}`);

function versionsOf(ids: string[]): Record<string, number | null> {
  return Object.fromEntries(ids.map((id) => [id, nodes.get(id)?.applied?.version ?? null]));
}

/** Waits until every node in `want` serves the version given for it. */
async function expectServing(want: Record<string, number>, what: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(() => Object.entries(want).every(([id, v]) => nodes.get(id)?.applied?.version === v), what, timeoutMs).catch((err: Error) => {
    throw new Error(`${err.message}: serving ${JSON.stringify(versionsOf(Object.keys(want)))}, wanted ${JSON.stringify(want)}`);
  });
}

async function rollout(id: number) {
  return (await cp.api(`/rollouts/${id}`)).body as {
    rollout: { state: string; stepIndex: number; steps: number[] | null; pausedAt: string | null; events: { kind: string; at: string; message: string }[] };
    bake: { step: number; waiting: string | null } | null;
    nodes: { id: string; onRolloutVersion: boolean }[];
  };
}

beforeAll(async () => {
  cp = await startCpServer({ guardIntervalMs: 200 });
  await publish({ message: "v1 for everyone" });
  for (const id of WEB) startNode(id, "web");
  startNode("other-1", "other");
  await expectServing(Object.fromEntries([...WEB, "other-1"].map((id) => [id, 1])), "v1 on every node");
  // Every node reports a stats window every 500 ms: 20 requests, half of them 5xx while failing.
  statsTimer = setInterval(() => {
    for (const n of nodes.values()) n.client.sendTelemetry({ ...statsFrame({ requests: 20, errors5xx: n.failing ? 10 : 0, windowStart: Date.now() - 500, windowMs: 500 }), type: "stats" });
  }, 500);
}, 60_000);

afterAll(async () => {
  clearInterval(statsTimer);
  await Promise.all([...nodes.values()].map((n) => n.client.close()));
  await cp?.close();
});

describe("rollouts by steps", () => {
  it("serves each step to the nodes picked by id, promotes each step after its bake time while healthy, gives joiners the step's assignment, then promotes to every node", async () => {
    const BAKE_MS = 3_000;
    const started = Date.now();
    const { version, rolloutId } = await publish({
      message: "v2 in steps",
      group: "web",
      steps: [10, 50, 100],
      bakeMs: BAKE_MS,
      guard: { windowMs: 2_000, maxErrorRatioIncrease: 0.05, minRequests: 5 },
    });
    expect(version).toBe(2);

    // Step 1: 10 % of 10 nodes = the one node with the lowest position.
    const step1 = picked(WEB, 10);
    expect(step1).toHaveLength(1);
    await expectServing(Object.fromEntries(WEB.map((id) => [id, step1.includes(id) ? 2 : 1])), "step 1 on its one node");
    expect(nodes.get("other-1")!.applied!.version).toBe(1);
    const detail1 = await rollout(rolloutId!);
    expect(detail1.rollout.stepIndex).toBe(0);
    expect(detail1.nodes.filter((n) => n.onRolloutVersion).map((n) => n.id)).toEqual(step1);

    // Step 2 by itself once step 1 held its bake time: 50 % = the 5 lowest positions.
    const step2 = picked(WEB, 50);
    await expectServing(Object.fromEntries(WEB.map((id) => [id, step2.includes(id) ? 2 : 1])), "step 2 on half the group", 30_000);
    const afterStep2 = await rollout(rolloutId!);
    const stepEvents = afterStep2.rollout.events.filter((e) => e.kind === "step");
    expect(stepEvents).toHaveLength(2);
    // Not promoted before its bake time.
    expect(Date.parse(stepEvents[1]!.at) - Date.parse(stepEvents[0]!.at)).toBeGreaterThanOrEqual(BAKE_MS);
    expect(stepEvents[1]!.message).toContain("rollout-bake");

    // Held at step 2 while nodes join: they get the step's assignment by their position alone.
    expect((await cp.api(`/rollouts/${rolloutId}/pause`, { method: "POST" })).status).toBe(200);
    expect((await rollout(rolloutId!)).rollout.stepIndex).toBe(1);
    const sorted = [...WEB].sort((a, b) => position(a) - position(b));
    const cutLow = position(sorted[4]!);
    const cutHigh = position(sorted[5]!);
    let i = 0;
    const joinIn = (() => {
      for (;; i++) if (position(`join-${i}`) < cutLow) return `join-${i++}`;
    })();
    const joinOut = (() => {
      for (;; i++) if (position(`join-${i}`) > cutHigh) return `join-${i++}`;
    })();
    startNode(joinIn, "web");
    startNode(joinOut, "web");
    await expectServing({ [joinIn]: 2, [joinOut]: 1 }, "joiners on their side of the cut");
    expect((await cp.api(`/rollouts/${rolloutId}/resume`, { method: "POST" })).status).toBe(200);

    // Step 3 (100 %) and then the promotion to every node, by themselves.
    await expectServing(Object.fromEntries([...WEB, joinIn, joinOut].map((id) => [id, 2])), "step 3: the whole group", 30_000);
    await waitFor(async () => (await rollout(rolloutId!)).rollout.state === "promoted", "promotion after the last step", 30_000);
    await expectServing({ "other-1": 2 }, "the other group after the promotion");
    expect(Date.now() - started).toBeGreaterThanOrEqual(3 * BAKE_MS);

    // A marker for each step on the traffic charts.
    const { markers } = await chartMarkers(cp.db, { rangeS: 600 });
    expect(markers.filter((m) => m.version === 2).map((m) => `${m.kind} ${m.label}`)).toEqual(["canary v2 10%", "step v2 50%", "step v2 100%", "promote v2 promoted"]);
  }, 120_000);

  it("rolls the whole rollout back when the SLO guard trips at a step (judged on the step's nodes, not diluted by the group), with a guard marker", async () => {
    const { version, rolloutId } = await publish({
      message: "v3 in steps, broken",
      group: "web",
      // 10 % of the 12 nodes = 2, failing half their requests: about 8 % of the whole group's
      // requests, under the 20-point threshold; the step's own nodes are at 50 %, over it.
      steps: [10, 100],
      bakeMs: 60_000,
      guard: { windowMs: 2_000, maxErrorRatioIncrease: 0.2, minRequests: 5 },
    });
    const web = [...nodes.values()].filter((n) => n.group === "web").map((n) => n.id);
    const step1 = picked(web, 10);
    expect(step1).toHaveLength(2);
    await expectServing(Object.fromEntries(web.map((id) => [id, step1.includes(id) ? version : 2])), "step 1 of v3");
    // The nodes serving v3 answer 5xx.
    for (const id of step1) nodes.get(id)!.failing = true;
    try {
      await waitFor(async () => (await rollout(rolloutId!)).rollout.state === "rolled_back", "guard rollback", 30_000);
      await expectServing(Object.fromEntries(web.map((id) => [id, 2])), "the whole group back on v2");
    } finally {
      for (const id of step1) nodes.get(id)!.failing = false;
    }
    const stored = await getRollout(cp.db, rolloutId!);
    expect(stored!.events.map((e) => e.kind)).toContain("guard_tripped");
    expect(stored!.stepIndex).toBe(0);
    const { markers } = await chartMarkers(cp.db, { rangeS: 600 });
    expect(markers.filter((m) => m.version === version).map((m) => m.kind)).toEqual(["canary", "guard"]);
  }, 90_000);

  it("pause stops automatic promotion; promote by hand moves one step; rollback by hand restores the group", async () => {
    const { version, rolloutId } = await publish({ message: "v4 in steps", group: "web", steps: [20, 60, 100], bakeMs: 1_000 });
    const paused = await cp.api(`/rollouts/${rolloutId}/pause`, { method: "POST" });
    expect(paused.status, paused.text).toBe(200);
    expect(paused.body.pausedAt).not.toBeNull();
    // Well past the bake time: still at step 1.
    await new Promise((r) => setTimeout(r, 2_500));
    const held = await rollout(rolloutId!);
    expect(held.rollout.stepIndex).toBe(0);
    expect(held.bake!.waiting).toMatch(/paused/);

    const web = [...nodes.values()].filter((n) => n.group === "web").map((n) => n.id);
    const promoted = await cp.api(`/rollouts/${rolloutId}/promote`, { method: "POST", json: {} });
    expect(promoted.status, promoted.text).toBe(200);
    expect(promoted.body.stepIndex).toBe(1);
    const step2 = picked(web, 60);
    await expectServing(Object.fromEntries(web.map((id) => [id, step2.includes(id) ? version : 2])), "step 2 of v4 by hand");

    // An unknown promotion target is refused with its field.
    const bad = await cp.api(`/rollouts/${rolloutId}/promote`, { method: "POST", json: { to: "sideways" } });
    expect(bad.status).toBe(422);

    const back = await cp.api(`/rollouts/${rolloutId}/rollback`, { method: "POST", json: { reason: "by hand" } });
    expect(back.status, back.text).toBe(200);
    await expectServing(Object.fromEntries(web.map((id) => [id, 2])), "group back on v2");
    const again = await cp.api(`/rollouts/${rolloutId}/pause`, { method: "POST" });
    expect(again.status).toBe(409);
  }, 60_000);

  it("refuses steps that do not increase to 100, naming the step", async () => {
    const res = await cp.api("/versions", { method: "POST", json: { message: "bad steps", group: "web", steps: [50, 20, 90] } });
    expect(res.status).toBe(422);
    const paths = (res.body.issues as { path: string; message: string }[]).map((i) => `${i.path}: ${i.message}`);
    expect(paths).toContain("steps[1]: must be above the step before it (50%)");
    expect(paths).toContain("steps[2]: the last step must be 100 (the whole group)");
    const noGroup = await cp.api("/versions", { method: "POST", json: { message: "no group", steps: [50, 100] } });
    expect(noGroup.status).toBe(422);
  });
});
