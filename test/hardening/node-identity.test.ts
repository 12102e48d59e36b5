/**
 * Issue #20 item 3: identity on the control plane. Before: a node token of group `canary`
 * said hello as `local-1` (group `default`), replaced the real node's connection and got
 * its snapshot; a revoked node token's open connection kept working (a nack was recorded
 * after the revocation). Now: a node id belongs to its group (live or registered) and a
 * token of another group is refused, audited; revoking a token closes its sessions at once
 * on every replica (NOTIFY), audited.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUDIT_ACTIONS, listAudit, revokeNodeToken } from "@switchyard/db";
import { connectNode, helloFrame, type TFakeNode } from "../../apps/web/test/helpers/fake-node.ts";
import { startConsoleCore, type TConsoleCore } from "./helpers/console-core.ts";

let core: TConsoleCore;
beforeAll(async () => {
  core = await startConsoleCore();
  const config = { listeners: [], routeConfigs: [], clusters: [{ name: "app", endpoints: [{ address: "127.0.0.1", port: 9 }] }], secrets: [], rateLimitPolicies: [] };
  expect((await core.rest("PUT", "/config", { body: JSON.stringify(config), contentType: "application/json" })).status).toBe(200);
  expect((await core.rest("POST", "/versions", { body: JSON.stringify({ message: "v1" }), contentType: "application/json" })).status).toBe(201);
});
afterAll(async () => {
  await core?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(25);
  }
}

async function hello(token: string, nodeId: string, group: string): Promise<TFakeNode> {
  const n = await connectNode(core.wsUrl, { authorization: `Bearer ${token}` });
  n.send(helloFrame(nodeId, group));
  return n;
}

describe("a node id belongs to its group", () => {
  it("a canary token cannot take over a default node's id, live or registered; the refusal is audited", async () => {
    const def = await core.nodeToken("default", "default-token");
    const canary = await core.nodeToken("canary", "canary-token");
    const real = await hello(def.token, "local-1", "default");
    await waitFor(() => real.snapshots().length === 1, "the real node's snapshot");

    const impostor = await hello(canary.token, "local-1", "canary");
    await waitFor(() => impostor.closed !== null, "impostor closed");
    expect(impostor.closed?.code).toBe(4003);
    expect(impostor.snapshots()).toHaveLength(0);
    expect(impostor.frames.find((f) => f.type === "error")?.message).toMatch(/belongs to group "default"/);
    await sleep(200);
    expect(real.closed).toBeNull();
    expect(real.frames.some((f) => f.type === "error")).toBe(false);
    expect(core.xds.connectedNodeIds()).toContain("local-1");

    // Gone, but still registered in its group: still not the canary token's to take.
    real.close();
    await waitFor(() => !core.xds.connectedNodeIds().includes("local-1"), "real node gone");
    const again = await hello(canary.token, "local-1", "canary");
    await waitFor(() => again.closed !== null, "second impostor closed");
    expect(again.snapshots()).toHaveLength(0);
    expect((await core.database.db.prisma.node.findUnique({ where: { id: "local-1" } }))?.group).toBe("default");

    const refused = await listAudit(core.database.db, { action: AUDIT_ACTIONS.nodeRefused, target: "local-1" });
    expect(refused.length).toBeGreaterThan(0);

    // Its own group's token still reconnects it.
    const back = await hello(def.token, "local-1", "default");
    await waitFor(() => core.xds.connectedNodeIds().includes("local-1"), "real node back");
    back.close();
  });

  it("revoking a node token closes its sessions at once; nothing it sends later is recorded; audited", async () => {
    const t = await core.nodeToken("default", "to-revoke");
    const n = await hello(t.token, "rev-1", "default");
    await waitFor(() => n.snapshots().length === 1, "snapshot");
    const version = n.snapshots()[0]!.version as number;
    const started = Date.now();
    await revokeNodeToken(core.database.db, t.id, { actor: "admin@switchyard.test" });
    await waitFor(() => n.closed !== null, "session closed", 5_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(n.closed?.code).toBe(4004);
    // A nack after the revocation goes nowhere (the socket is closed).
    if (n.ws.readyState === n.ws.OPEN) n.send({ type: "nack", version, error: "after revocation" });
    await sleep(300);
    expect((await core.database.db.prisma.node.findUnique({ where: { id: "rev-1" } }))?.lastError).toBeNull();
    await waitFor(async () => (await listAudit(core.database.db, { action: AUDIT_ACTIONS.nodeDisconnected, target: "rev-1" })).length === 1, "audit row");
    const [row] = await listAudit(core.database.db, { action: AUDIT_ACTIONS.nodeDisconnected, target: "rev-1" });
    expect(row?.details).toMatchObject({ reason: "node token revoked", tokenId: t.id });
    // And it cannot come back.
    await expect(connectNode(core.wsUrl, { authorization: `Bearer ${t.token}` })).rejects.toThrow(/401/);
  });
});
