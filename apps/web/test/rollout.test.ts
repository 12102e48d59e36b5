/**
 * Staged rollouts end to end inside one console (REST + xds hub + SLO guard on real
 * PostgreSQL), with nodes speaking the wire protocol over real WebSockets: canary to one
 * group, promotion, a nack stopping a rollout, the guard rolling a canary back on 5xx,
 * a publish to all superseding a canary, drift flags.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeCluster, makeConfig } from "@switchyard/config-model/testing";
import { getRollout } from "@switchyard/db";
import { nodesWithTargets } from "../src/server/rollout/service.ts";
import { startCpServer, waitFor, type TCpServer } from "./helpers/cp-server.ts";
import { connectNode, helloFrame, statsFrame, type TFakeNode } from "./helpers/fake-node.ts";

let cp: TCpServer;
let canary: TFakeNode;
let stable: TFakeNode;
let port = 9100;

/** Each publish changes an endpoint port, so every version differs. */
async function putConfig(): Promise<void> {
  const config = makeConfig({ clusters: [makeCluster({ endpoints: [{ address: "127.0.0.1", port: port++ }] })] });
  expect((await cp.api("/config", { method: "PUT", json: config })).status).toBe(200);
}

async function publish(body: Record<string, unknown>) {
  await putConfig();
  const res = await cp.api("/versions", { method: "POST", json: body });
  expect(res.status, res.text).toBe(201);
  return res.body as { version: number; hash: string; rolloutId?: number };
}

/** Nodes ack every snapshot they get, like a healthy proxy. */
function autoAck(node: TFakeNode): void {
  node.ws.on("message", (data) => {
    const f = JSON.parse(String(data)) as { type: string; version: number; hash: string };
    if (f.type === "snapshot") node.send({ type: "ack", version: f.version, hash: f.hash });
  });
}

function lastSnapshotVersion(node: TFakeNode): number | undefined {
  return node.snapshots().at(-1)?.version as number | undefined;
}

beforeAll(async () => {
  cp = await startCpServer({ guardIntervalMs: 100 });
  await publish({ message: "v1 for everyone" });
  canary = await connectNode(cp.wsUrl);
  stable = await connectNode(cp.wsUrl);
  autoAck(stable);
  canary.send(helloFrame("canary-1", "canary"));
  stable.send(helloFrame("stable-1", "stable"));
  await waitFor(() => lastSnapshotVersion(canary) === 1 && lastSnapshotVersion(stable) === 1, "v1 on both nodes");
  canary.send({ type: "ack", version: 1, hash: canary.snapshots()[0]!.hash });
}, 60_000);

afterEach(async () => {
  // Leave no canary behind for the next test.
  const rollouts = (await cp.api("/rollouts")).body as { id: number; state: string }[];
  for (const r of rollouts) if (r.state === "canary") await cp.api(`/rollouts/${r.id}/rollback`, { method: "POST", json: {} });
});

afterAll(async () => {
  canary?.close();
  stable?.close();
  await cp?.close();
});

describe("staged rollout", () => {
  it("publishes to the canary group only, then promotes to all", async () => {
    const v = await publish({ message: "canary v2", group: "canary" });
    expect(v.rolloutId).toBeGreaterThan(0);
    await waitFor(() => lastSnapshotVersion(canary) === v.version, "canary gets v2");
    canary.send({ type: "ack", version: v.version, hash: v.hash });
    // The stable group is not sent the canary version (give the hub time it would need).
    await new Promise((r) => setTimeout(r, 500));
    expect(stable.snapshots().map((s) => s.version)).not.toContain(v.version);

    const nodes = (await cp.api("/nodes")).body as { id: string; group: string; targetVersion: number; appliedVersion: number; labels: Record<string, string> }[];
    expect(nodes.find((n) => n.id === "stable-1")).toMatchObject({ group: "stable", targetVersion: 1, appliedVersion: 1, labels: { zone: "a" } });
    await waitFor(async () => ((await cp.api("/nodes")).body as { id: string; appliedVersion: number }[]).find((n) => n.id === "canary-1")?.appliedVersion === v.version, "canary ack recorded");

    const promoted = await cp.api(`/rollouts/${v.rolloutId}/promote`, { method: "POST" });
    expect(promoted.status, promoted.text).toBe(200);
    expect(promoted.body.state).toBe("promoted");
    await waitFor(() => lastSnapshotVersion(stable) === v.version, "stable gets v2 after promotion", 2000);
    const detail = (await cp.api(`/rollouts/${v.rolloutId}`)).body;
    expect(detail.rollout.events.map((e: { kind: string }) => e.kind)).toEqual(expect.arrayContaining(["started", "node_ack", "promoted"]));
  });

  it("refuses a second canary while one is in flight (409), and a publish to all supersedes it", async () => {
    const first = await publish({ message: "canary A", group: "canary" });
    await putConfig();
    const second = await cp.api("/versions", { method: "POST", json: { message: "canary B", group: "canary" } });
    expect(second.status).toBe(409);
    expect(second.body.error).toContain(`rollout #${first.rolloutId}`);
    const all = await publish({ message: "to everyone" });
    expect((await getRollout(cp.db, first.rolloutId!))?.state).toBe("superseded");
    await waitFor(() => lastSnapshotVersion(stable) === all.version && lastSnapshotVersion(canary) === all.version, "everyone on the new version");
    canary.send({ type: "ack", version: all.version, hash: canary.snapshots().at(-1)!.hash });
  });

  it("a nack from a canary node stops the rollout and returns the group to the previous version", async () => {
    const before = lastSnapshotVersion(stable)!;
    const v = await publish({ message: "canary the node refuses", group: "canary" });
    await waitFor(() => lastSnapshotVersion(canary) === v.version, "canary gets it");
    canary.send({ type: "nack", version: v.version, hash: v.hash, error: "listeners[0].port: address in use", issues: [] });
    const r = await waitFor(async () => {
      const got = await getRollout(cp.db, v.rolloutId!);
      return got?.state === "rolled_back" ? got : undefined;
    }, "rollout stopped by the nack");
    expect(r.reason).toContain("node canary-1 refused");
    expect(r.events.map((e) => e.kind)).toEqual(expect.arrayContaining(["node_nack", "rolled_back"]));
    const nodes = await nodesWithTargets(cp.db);
    expect(nodes.find((n) => n.id === "canary-1")).toMatchObject({ targetVersion: before, appliedVersion: before, pendingVersion: null });
    expect(stable.snapshots().map((s) => s.version)).not.toContain(v.version);
  });

  it("the SLO guard rolls the canary back when its 5xx ratio rises over the baseline, and leaves a healthy one alone", async () => {
    const previous = lastSnapshotVersion(stable)!;
    // Baseline: the canary group before the change, healthy.
    canary.send(statsFrame({ requests: 100, errors5xx: 1, windowStart: Date.now() - 1500 }));
    await new Promise((r) => setTimeout(r, 300));
    const v = await publish({ message: "canary with a guard", group: "canary", guard: { windowMs: 4000, maxErrorRatioIncrease: 0.1, minRequests: 10 } });
    await waitFor(() => lastSnapshotVersion(canary) === v.version, "canary gets it");
    canary.send({ type: "ack", version: v.version, hash: v.hash });

    // Healthy canary traffic: the guard must not act (this is what makes the test able to fail).
    canary.send(statsFrame({ requests: 50, errors5xx: 1, windowStart: Date.now() + 10 }));
    await new Promise((r) => setTimeout(r, 700));
    expect((await getRollout(cp.db, v.rolloutId!))?.state).toBe("canary");

    // Then the upstream starts failing: 40 of 50 requests are 5xx.
    const tripStart = Date.now();
    canary.send(statsFrame({ requests: 50, errors5xx: 40, windowStart: Date.now() + 10 }));
    const r = await waitFor(async () => {
      const got = await getRollout(cp.db, v.rolloutId!);
      return got?.state === "rolled_back" ? got : undefined;
    }, "guard rollback", 4000);
    expect(Date.now() - tripStart).toBeLessThan(4000);
    expect(r.reason).toMatch(/^SLO guard: 5xx ratio .* exceeds the baseline 1\.0%/);
    expect(r.events.map((e) => e.kind)).toEqual(expect.arrayContaining(["guard_tripped", "rolled_back"]));
    // The canary node is sent the previous version again; the stable group never saw the canary.
    await waitFor(() => lastSnapshotVersion(canary) === previous, "canary back on the previous version");
    expect(stable.snapshots().map((s) => s.version)).not.toContain(v.version);
    const audit = (await cp.api("/audit?action=rollout.rollback")).body as { actor: string; target: string }[];
    expect(audit[0]).toMatchObject({ actor: "slo-guard", target: `rollout/${v.rolloutId}` });
  });

  it("flags a node that serves another version than its target for more than 30 s as drifting", async () => {
    const lagging = await connectNode(cp.wsUrl);
    try {
      lagging.send(helloFrame("lagging-1", "stable"));
      await waitFor(() => lagging.snapshots()[0], "snapshot sent");
      // The stable node's ack of its last snapshot is recorded asynchronously: wait for it.
      await waitFor(async () => (await nodesWithTargets(cp.db)).find((n) => n.id === "stable-1")?.appliedVersion === lastSnapshotVersion(stable), "stable ack recorded");
      // It never acks. Now it is pending but not drifting; 31 s later it is.
      const now = await nodesWithTargets(cp.db);
      const later = await nodesWithTargets(cp.db, Date.now() + 31_000);
      expect(now.find((n) => n.id === "lagging-1")).toMatchObject({ pendingVersion: lastSnapshotVersion(stable), drifting: false });
      expect(later.find((n) => n.id === "lagging-1")).toMatchObject({ drifting: true });
      expect(later.find((n) => n.id === "stable-1")).toMatchObject({ drifting: false, pendingVersion: null });
    } finally {
      lagging.close();
    }
  });
});
