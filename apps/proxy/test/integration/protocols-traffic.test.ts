import http2 from "node:http2";
import { connect, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPki, type TPki } from "../helpers/certs.ts";
import { freePort } from "../helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../helpers/start-proxy.ts";
import { ep, proxyConfig, sleep, waitFor, type TClustersBody } from "../helpers/traffic.ts";

/**
 * Where the traffic-management issue (#3) meets the protocols issue (#4):
 * - grpc health checks (#3's scheduler running #4's grpc.health.v1 probe), cleartext and
 *   over upstream TLS;
 * - retries over the h2 upstream pool: `refused-stream` for RST_STREAM REFUSED_STREAM,
 *   `reset` for other stream resets;
 * - connectTimeoutMs against an endpoint that does not answer SYNs (503 UF).
 */

type TMsg = { text: string };
const ser = (m: TMsg) => Buffer.from(JSON.stringify(m));
const de = (b: Buffer) => JSON.parse(b.toString()) as TMsg;
const echoService = {
  Who: { path: "/test.Echo/Who", requestStream: false, responseStream: false, requestSerialize: ser, requestDeserialize: de, responseSerialize: ser, responseDeserialize: de },
};
const raw = (b: Buffer) => b;
const healthService = {
  Check: { path: "/grpc.health.v1.Health/Check", requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
};
const SERVING = 1;
const NOT_SERVING = 2;

type TGrpcUpstream = { name: string; port: number; status: number; server: grpc.Server };

/** A grpc-js server answering Who with its name and grpc.health.v1 Check with `status` (mutable). */
async function startGrpc(name: string, creds = grpc.ServerCredentials.createInsecure()): Promise<TGrpcUpstream> {
  const server = new grpc.Server();
  const u: TGrpcUpstream = { name, port: 0, status: SERVING, server };
  server.addService(echoService, { Who: (_c: grpc.ServerUnaryCall<TMsg, TMsg>, cb: grpc.sendUnaryData<TMsg>) => cb(null, { text: name }) });
  // HealthCheckResponse { status = 1 } as protobuf: field 1 varint.
  server.addService(healthService, { Check: (_c: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from([0x08, u.status])) });
  u.port = await new Promise<number>((resolve, reject) => server.bindAsync("127.0.0.1:0", creds, (err, port) => (err ? reject(err) : resolve(port))));
  return u;
}

/**
 * An endpoint that does not answer SYNs, on loopback: a listening socket (backlog 1) in a
 * worker thread whose event loop is then blocked, so nothing is ever accepted. Once the
 * accept queue holds backlog+1 established connections Linux drops further SYNs
 * (LISTENOVERFLOWS), and a new connect() stays in SYN_SENT, exactly as against a host
 * that drops SYNs. `fill()` queues the filler connections first.
 */
async function startBlackhole(): Promise<{ port: number; close(): Promise<void> }> {
  const release = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { parentPort, workerData } = require("node:worker_threads");
     const server = require("node:net").createServer();
     server.listen({ host: "127.0.0.1", port: 0, backlog: 1 }, () => {
       parentPort.postMessage(server.address().port);
       Atomics.wait(workerData, 0, 0);
       server.close();
     });`,
    { eval: true, workerData: release },
  );
  const port = await new Promise<number>((resolve) => worker.once("message", resolve));
  const fillers: Socket[] = [];
  // Two established connections fill a backlog-1 queue; more would only hang themselves.
  for (let i = 0; i < 2; i++) {
    const s = connect(port, "127.0.0.1");
    s.on("error", () => undefined);
    fillers.push(s);
    await new Promise<void>((resolve) => s.once("connect", () => resolve()));
  }
  // Check that the hole really is black: a third connect must still be pending.
  const probe = connect(port, "127.0.0.1");
  probe.on("error", () => undefined);
  await sleep(300);
  const black = probe.connecting;
  probe.destroy();
  if (!black) throw new Error("blackhole: the kernel accepted a connection beyond the backlog");
  return {
    port,
    async close() {
      for (const s of fillers) s.destroy();
      Atomics.store(release, 0, 1);
      Atomics.notify(release, 0);
      await worker.terminate();
    },
  };
}

let pki: TPki;
let plainA: TGrpcUpstream;
let plainB: TGrpcUpstream;
let tlsUp: TGrpcUpstream;
let h2: http2.Http2Server;
/** What the h2 upstream does to the next streams: refuse (REFUSED_STREAM) or reset (INTERNAL_ERROR). */
let h2Plan: ("refuse" | "reset")[] = [];
let h2Streams = 0;
let blackhole: { port: number; close(): Promise<void> };
let proxy: TProxyProcess;
let port: number;
let base: string;
let client: grpc.Client;

beforeAll(async () => {
  pki = await createPki();
  const leaf = await pki.issue("grpc-upstream", ["DNS:grpc.internal"]);
  [plainA, plainB, tlsUp] = await Promise.all([
    startGrpc("a"),
    startGrpc("b"),
    startGrpc("tls", grpc.ServerCredentials.createSsl(null, [{ private_key: Buffer.from(leaf.key), cert_chain: Buffer.from(leaf.cert) }], false)),
  ]);

  h2 = http2.createServer();
  h2.on("stream", (stream, headers) => {
    h2Streams++;
    // Closing with an error code makes node emit it on our own stream too.
    stream.on("error", () => undefined);
    const step = h2Plan.shift();
    if (step === "refuse") return void stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
    if (step === "reset") return void stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    stream.respond({ ":status": 200, "content-type": "application/json" });
    stream.end(JSON.stringify({ attempt: headers["x-switchyard-attempt-count"] }));
  });
  await new Promise<void>((r) => h2.listen(0, "127.0.0.1", r));
  const h2Port = (h2.address() as AddressInfo).port;

  blackhole = await startBlackhole();

  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const healthCheck = { type: "grpc", intervalMs: 200, timeoutMs: 200, unhealthyThreshold: 2, healthyThreshold: 2 };
  proxy = await startProxy({
    config: {
      ...proxyConfig(
        port,
        [
          { name: "grpc", match: { prefix: "/test.Echo/" }, route: { cluster: "grpc-hc" } },
          { name: "refused", match: { prefix: "/refused" }, route: { cluster: "h2", retryPolicy: { retryOn: ["refused-stream"], numRetries: 1 } } },
          { name: "reset", match: { prefix: "/reset" }, route: { cluster: "h2", retryPolicy: { retryOn: ["reset"], numRetries: 1 } } },
          { name: "black-h1", match: { prefix: "/black-h1" }, route: { cluster: "black-h1" } },
          { name: "black-h2", match: { prefix: "/black-h2" }, route: { cluster: "black-h2" } },
        ],
        [
          { name: "grpc-hc", protocol: "http2", endpoints: [ep(plainA.port), ep(plainB.port)], healthCheck },
          // Health checks only, no route: the probe must use the cluster's TLS options
          // (a cleartext probe against this server fails, so it would never turn healthy).
          {
            name: "grpc-tls",
            protocol: "http2",
            endpoints: [ep(tlsUp.port)],
            tls: { sni: "grpc.internal", caSecret: "ca" },
            healthCheck: { ...healthCheck, grpcServiceName: "test.Echo" },
          },
          { name: "h2", protocol: "http2", endpoints: [ep(h2Port)] },
          { name: "black-h1", connectTimeoutMs: 500, endpoints: [ep(blackhole.port)] },
          { name: "black-h2", protocol: "http2", connectTimeoutMs: 500, endpoints: [ep(blackhole.port)] },
        ],
      ),
      secrets: [{ name: "ca", type: "caBundle", certificate: pki.ca.cert }],
    },
  });
  client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await proxy?.stop();
  for (const u of [plainA, plainB, tlsUp]) u?.server.forceShutdown();
  h2?.close();
  await blackhole?.close();
  await pki?.cleanup();
});

async function clusters(): Promise<TClustersBody["clusters"]> {
  return ((await (await proxy.admin("/clusters")).json()) as TClustersBody).clusters;
}

async function health(cluster: string, endpointPort: number): Promise<string | undefined> {
  return (await clusters()).find((c) => c.name === cluster)?.endpoints.find((e) => e.port === endpointPort)?.health;
}

function who(): Promise<string> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest("/test.Echo/Who", ser, de, { text: "" }, new grpc.Metadata(), {}, (err: grpc.ServiceError | null, res?: TMsg) =>
      err ? reject(err) : resolve((res as TMsg).text),
    ),
  );
}

describe("grpc health checks", () => {
  it("an endpoint whose health service says NOT_SERVING leaves the balancer and comes back when SERVING again", async () => {
    await waitFor(async () => (await health("grpc-hc", plainA.port)) === "healthy" && (await health("grpc-hc", plainB.port)) === "healthy", 10_000, "both healthy");
    const before = new Set<string>();
    for (let i = 0; i < 6; i++) before.add(await who());
    expect(before).toEqual(new Set(["a", "b"]));

    plainA.status = NOT_SERVING;
    await waitFor(async () => (await health("grpc-hc", plainA.port)) === "unhealthy", 10_000, "a unhealthy");
    const event = await proxy.waitForEvent((e) => e.event === "health_check_transition" && e.cluster === "grpc-hc" && e.to === "unhealthy");
    expect(event.detail).toBe("status NOT_SERVING");
    // 1 of 2 available is not below the 50% panic threshold: only b gets traffic.
    for (let i = 0; i < 6; i++) expect(await who()).toBe("b");

    plainA.status = SERVING;
    await waitFor(async () => (await health("grpc-hc", plainA.port)) === "healthy", 10_000, "a healthy again");
    const after = new Set<string>();
    for (let i = 0; i < 6; i++) after.add(await who());
    expect(after).toEqual(new Set(["a", "b"]));
  });

  it("probes over the cluster's upstream TLS (SNI + CA) when the cluster has tls", async () => {
    await waitFor(async () => (await health("grpc-tls", tlsUp.port)) === "healthy", 10_000, "tls endpoint healthy");
    tlsUp.status = NOT_SERVING;
    await waitFor(async () => (await health("grpc-tls", tlsUp.port)) === "unhealthy", 10_000, "tls endpoint unhealthy");
    tlsUp.status = SERVING;
    await waitFor(async () => (await health("grpc-tls", tlsUp.port)) === "healthy", 10_000, "tls endpoint healthy again");
  });
});

describe("retries over the h2 upstream pool", () => {
  it("refused-stream: a REFUSED_STREAM before response headers is retried; the second try succeeds", async () => {
    h2Plan = ["refuse"];
    h2Streams = 0;
    const res = await fetch(`${base}/refused`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ attempt: "2" });
    expect(h2Streams).toBe(2);
  });

  it("refused-stream does not retry other stream resets (503 UC after one try)", async () => {
    h2Plan = ["reset"];
    h2Streams = 0;
    const res = await fetch(`${base}/refused`);
    expect(res.status).toBe(503);
    expect(res.headers.get("x-switchyard-response-flags")).toBe("UC");
    await res.arrayBuffer();
    expect(h2Streams).toBe(1);
  });

  it("reset: any stream reset before response headers is retried, a refused one included", async () => {
    h2Plan = ["reset"];
    h2Streams = 0;
    let res = await fetch(`${base}/reset`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ attempt: "2" });
    h2Plan = ["refuse"];
    res = await fetch(`${base}/reset`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ attempt: "2" });
    expect(h2Streams).toBe(4);
  });

  it("out of retries: the last reset is answered 503 UC,URX", async () => {
    h2Plan = ["refuse", "refuse"];
    h2Streams = 0;
    const res = await fetch(`${base}/refused`);
    expect(res.status).toBe(503);
    expect(res.headers.get("x-switchyard-response-flags")).toBe("UC,URX");
    await res.arrayBuffer();
    expect(h2Streams).toBe(2);
  });
});

describe("connect timeout", () => {
  // The endpoint never completes the TCP handshake (see startBlackhole), so only
  // connectTimeoutMs (500 ms) can end the try: undici's connect timeout for http1 pools,
  // the H2Pool's own timer for http2. The route timeout (15 s) is far away.
  for (const cluster of ["black-h1", "black-h2"]) {
    it(`${cluster}: 503 UF after connectTimeoutMs`, async () => {
      const t0 = performance.now();
      const res = await fetch(`${base}/${cluster}`);
      const ms = performance.now() - t0;
      expect(res.status).toBe(503);
      expect(res.headers.get("x-switchyard-response-flags")).toBe("UF");
      expect(await res.text()).toContain("UND_ERR_CONNECT_TIMEOUT");
      expect(ms).toBeGreaterThanOrEqual(450);
      expect(ms).toBeLessThan(10_000);
    });
  }
});
