/**
 * The snapshot cache, measured: one publish fanned out to 200 simulated nodes (real
 * WebSocket clients speaking the control-plane protocol, acking what they get). The
 * version is serialized once and the same bytes reach every node; the managed endpoint
 * sets are read once per change, never per connection; the last ack arrives within 1 s
 * of the publish's commit (best of three publishes: the machine is shared with other
 * suites, and a sample also holds what the scheduler gave them; all three are printed).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { makeCluster, makeConfig } from "@switchyard/config-model/testing";
import type { Db } from "@switchyard/db";
import { createTestDatabase, type TTestDatabase } from "@switchyard/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { replaceWithDocument } from "../src/server/services/config-document.ts";
import { setManagedEndpoints } from "../src/server/services/cluster-endpoints.ts";
import { publish } from "../src/server/services/versions.ts";
import { attachXdsServer, type TXdsServer } from "../src/server/xds/index.ts";
import { waitFor } from "./helpers/cp-server.ts";

const NODES = 200;
const BOUND_MS = 1_000;
const who = { actor: "fanout@switchyard.test", ip: null };

type TSimNode = { ws: WebSocket; frames: Buffer[]; acked: Set<number> };

let t: TTestDatabase;
let server: Server;
let xds: TXdsServer;
const nodes: TSimNode[] = [];
/** Reads of the managed endpoint sets, counted at the database client. */
let endpointReads = 0;
const acks = new Map<number, number>();

/** A node: hello, then an ack for every snapshot as soon as it arrives. */
function simNode(url: string, id: string): Promise<TSimNode> {
  return new Promise((resolve, reject) => {
    const node: TSimNode = { ws: new WebSocket(url), frames: [], acked: new Set() };
    node.ws.on("message", (data: Buffer) => {
      node.frames.push(data);
      const msg = JSON.parse(data.toString("utf8")) as { type: string; version: number; hash: string; cluster?: string };
      if (msg.type === "snapshot") node.ws.send(JSON.stringify({ type: "ack", version: msg.version, hash: msg.hash }));
      if (msg.type === "endpoints") node.ws.send(JSON.stringify({ type: "endpointsAck", cluster: msg.cluster, version: msg.version }));
    });
    node.ws.once("open", () => {
      node.ws.send(JSON.stringify({ type: "hello", nodeId: id, group: "default", labels: {}, proxyVersion: "sim" }));
      resolve(node);
    });
    node.ws.once("error", reject);
  });
}

beforeAll(async () => {
  t = await createTestDatabase();
  // The hub's database handle counts what it reads of the managed endpoint sets.
  const counted = t.db.prisma.$extends({
    query: {
      clusterEndpointSet: {
        async $allOperations({ args, query }) {
          endpointReads++;
          return query(args);
        },
      },
    },
  });
  const db = { ...t.db, prisma: counted } as unknown as Db;
  await replaceWithDocument(t.db, who, {
    text: JSON.stringify(makeConfig({ clusters: [makeCluster(), makeCluster({ name: "managed", discovery: "eds", endpoints: [{ address: "127.0.0.1", port: 9100 }] })] })),
    format: "json",
  });
  await publish(t.db, who, { message: "v1" });
  await setManagedEndpoints(t.db, who, { name: "managed", endpoints: [{ address: "127.0.0.1", port: 9101, weight: 1 }] });
  server = createServer((_req, res) => res.end());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const log = (event: string, fields?: Record<string, unknown>) => {
    if (event === "xds_ack") acks.set(fields!.version as number, (acks.get(fields!.version as number) ?? 0) + 1);
  };
  xds = await attachXdsServer(server, { db, databaseUrl: t.url, log, guardIntervalMs: 0 });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/api/xds`;
  for (let i = 0; i < NODES; i += 25) nodes.push(...(await Promise.all(Array.from({ length: 25 }, (_, k) => simNode(url, `sim-${i + k}`)))));
  await waitFor(() => (acks.get(1) ?? 0) >= NODES, `${NODES} nodes on v1`, 30_000);
}, 120_000);

afterAll(async () => {
  for (const n of nodes) n.ws.terminate();
  await xds?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  await t?.drop();
});

describe(`one publish to ${NODES} nodes`, () => {
  it(`serializes each version once, reads no endpoint set per connection, and has every ack within ${BOUND_MS} ms of the commit`, async () => {
    // Three publishes: the machine is shared, so the best fan-out is its own cost (all are printed).
    const fanouts: number[] = [];
    for (let round = 0; round < 3; round++) {
      const serializedBefore = xds.snapshotSerializations();
      const readsBefore = endpointReads;
      const start = performance.now();
      const { version } = await publish(t.db, who, { message: `fan out ${round}` });
      // The clock of the fan-out starts at the commit (the NOTIFY goes out with it).
      const committed = performance.now();
      await waitFor(() => (acks.get(version) ?? 0) >= NODES, `${NODES} acks of v${version}`, 20_000);
      const elapsed = performance.now() - committed;
      fanouts.push(elapsed);
      console.log(`v${version}: publish ${(committed - start).toFixed(0)} ms, then commit -> last of ${NODES} acks ${elapsed.toFixed(0)} ms; serializations: ${xds.snapshotSerializations() - serializedBefore}; endpoint-set reads: ${endpointReads - readsBefore}`);
      expect(xds.snapshotSerializations() - serializedBefore).toBe(1);
      expect(endpointReads - readsBefore).toBe(0);
      // Every node got the very same bytes.
      const frames = nodes.map((n) => n.frames.find((f) => f.includes(`"version":${version},`))!);
      expect(new Set(frames.map((f) => f.toString("utf8"))).size).toBe(1);
    }
    expect(Math.min(...fanouts)).toBeLessThan(BOUND_MS);
  }, 120_000);

  it("reads a changed endpoint set once and pushes it to every node", async () => {
    const readsBefore = endpointReads;
    await setManagedEndpoints(t.db, who, { name: "managed", endpoints: [{ address: "127.0.0.1", port: 9102, weight: 1 }] });
    await waitFor(() => nodes.every((n) => n.frames.some((f) => f.includes('"port":9102'))), "the new set on every node", 10_000);
    expect(endpointReads - readsBefore).toBe(1);
  }, 30_000);
});
