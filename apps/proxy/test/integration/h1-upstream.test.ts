import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createSecureServer } from "node:http2";
import { createServer as createHttpsServer } from "node:https";
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { AlpnPool } from "../../src/upstream/alpn-pool.ts";
import type { TDispatchOptions, TUpstreamHandler } from "../../src/upstream/dispatch.ts";
import { mapUpstreamError } from "../../src/upstream/errors.ts";
import { H1Pool, type TH1PoolOptions } from "../../src/upstream/h1-pool.ts";
import { createPki, type TLeaf, type TPki } from "../helpers/certs.ts";
import { freePort } from "../helpers/free-port.ts";
import { startInProcessProxy } from "../helpers/in-process-proxy.ts";

/**
 * The HTTP/1.1 upstream client (upstream/h1-pool.ts, h1-connection.ts) against real
 * servers on 127.0.0.1: node:http where the wire does not matter, raw `net` servers where
 * the test needs exact bytes (one write, stale sockets, trailers, close-delimited bodies).
 */

type TResult = { status: number; headers: string[]; body: Buffer; trailers: string[] | null };

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function poolFor(port: number, extra: Partial<TH1PoolOptions> = {}): H1Pool {
  const pool = new H1Pool({
    address: "127.0.0.1",
    port,
    hostPort: `127.0.0.1:${port}`,
    tls: null,
    connections: 10,
    connectTimeoutMs: 1000,
    idleTimeoutMs: 60_000,
    ...extra,
  });
  cleanups.push(() => pool.destroy());
  return pool;
}

function listen<T extends Server | HttpServer>(server: T): Promise<number> {
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        (server as Server).close(() => r());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  );
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

/** A raw server that keeps its sockets (destroyed on cleanup) and hands each to `onSocket`. */
async function rawServer(onSocket: (s: Socket) => void): Promise<{ port: number; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((s) => {
    sockets.push(s);
    s.on("error", () => undefined);
    onSocket(s);
  });
  const port = await listen(server);
  cleanups.push(() => sockets.forEach((s) => s.destroy()));
  return { port, sockets };
}

/** Calls `onRequest` once per complete request head seen on a raw socket (GET-style, no bodies). */
function onHeads(s: Socket, onRequest: (head: string, index: number) => void): void {
  let buf = "";
  let n = 0;
  s.on("data", (c: Buffer) => {
    buf += c.toString("latin1");
    for (let end = buf.indexOf("\r\n\r\n"); end !== -1; end = buf.indexOf("\r\n\r\n")) {
      const head = buf.slice(0, end + 4);
      buf = buf.slice(end + 4);
      onRequest(head, n++);
    }
  });
}

function request(pool: H1Pool | AlpnPool, opts: Partial<TDispatchOptions> = {}, hooks: Partial<TUpstreamHandler> = {}): Promise<TResult> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let status = 0;
    let headers: string[] = [];
    pool.dispatch(
      { method: "GET", path: "/", headers: ["host", "upstream.test"], body: null, ...opts },
      {
        onConnect: (abort) => hooks.onConnect?.(abort),
        onHeaders: (s, raw, resume) => {
          status = s;
          headers = raw.map(String);
          return hooks.onHeaders?.(s, raw, resume) ?? true;
        },
        onData: (c) => {
          chunks.push(c);
          return hooks.onData?.(c) ?? true;
        },
        onComplete: (t) => resolve({ status, headers, body: Buffer.concat(chunks), trailers: t === null ? null : t.map(String) }),
        onError: reject,
      },
    );
  });
}

const until = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("H1Pool", () => {
  it("reuses one keep-alive connection for sequential requests", async () => {
    let connections = 0;
    const server = createHttpServer((req, res) => res.end(`hello ${req.url}`));
    server.on("connection", () => connections++);
    const pool = poolFor(await listen(server));
    for (let i = 0; i < 5; i++) {
      const r = await request(pool, { path: `/${i}` });
      expect(r.status).toBe(200);
      expect(r.body.toString()).toBe(`hello /${i}`);
    }
    expect(connections).toBe(1);
    expect(pool.stats.connected).toBe(1);
    expect(pool.stats.free).toBe(1);
  });

  it("opens a new connection after Connection: close and closes the old one", async () => {
    const { port, sockets } = await rawServer((s) => onHeads(s, () => s.write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")));
    const pool = poolFor(port);
    for (let i = 0; i < 3; i++) expect((await request(pool)).body.toString()).toBe("ok");
    expect(sockets.length).toBe(3);
    // We close each one ourselves once its answer is read (the server never did).
    await until(() => sockets.every((s) => s.readableEnded || s.destroyed));
    await until(() => pool.stats.connected === 0);
  });

  it("does not reuse an HTTP/1.0 answer without keep-alive", async () => {
    const { port, sockets } = await rawServer((s) => onHeads(s, () => s.write("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok")));
    const pool = poolFor(port);
    await request(pool);
    await request(pool);
    expect(sockets.length).toBe(2);
  });

  it("retries a GET once on a fresh connection when a reused one dies before any response byte", async () => {
    let requests = 0;
    const { port, sockets } = await rawServer((s) =>
      onHeads(s, (_head, index) => {
        requests++;
        // The first connection answers once, then dies on its second request (a stale keep-alive socket).
        if (sockets.indexOf(s) === 0 && index === 1) return s.resetAndDestroy();
        s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      }),
    );
    const pool = poolFor(port);
    expect((await request(pool)).status).toBe(200);
    const r = await request(pool);
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe("ok");
    expect(sockets.length).toBe(2);
    expect(requests).toBe(3);
  });

  it("retries only once: a second stale failure reaches the handler", async () => {
    const { port, sockets } = await rawServer((s) =>
      onHeads(s, (_head, index) => {
        if (sockets.indexOf(s) === 0 && index === 0) return s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        s.resetAndDestroy();
      }),
    );
    const pool = poolFor(port);
    await request(pool);
    await expect(request(pool)).rejects.toThrow();
    // The retry used a fresh connection (the second), which is not reused, so it is not retried again.
    expect(sockets.length).toBe(2);
  });

  it("does not retry a streamed POST on a stale connection", async () => {
    const { port, sockets } = await rawServer((s) =>
      onHeads(s, (_head, index) => {
        if (index === 1) return s.resetAndDestroy();
        if (index === 0) s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      }),
    );
    const pool = poolFor(port);
    await request(pool);
    async function* body(): AsyncGenerator<Buffer> {
      yield Buffer.from("abc");
    }
    const err = await request(pool, { method: "POST", body: body() }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).not.toBeNull();
    expect(mapUpstreamError(err).flag).toBe("UC");
    expect(sockets.length).toBe(1);
  });

  it("delivers a chunked response's body and trailers", async () => {
    const { port } = await rawServer((s) =>
      onHeads(s, () => {
        s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-checksum\r\n\r\n5\r\nhello\r\n");
        setTimeout(() => s.write("6\r\n world\r\n0\r\nx-checksum: abc123\r\ngrpc-status: 0\r\n\r\n"), 20);
      }),
    );
    const pool = poolFor(port);
    const r = await request(pool);
    expect(r.body.toString()).toBe("hello world");
    expect(r.trailers).toEqual(["x-checksum", "abc123", "grpc-status", "0"]);
    expect(pool.stats.connected).toBe(1); // chunked + keep-alive: reusable
  });

  it("reads a close-delimited body to the upstream's close and does not reuse the connection", async () => {
    const { port } = await rawServer((s) =>
      onHeads(s, () => {
        s.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ");
        setTimeout(() => s.end("close"), 20);
      }),
    );
    const pool = poolFor(port);
    const r = await request(pool);
    expect(r.body.toString()).toBe("until close");
    await until(() => pool.stats.connected === 0);
  });

  it("skips 100 Continue and other 1xx answers", async () => {
    const { port } = await rawServer((s) =>
      onHeads(s, () => s.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")),
    );
    const r = await request(poolFor(port));
    expect(r.status).toBe(201);
    expect(r.body.toString()).toBe("ok");
  });

  it("fails a response cut short mid-body", async () => {
    const { port } = await rawServer((s) => onHeads(s, () => s.end("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort")));
    const err = await request(poolFor(port)).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.code).toBe("UND_ERR_SOCKET");
  });

  it("stops reading the socket while the consumer applies back pressure", async () => {
    const total = 16 * 1024 * 1024;
    let serverBlocked = false;
    const { port } = await rawServer((s) =>
      onHeads(s, () => {
        s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
        const piece = Buffer.alloc(64 * 1024, 97);
        let sent = 0;
        const pump = (): void => {
          while (sent < total) {
            sent += piece.length;
            if (!s.write(piece)) {
              serverBlocked = true;
              s.once("drain", pump);
              return;
            }
          }
        };
        pump();
      }),
    );
    const pool = poolFor(port);
    let received = 0;
    let resumeFn: (() => void) | null = null;
    let paused = true;
    const done = request(
      pool,
      {},
      {
        onHeaders: (_s, _r, resume) => {
          resumeFn = resume;
          return true;
        },
        onData: (c) => {
          received += c.length;
          return !paused;
        },
      },
    );
    await until(() => serverBlocked && received > 0);
    await new Promise((r) => setTimeout(r, 300));
    const whilePaused = received;
    await new Promise((r) => setTimeout(r, 300));
    // Nothing more was handed on while paused (the first chunk only), and the upstream is held back.
    expect(received).toBe(whilePaused);
    expect(received).toBeLessThan(1024 * 1024);
    paused = false;
    (resumeFn as unknown as () => void)();
    const r = await done;
    expect(r.body.length).toBe(total);
  });

  it("holds the body and the completion while the head's handler paused", async () => {
    const { port } = await rawServer((s) => onHeads(s, () => s.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody")));
    const pool = poolFor(port);
    let dataBeforeResume = 0;
    let resumed = false;
    const done = request(
      pool,
      {},
      {
        onHeaders: (_s, _r, resume) => {
          setTimeout(() => {
            resumed = true;
            resume();
          }, 100);
          return false;
        },
        onData: () => {
          if (!resumed) dataBeforeResume++;
          return true;
        },
      },
    );
    const r = await done;
    expect(dataBeforeResume).toBe(0);
    expect(r.body.toString()).toBe("body");
  });

  it("a response completed while the consumer held it back leaves the connection reading for the next", async () => {
    let connections = 0;
    const server = createHttpServer((_req, res) => res.end("x".repeat(1000)));
    server.on("connection", () => connections++);
    const pool = poolFor(await listen(server));
    for (let i = 0; i < 3; i++) {
      let resume: (() => void) | null = null;
      const r = await request(
        pool,
        {},
        {
          onHeaders: (_s, _r, res) => ((resume = res), true),
          // Back pressure on the last (only) chunk: the completion waits for resume.
          onData: () => (setTimeout(() => (resume as unknown as () => void)(), 20), false),
        },
      );
      expect(r.body.length).toBe(1000);
    }
    expect(connections).toBe(1);
  });

  it("fails with the connect-timeout error (503 UF) when connecting takes too long", async () => {
    // A TLS pool against a server that accepts TCP and never answers the handshake.
    const { port } = await rawServer(() => undefined);
    const pool = poolFor(port, { tls: { rejectUnauthorized: true, servername: "" }, connectTimeoutMs: 200 });
    const started = Date.now();
    const err = await request(pool).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.code).toBe("UND_ERR_CONNECT_TIMEOUT");
    expect(mapUpstreamError(err).flag).toBe("UF");
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("fails queued requests with ECONNREFUSED when nothing listens", async () => {
    const server = createServer();
    const port = await listen(server);
    await new Promise<void>((r) => server.close(() => r()));
    const pool = poolFor(port, { connections: 1 });
    const results = await Promise.allSettled([request(pool), request(pool), request(pool)]);
    for (const r of results) expect(r.status === "rejected" && (r.reason as { code?: string }).code).toBe("ECONNREFUSED");
  });

  it("opens at most `connections` sockets and queues the rest", async () => {
    const held: Socket[] = [];
    const { port, sockets } = await rawServer((s) => onHeads(s, () => held.push(s)));
    const pool = poolFor(port, { connections: 2 });
    const all = Array.from({ length: 5 }, (_, i) => request(pool, { path: `/${i}` }));
    await until(() => held.length === 2);
    await new Promise((r) => setTimeout(r, 50));
    expect(sockets.length).toBe(2);
    expect(pool.stats.pending).toBe(3);
    expect(pool.stats.running).toBe(2);
    // Answer whatever waits, as it arrives, until all five are done.
    const answer = setInterval(() => {
      for (const s of held.splice(0)) s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    }, 10);
    cleanups.push(() => clearInterval(answer));
    const results = await Promise.all(all);
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(sockets.length).toBe(2);
  });

  it("writes the head and a Buffer body in one write", async () => {
    const events: string[] = [];
    const { port } = await rawServer((s) =>
      s.on("data", (c: Buffer) => {
        events.push(c.toString("latin1"));
        if (c.includes("payload")) s.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
      }),
    );
    await request(poolFor(port), { method: "POST", headers: ["host", "u", "content-type", "text/plain"], body: Buffer.from("payload") });
    expect(events.length).toBe(1);
    expect(events[0]).toMatch(/^POST \/ HTTP\/1\.1\r\nhost: u\r\ncontent-type: text\/plain\r\ncontent-length: 7\r\n\r\npayload$/);
  });

  it("writes the head with the first chunk of a streamed body, chunked when no length is known", async () => {
    const events: string[] = [];
    const { port } = await rawServer((s) =>
      s.on("data", (c: Buffer) => {
        events.push(c.toString("latin1"));
        if (c.includes("0\r\n\r\n")) s.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
      }),
    );
    async function* body(): AsyncGenerator<Buffer> {
      yield Buffer.from("first");
      await new Promise((r) => setTimeout(r, 50));
      yield Buffer.from("second");
    }
    await request(poolFor(port), { method: "POST", body: body() });
    expect(events[0]).toMatch(/^POST \/ HTTP\/1\.1\r\nhost: upstream\.test\r\ntransfer-encoding: chunked\r\n\r\n5\r\nfirst\r\n$/);
    expect(events.slice(1).join("")).toBe("6\r\nsecond\r\n0\r\n\r\n");
  });

  it("sends a streamed body with a Content-Length as is, and fails one that falls short", async () => {
    let got = "";
    const { port } = await rawServer((s) =>
      s.on("data", (c: Buffer) => {
        got += c.toString("latin1");
        if (got.endsWith("abcdef")) s.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
      }),
    );
    const pool = poolFor(port);
    async function* body(parts: string[]): AsyncGenerator<Buffer> {
      for (const p of parts) yield Buffer.from(p);
    }
    await request(pool, { method: "PUT", headers: ["host", "u", "content-length", "6"], body: body(["abc", "def"]) });
    expect(got).toBe("PUT / HTTP/1.1\r\nhost: u\r\ncontent-length: 6\r\n\r\nabcdef");
    const err = await request(pool, { method: "PUT", headers: ["host", "u", "content-length", "6"], body: body(["abc"]) }).then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.code).toBe("UND_ERR_REQ_CONTENT_LENGTH_MISMATCH");
  });

  it("sends nothing upstream for a streamed body that fails before its first byte", async () => {
    let bytes = 0;
    const { port, sockets } = await rawServer((s) => s.on("data", (c: Buffer) => (bytes += c.length)));
    const body: AsyncIterable<Buffer> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          await new Promise((r) => setTimeout(r, 50));
          throw Object.assign(new Error("bad chunk size"), { code: "HPE_INVALID_CHUNK_SIZE" });
        },
      }),
    };
    const err = await request(poolFor(port), { method: "POST", body }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toBe("bad chunk size");
    await until(() => sockets.length === 1 && (sockets[0]?.readableEnded === true || sockets[0]?.destroyed === true));
    expect(bytes).toBe(0);
  });

  it("abort destroys the connection", async () => {
    const { port, sockets } = await rawServer((s) => onHeads(s, () => s.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")));
    const pool = poolFor(port);
    let abort: ((e?: Error) => void) | null = null;
    const err = await request(pool, {}, { onConnect: (a) => (abort = a), onData: () => ((abort as unknown as (e: Error) => void)(new Error("gone")), true) }).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).toBe("gone");
    await until(() => sockets[0]?.readableEnded === true || sockets[0]?.destroyed === true);
    await until(() => pool.stats.connected === 0);
  });

  it("honours a Keep-Alive timeout hint (less a margin) and closes idle connections after it", async () => {
    const { port, sockets } = await rawServer((s) => onHeads(s, () => s.write("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=2\r\nContent-Length: 2\r\n\r\nok")));
    const pool = poolFor(port, { idleTimeoutMs: 60_000 });
    await request(pool);
    expect(pool.stats.connected).toBe(1);
    // timeout=2 s less the 2 s margin: not kept at all.
    await until(() => pool.stats.connected === 0, 500);
    expect(sockets.length).toBe(1);
  });

  it("closes an idle connection after the default keep-alive (capped by idleTimeoutMs)", async () => {
    const server = createHttpServer((_req, res) => res.end("x"));
    const pool = poolFor(await listen(server), { idleTimeoutMs: 150 });
    await request(pool);
    expect(pool.stats.connected).toBe(1);
    await until(() => pool.stats.connected === 0, 1000);
  });

  it("close() lets in-flight requests finish, then refuses new ones", async () => {
    const { port } = await rawServer((s) => onHeads(s, () => setTimeout(() => s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), 50)));
    const pool = poolFor(port);
    const inflight = request(pool);
    await new Promise((r) => setTimeout(r, 10));
    const closed = pool.close();
    await expect(request(pool)).rejects.toThrow("pool closed");
    expect((await inflight).body.toString()).toBe("ok");
    await closed;
    await until(() => pool.stats.connected === 0);
  });

  it("allocates no socket or timer before the first dispatch", () => {
    const before = process.getActiveResourcesInfo().length;
    const pools = Array.from({ length: 1000 }, (_, i) => poolFor(1 + i));
    expect(process.getActiveResourcesInfo().length).toBe(before);
    expect(pools[0]?.stats.connected).toBe(0);
  });
});

describe("AlpnPool (protocol auto over TLS)", () => {
  let pki: TPki;
  let leaf: TLeaf;
  beforeAll(async () => {
    pki = await createPki();
    leaf = await pki.issue("localhost", ["DNS:localhost"]);
  });
  afterAll(() => pki?.cleanup());

  function alpnPool(port: number): AlpnPool {
    const tls = { ca: pki.ca.cert, servername: "localhost", rejectUnauthorized: true };
    const pool = new AlpnPool({ address: "127.0.0.1", port, hostPort: `localhost:${port}`, tls, connections: 4, connectTimeoutMs: 2000, idleTimeoutMs: 60_000 });
    cleanups.push(() => pool.destroy());
    return pool;
  }

  it("an upstream that picks http/1.1 gets the H1Pool, on the probe's connection", async () => {
    let connections = 0;
    const server = createHttpsServer({ cert: leaf.cert, key: leaf.key }, (req, res) => res.end(`h1 ${req.httpVersion}`));
    server.on("secureConnection", () => connections++);
    const pool = alpnPool(await listen(server));
    const [a, b] = await Promise.all([request(pool), request(pool)]);
    expect(a.body.toString()).toBe("h1 1.1");
    expect(b.body.toString()).toBe("h1 1.1");
    expect((await request(pool)).status).toBe(200);
    expect(pool.protocol).toBe("http/1.1");
    expect(connections).toBe(2);
  });

  it("an upstream that picks h2 gets the H2Pool, one session, with trailers", async () => {
    let connections = 0;
    const server = createSecureServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
      res.addTrailers({ "grpc-status": "0" });
      res.end(`h2 ${req.httpVersion}`);
    });
    server.on("secureConnection", () => connections++);
    const pool = alpnPool(await listen(server));
    const [a, b] = await Promise.all([request(pool), request(pool)]);
    expect(a.body.toString()).toBe("h2 2.0");
    expect(b.trailers).toEqual(["grpc-status", "0"]);
    expect(pool.protocol).toBe("h2");
    expect(connections).toBe(1);
    expect(pool.stats.connected).toBe(1);
  });

  it("fails the waiting requests with the probe's error", async () => {
    const { port } = await rawServer((s) => s.destroy());
    const err = await request(alpnPool(port)).then(
      () => null,
      (e: Error) => e,
    );
    expect(err).not.toBeNull();
  });
});

describe("through the proxy", () => {
  let pki: TPki;
  let leaf: TLeaf;
  beforeAll(async () => {
    pki = await createPki();
    leaf = await pki.issue("backend.test", ["DNS:backend.test"]);
  });
  afterAll(() => pki?.cleanup());

  async function proxyTo(cluster: Record<string, unknown>, secrets: unknown[] = []): Promise<{ base: string; accessLog: { attempts: number; status: number }[] }> {
    const port = await freePort();
    const proxy = await startInProcessProxy({
      listeners: [{ name: "web", address: "127.0.0.1", port, routeConfig: "main" }],
      routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "all", match: { prefix: "/" }, route: { cluster: "up" } }] }] }],
      clusters: [{ name: "up", ...cluster }],
      secrets,
    });
    cleanups.push(() => proxy.stop());
    return { base: `http://127.0.0.1:${port}`, accessLog: proxy.accessLog as unknown as { attempts: number; status: number }[] };
  }

  it("a stale keep-alive connection is retried on a fresh one without counting as a router retry", async () => {
    const attempts: string[] = [];
    const { port, sockets } = await rawServer((s) =>
      onHeads(s, (head, index) => {
        attempts.push(/x-switchyard-attempt-count: (\d+)/.exec(head)?.[1] ?? "?");
        if (sockets.indexOf(s) === 0 && index === 1) return s.resetAndDestroy();
        s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      }),
    );
    const { base, accessLog } = await proxyTo({ endpoints: [{ address: "127.0.0.1", port }] });
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${base}/x`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe("ok");
    }
    expect(sockets.length).toBe(2);
    // The resend carries the same attempt number: the router saw one try.
    expect(attempts).toEqual(["1", "1", "1"]);
    await until(() => accessLog.length === 2);
    expect(accessLog.map((e) => e.attempts)).toEqual([1, 1]);
  });

  it("protocol auto over TLS follows the upstream's ALPN choice: h2 and http/1.1", async () => {
    const secrets = [{ name: "ca", type: "caBundle", certificate: pki.ca.cert }];
    const tls = { sni: "backend.test", caSecret: "ca" };
    const h2 = createSecureServer({ cert: leaf.cert, key: leaf.key }, (req, res) => res.end(`h2 ${req.httpVersion}`));
    const h1 = createHttpsServer({ cert: leaf.cert, key: leaf.key }, (req, res) => res.end(`h1 ${req.httpVersion}`));
    const viaH2 = await proxyTo({ protocol: "auto", tls, endpoints: [{ address: "127.0.0.1", port: await listen(h2) }] }, secrets);
    const viaH1 = await proxyTo({ protocol: "auto", tls, endpoints: [{ address: "127.0.0.1", port: await listen(h1) }] }, secrets);
    for (let i = 0; i < 2; i++) {
      expect(await (await fetch(`${viaH2.base}/`)).text()).toBe("h2 2.0");
      expect(await (await fetch(`${viaH1.base}/`)).text()).toBe("h1 1.1");
    }
  });
});
