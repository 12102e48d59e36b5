import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validateConfig, type TConfig } from "@switchyard/config-model";
import { makeCluster, makeConfig } from "@switchyard/config-model/testing";
import { getNode } from "@switchyard/db";
import { startControlPlaneClient, type TApplyResult, type TControlPlaneClient } from "../../proxy/src/control-plane/client.ts";
import { startCpServer, waitFor, type TCpServer, type TLogEntry } from "./helpers/cp-server.ts";

/**
 * The real proxy control-plane client against the real hub, REST API and PostgreSQL:
 * publish -> NOTIFY -> push -> apply -> ack -> registry, including refusals and a
 * console restart.
 */

let cp: TCpServer;
let client: TControlPlaneClient | undefined;
const clientLogs: TLogEntry[] = [];
let applied: { version: number; hash: string; config: TConfig } | null = null;

async function publish(port: number, message: string) {
  const config = makeConfig({ clusters: [makeCluster({ endpoints: [{ address: "127.0.0.1", port }] })] });
  expect((await cp.api("/config", { method: "PUT", json: config })).status).toBe(200);
  const res = await cp.api("/versions", { method: "POST", json: { message } });
  expect(res.status).toBe(201);
  return res.body as { version: number; hash: string };
}

/** Stands in for the data plane: validates like the proxy does and refuses port 9666 like a bind failure. */
async function apply(snapshot: { version: number; hash: string; config: unknown }): Promise<TApplyResult> {
  const result = validateConfig(snapshot.config);
  if (!result.ok) return { ok: false, error: "invalid config", issues: result.issues };
  if (result.config.clusters.some((c) => c.endpoints.some((e) => e.port === 9666))) {
    return { ok: false, error: "refused by test data plane", issues: [{ path: "clusters[0].endpoints[0].port", message: "port 9666 is cursed" }] };
  }
  applied = { version: snapshot.version, hash: snapshot.hash, config: result.config };
  return { ok: true };
}

beforeAll(async () => {
  cp = await startCpServer({ nodeToken: "node-secret" });
}, 120_000);

afterAll(async () => {
  await client?.close();
  await cp?.close();
});

describe("proxy control-plane client <-> console hub", () => {
  it("refuses the client with a wrong token, and the client says so", async () => {
    const logs: TLogEntry[] = [];
    const bad = startControlPlaneClient({
      url: cp.wsUrl,
      nodeId: "intruder",
      group: "default",
      token: "wrong",
      proxyVersion: "test",
      getApplied: () => null,
      apply,
      log: (event, fields) => logs.push({ event, fields }),
      backoff: { baseMs: 20, capMs: 50 },
    });
    try {
      await waitFor(() => logs.find((l) => l.event === "control_plane_unauthorized"), "unauthorized log");
      expect(bad.connected()).toBe(false);
      expect(await getNode(cp.db, "intruder")).toBeNull();
    } finally {
      await bad.close();
    }
  });

  it("gets the latest version on connect, and every publish after, acking each", async () => {
    const v1 = await publish(9001, "v1");
    client = startControlPlaneClient({
      url: cp.wsUrl,
      nodeId: "proxy-1",
      group: "edge",
      token: "node-secret",
      labels: { region: "test" },
      proxyVersion: "0.1.0",
      getApplied: () => (applied ? { version: applied.version, hash: applied.hash } : null),
      apply,
      log: (event, fields) => clientLogs.push({ event, fields }),
      backoff: { baseMs: 20, capMs: 200 },
    });
    await waitFor(async () => (await getNode(cp.db, "proxy-1"))?.appliedVersion === v1.version, "v1 acked");
    expect(applied?.hash).toBe(v1.hash);
    expect(await getNode(cp.db, "proxy-1")).toMatchObject({ group: "edge", labels: { region: "test" }, connected: true, proxyVersion: "0.1.0" });

    const v2 = await publish(9002, "v2");
    await waitFor(async () => (await getNode(cp.db, "proxy-1"))?.appliedVersion === v2.version, "v2 acked", 2000);
    expect(applied?.config.clusters[0]?.endpoints[0]?.port).toBe(9002);
  });

  it("a refused version is nacked: the registry shows the error and the node keeps its version", async () => {
    const before = applied!;
    const bad = await publish(9666, "cursed");
    await waitFor(async () => (await getNode(cp.db, "proxy-1"))?.nackedVersion === bad.version, "nack recorded");
    const node = await getNode(cp.db, "proxy-1");
    expect(node?.appliedVersion).toBe(before.version);
    expect(node?.lastError).toContain("refused by test data plane");
    expect(node?.lastError).toContain("port 9666 is cursed");
    expect(applied?.version).toBe(before.version);
  });

  it("reconnects to a restarted console, reports its version and is not sent it again", async () => {
    const fixed = await publish(9003, "fixed");
    await waitFor(async () => (await getNode(cp.db, "proxy-1"))?.appliedVersion === fixed.version, "fixed acked");
    const port = Number(new URL(cp.url).port);
    const database = cp.database;
    await cp.xds.close();
    cp.server.closeAllConnections();
    await new Promise<void>((r) => cp.server.close(() => r()));
    await waitFor(() => !client!.connected(), "client noticed");
    expect((await getNode(database.db, "proxy-1"))?.connected).toBe(false);

    const sent = clientLogs.filter((l) => l.event === "control_plane_snapshot_received").length;
    const restarted = await startCpServer({ nodeToken: "node-secret", database, port });
    cp = { ...restarted, close: async () => { await restarted.close(); await database.drop(); } };
    await waitFor(async () => (await getNode(cp.db, "proxy-1"))?.connected === true, "reconnected", 5000);
    expect((await getNode(cp.db, "proxy-1"))?.appliedVersion).toBe(fixed.version);
    await new Promise((r) => setTimeout(r, 200));
    expect(clientLogs.filter((l) => l.event === "control_plane_snapshot_received").length).toBe(sent);
    expect(cp.xds.connectedNodeIds()).toEqual(["proxy-1"]);
  });
});
