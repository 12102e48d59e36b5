import { connect as netConnect, createServer as createNetServer, type AddressInfo, type Server, type Socket } from "node:net";
import { Duplex } from "node:stream";
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HOLD, type TNetworkCloseInfo, type TNetworkFilter } from "../../src/filters/network/api.ts";
import { createPki, type TPki } from "../helpers/certs.ts";
import { freePort } from "../helpers/free-port.ts";
import { startInProcessProxy, type TInProcessProxy } from "../helpers/in-process-proxy.ts";

/**
 * Network filters on tcp listeners, through the proxy's real runtime on 127.0.0.1:
 * TLS passthrough by SNI (sniRouter) to TLS servers holding different certificates, which
 * the node:tls clients verify end to end (the proxy holds no key, so it cannot have
 * terminated TLS); network RBAC refusing on connect; and a filter written against the
 * network filter API (as a user's would be) rewriting bytes both ways, closing from
 * onData, and seeing onConnect / onClose.
 */
let pki: TPki;
let proxy: TInProcessProxy;
const upstreams: Server[] = [];
const ports = { sni: 0, strict: 0, deny: 0, allow: 0, rewrite: 0 };
/** Per upstream: connections accepted and bytes received. */
const seen: Record<string, { connections: number; bytes: Buffer[] }> = {};
/** Chunks the counting filter (before the sniRouter on `sni`) saw from each client, by the client's port. */
const chunksBeforeRouter = new Map<number, number>();
const closes: TNetworkCloseInfo[] = [];
const connects: string[] = [];

function record(name: string): { connections: number; bytes: Buffer[] } {
  seen[name] ??= { connections: 0, bytes: [] };
  return seen[name];
}

/** A TLS server that greets with its name, then echoes. */
async function tlsUpstream(name: string, cert: { cert: string; key: string }): Promise<number> {
  const server = createTlsServer({ cert: cert.cert, key: cert.key }, (sock: TLSSocket) => {
    record(name).connections++;
    sock.write(`hello from ${name}\n`);
    sock.on("data", (c: Buffer) => sock.write(c));
    sock.on("error", () => undefined);
  });
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  upstreams.push(server);
  return (server.address() as AddressInfo).port;
}

async function plainUpstream(name: string): Promise<number> {
  const server = createNetServer((sock) => {
    record(name).connections++;
    sock.on("data", (c: Buffer) => {
      record(name).bytes.push(c);
      sock.write(c);
    });
    sock.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  upstreams.push(server);
  return (server.address() as AddressInfo).port;
}

/** Test-only filter on the `rewrite` listener: every phase, through the public API. */
const rewriter: TNetworkFilter = {
  name: "rewriter",
  async onConnect(conn) {
    await new Promise((r) => setTimeout(r, 5)); // an async phase: bytes wait for it
    connects.push(conn.remoteAddress);
    conn.metadata.set("rewriter", { started: true });
  },
  onData(chunk, direction) {
    const text = chunk.toString();
    if (direction === "toUpstream") {
      if (text.includes("quit")) return { close: true, flag: "QUIT" };
      if (text.includes("boom")) return Promise.reject(new Error("boom")); // a failing async phase
      if (text.endsWith(" ")) return HOLD; // held until a chunk completes the word, then sent as one
      return Buffer.from(text.toUpperCase());
    }
    return Buffer.from(`<${text}>`);
  },
  onClose(info) {
    closes.push(info);
  },
};

/** Counts the client's chunks before the sniRouter sees them (proves the hello came in pieces). */
const chunkCounter: TNetworkFilter = {
  name: "chunkCounter",
  onConnect(conn) {
    conn.metadata.set("chunks", 0);
  },
  onData(_chunk, direction, conn) {
    if (direction === "toUpstream") conn.metadata.set("chunks", (conn.metadata.get("chunks") as number) + 1);
  },
  onClose(_info, conn) {
    chunksBeforeRouter.set(conn.remotePort, conn.metadata.get("chunks") as number);
  },
};

beforeAll(async () => {
  pki = await createPki();
  const [a, b, fallback] = await Promise.all([
    pki.issue("a", ["DNS:a.example.test"]),
    pki.issue("b", ["DNS:b.example.test", "DNS:*.wild.example.test"]),
    pki.issue("fallback", ["IP:127.0.0.1"]),
  ]);
  const [pa, pb, pd, pe] = await Promise.all([tlsUpstream("a", a), tlsUpstream("b", b), tlsUpstream("fallback", fallback), plainUpstream("echo")]);
  for (const k of Object.keys(ports) as (keyof typeof ports)[]) ports[k] = await freePort();
  const sniRoutes = [
    { name: "a", serverNames: ["a.example.test"], cluster: "tls-a" },
    { name: "b", serverNames: ["b.example.test", "*.wild.example.test"], cluster: "tls-b" },
  ];
  const tcp = (name: keyof typeof ports, rest: object) => ({ name, address: "127.0.0.1", port: ports[name], protocol: "tcp", ...rest });
  proxy = await startInProcessProxy(
    {
      listeners: [
        tcp("sni", { tcp: {}, networkFilters: [{ type: "sniRouter", routes: sniRoutes, defaultCluster: "tls-fallback" }] }),
        tcp("strict", {
          tcp: {},
          networkFilters: [
            { type: "rbac", rules: [{ allow: true, principals: [{ sourceIp: "127.0.0.0/8" }] }] },
            { type: "sniRouter", name: "sni", routes: sniRoutes, helloTimeoutMs: 700 },
          ],
        }),
        tcp("deny", { tcp: { cluster: "echo" }, networkFilters: [{ type: "rbac", name: "no-loopback", rules: [{ allow: false, principals: [{ sourceIp: "127.0.0.1/32" }] }, { allow: true }] }] }),
        tcp("allow", { tcp: { cluster: "echo" }, networkFilters: [{ type: "rbac", rules: [{ allow: false, principals: [{ sourceIp: "10.0.0.0/8" }] }, { allow: true, principals: [{ sourceIp: "127.0.0.0/8" }] }] }] }),
        tcp("rewrite", { tcp: { cluster: "echo" } }),
      ],
      clusters: [
        { name: "tls-a", endpoints: [{ address: "127.0.0.1", port: pa }] },
        { name: "tls-b", endpoints: [{ address: "127.0.0.1", port: pb }] },
        { name: "tls-fallback", endpoints: [{ address: "127.0.0.1", port: pd }] },
        { name: "echo", endpoints: [{ address: "127.0.0.1", port: pe }] },
      ],
    },
    {},
    (listener, builtIn) => (listener === "rewrite" ? [...builtIn, rewriter] : listener === "sni" ? [chunkCounter, ...builtIn] : builtIn),
  );
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await Promise.all(upstreams.map((s) => new Promise((r) => s.close(r))));
  await pki?.cleanup();
});

/** A TLS client that verifies the server against the test CA; resolves with the greeting. */
function tlsHello(port: number, servername: string | undefined, socket?: Duplex): Promise<{ greeting: string; peerCn: string }> {
  return new Promise((resolve, reject) => {
    const client = tlsConnect({ host: "127.0.0.1", port, ca: pki.ca.cert, ...(servername ? { servername } : {}), ...(socket ? { socket } : {}) });
    client.setEncoding("utf8");
    let text = "";
    const onGreeting = (d: string) => {
      text += d;
      if (!text.includes("\n")) return;
      client.off("data", onGreeting);
      const peerCn = client.getPeerCertificate().subject?.CN ?? "";
      client.write("ping\n");
      client.once("data", (echo: string) => {
        client.end();
        resolve({ greeting: `${text.trim()} / ${echo.trim()}`, peerCn: String(peerCn) });
      });
    };
    client.on("data", onGreeting);
    client.on("error", reject);
    client.on("close", () => reject(new Error(`closed before the greeting (got ${JSON.stringify(text)})`)));
  });
}

/** Resolves how the proxy ended a raw connection: "closed" (by the proxy) with the time it took, or the bytes it sent. */
function rawConnection(port: number, send: Buffer | null): Promise<{ closedAfterMs: number; received: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const sock: Socket = netConnect(port, "127.0.0.1", () => {
      if (send) sock.write(send);
    });
    let received = "";
    sock.on("data", (d: Buffer) => (received += d.toString("latin1")));
    sock.on("error", () => undefined);
    sock.on("close", () => resolve({ closedAfterMs: Date.now() - started, received }));
    setTimeout(() => {
      sock.destroy();
      reject(new Error("the proxy kept the connection open"));
    }, 20_000).unref();
  });
}

/** A socket for tls.connect that writes its first flight (the ClientHello) one byte per event-loop turn. */
function tricklingSocket(raw: Socket): Duplex {
  raw.setNoDelay(true);
  let first = true;
  const d = new Duplex({
    write(chunk: Buffer, _enc, cb) {
      if (!first) return void raw.write(chunk, cb);
      first = false;
      void (async () => {
        for (const byte of chunk) {
          raw.write(Buffer.from([byte]));
          await new Promise((r) => setImmediate(r));
        }
        cb();
      })();
    },
    read() {},
    final(cb) {
      raw.end();
      cb();
    },
    destroy(err, cb) {
      raw.destroy();
      cb(err);
    },
  });
  raw.on("data", (c: Buffer) => d.push(c));
  raw.on("end", () => d.push(null));
  raw.on("error", (e) => d.destroy(e));
  return d;
}

async function metric(line: RegExp): Promise<number> {
  const text = await proxy.metrics.registry.metrics();
  const m = line.exec(text);
  return m ? Number(m[1]) : 0;
}

describe("sniRouter: TLS passthrough by server name", () => {
  it("sends each server name to its own upstream, the TLS session end to end (the client verifies the upstream's certificate)", async () => {
    const before = { a: await metric(/switchyard_sni_routed_total\{listener="sni",route="a"\} (\d+)/), b: await metric(/switchyard_sni_routed_total\{listener="sni",route="b"\} (\d+)/) };
    expect(await tlsHello(ports.sni, "a.example.test")).toEqual({ greeting: "hello from a / ping", peerCn: "a" });
    expect(await tlsHello(ports.sni, "b.example.test")).toEqual({ greeting: "hello from b / ping", peerCn: "b" });
    // Wildcard route, and the name's case does not matter.
    expect(await tlsHello(ports.sni, "Deep.Wild.Example.Test")).toEqual({ greeting: "hello from b / ping", peerCn: "b" });
    expect(await metric(/switchyard_sni_routed_total\{listener="sni",route="a"\} (\d+)/)).toBe(before.a + 1);
    expect(await metric(/switchyard_sni_routed_total\{listener="sni",route="b"\} (\d+)/)).toBe(before.b + 2);
  });

  it("routes a ClientHello that arrives one byte at a time", async () => {
    const raw = netConnect(ports.sni, "127.0.0.1");
    await new Promise((r) => raw.once("connect", r));
    const port = raw.localPort ?? 0;
    expect(await tlsHello(ports.sni, "a.example.test", tricklingSocket(raw))).toEqual({ greeting: "hello from a / ping", peerCn: "a" });
    raw.destroy();
    await expect.poll(() => chunksBeforeRouter.has(port), { timeout: 10_000 }).toBe(true);
    // The hello is hundreds of bytes; the router saw it in many pieces, not one.
    expect(chunksBeforeRouter.get(port)).toBeGreaterThan(20);
  });

  it("sends a hello without SNI to defaultCluster, and closes it where there is none", async () => {
    const fallbackBefore = record("fallback").connections;
    expect(await tlsHello(ports.sni, undefined)).toEqual({ greeting: "hello from fallback / ping", peerCn: "fallback" });
    expect(record("fallback").connections).toBe(fallbackBefore + 1);
    expect(await metric(/switchyard_sni_routed_total\{listener="sni",route="\(default\)"\} (\d+)/)).toBeGreaterThanOrEqual(1);

    const refusedBefore = await metric(/switchyard_tcp_connections_refused_total\{listener="strict",filter="sni"\} (\d+)/);
    await expect(tlsHello(ports.strict, undefined)).rejects.toThrow();
    // A name no route serves, without a default: closed too.
    await expect(tlsHello(ports.strict, "c.example.test")).rejects.toThrow();
    expect(await metric(/switchyard_tcp_connections_refused_total\{listener="strict",filter="sni"\} (\d+)/)).toBe(refusedBefore + 2);
    expect(await metric(/switchyard_sni_hello_total\{listener="strict",result="noSni"\} (\d+)/)).toBeGreaterThanOrEqual(1);
    // The same listener routes names it knows (the rbac filter before the router allows loopback).
    expect(await tlsHello(ports.strict, "a.example.test")).toEqual({ greeting: "hello from a / ping", peerCn: "a" });
  });

  it("closes at once when the first byte is not TLS, and never dials an upstream", async () => {
    const totals = JSON.stringify(Object.values(seen).map((s) => s.connections));
    const { closedAfterMs, received } = await rawConnection(ports.strict, Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    expect(received).toBe("");
    expect(closedAfterMs).toBeLessThan(600); // well before the 700 ms hello timeout
    expect(JSON.stringify(Object.values(seen).map((s) => s.connections))).toBe(totals);
    expect(await metric(/switchyard_sni_hello_total\{listener="strict",result="notTls"\} (\d+)/)).toBeGreaterThanOrEqual(1);
  });

  it("closes a client that never sends its hello after helloTimeoutMs", async () => {
    const before = await metric(/switchyard_sni_hello_total\{listener="strict",result="timeout"\} (\d+)/);
    const { closedAfterMs, received } = await rawConnection(ports.strict, null);
    expect(received).toBe("");
    expect(closedAfterMs).toBeGreaterThanOrEqual(650);
    expect(await metric(/switchyard_sni_hello_total\{listener="strict",result="timeout"\} (\d+)/)).toBe(before + 1);
  });
});

describe("network rbac and the filter API", () => {
  it("refuses on connect by source address: closed, counted, the upstream never dialled", async () => {
    const echoBefore = record("echo").connections;
    const { received } = await rawConnection(ports.deny, Buffer.from("hello"));
    expect(received).toBe("");
    expect(await metric(/switchyard_tcp_connections_refused_total\{listener="deny",filter="no-loopback"\} (\d+)/)).toBe(1);
    expect(record("echo").connections).toBe(echoBefore);
  });

  it("lets an allowed address through: its bytes are piped to the cluster unchanged", async () => {
    const sock = netConnect(ports.allow, "127.0.0.1");
    sock.setEncoding("utf8");
    let got = "";
    sock.on("data", (d: string) => (got += d));
    sock.write("as it is");
    await expect.poll(() => got, { timeout: 10_000 }).toBe("as it is");
    sock.destroy();
    expect(await metric(/switchyard_tcp_connections_refused_total\{listener="allow",filter="rbac"\} (\d+)/)).toBe(0);
  });

  it("rewrites bytes both ways, holds, closes from onData, and reports onClose", async () => {
    const sock = netConnect(ports.rewrite, "127.0.0.1");
    sock.setEncoding("utf8");
    let got = "";
    sock.on("data", (d: string) => (got += d));
    const closed = new Promise<void>((r) => sock.on("close", () => r()));
    const echoBytes = () => Buffer.concat(record("echo").bytes).toString();
    const echoBefore = echoBytes().length;
    sock.write("ping");
    await expect.poll(() => got, { timeout: 10_000 }).toBe("<PING>");
    sock.write("wait ");
    await new Promise((r) => setTimeout(r, 100));
    expect(echoBytes().slice(echoBefore)).toBe("PING"); // "wait " is held by the filter
    sock.write("go");
    await expect.poll(() => got, { timeout: 10_000 }).toBe("<PING><WAIT GO>");
    expect(echoBytes().slice(echoBefore)).toBe("PINGWAIT GO");
    sock.write("quit");
    await closed;
    expect(echoBytes().slice(echoBefore)).toBe("PINGWAIT GO");
    await expect.poll(() => closes.length, { timeout: 5_000 }).toBe(1);
    expect(closes[0]).toMatchObject({ flag: "QUIT", cluster: "echo", bytesFromClient: "pingwait goquit".length, bytesToClient: "<PING><WAIT GO>".length });
    expect(connects).toEqual(["127.0.0.1"]);
  });

  it("closes only the connection whose filter phase fails (FE), counted, and keeps serving", async () => {
    const before = await metric(/switchyard_filter_errors_total\{filter="rewriter"\} (\d+)/);
    const closesBefore = closes.length;
    const { received } = await rawConnection(ports.rewrite, Buffer.from("boom"));
    expect(received).toBe("");
    expect(await metric(/switchyard_filter_errors_total\{filter="rewriter"\} (\d+)/)).toBe(before + 1);
    await expect.poll(() => closes.slice(closesBefore).map((c) => c.flag), { timeout: 5_000 }).toEqual(["FE"]);
    const { received: next } = await new Promise<{ received: string }>((resolve) => {
      const sock = netConnect(ports.rewrite, "127.0.0.1", () => sock.write("again"));
      sock.setEncoding("utf8");
      sock.once("data", (d: string) => {
        sock.destroy();
        resolve({ received: d });
      });
    });
    expect(next).toBe("<AGAIN>");
  });
});
