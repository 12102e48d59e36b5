/**
 * Faults around a running proxy: upstreams that reset, hang, or answer garbage (each gets
 * one clean local reply, other routes are unaffected, the proxy stays up), and Redis going
 * away in the middle of global rate limiting (fail-open, counted, limiting resumes when
 * Redis is back). Redis cases are skipped with a message when 127.0.0.1:6379 is unreachable.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../apps/proxy/test/helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../../apps/proxy/test/helpers/start-proxy.ts";
import { metricValue } from "../../apps/proxy/test/helpers/traffic.ts";
import { startRecordingUpstream, type TRecordingUpstream } from "./helpers/raw.ts";

/** A raw TCP upstream whose every connection gets `onConnection`. */
async function rawUpstream(onConnection: (s: Socket) => void): Promise<{ port: number; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
    onConnection(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { port: (server.address() as { port: number }).port, server, sockets };
}

function closeRaw(u: { server: Server; sockets: Set<Socket> }): Promise<void> {
  for (const s of u.sockets) s.destroy();
  return new Promise((r) => u.server.close(() => r()));
}

const once = (s: Socket, f: () => void) => s.once("data", f);

describe("misbehaving upstreams", () => {
  let ok: TRecordingUpstream;
  const raws: { server: Server; sockets: Set<Socket> }[] = [];
  let proxy: TProxyProcess;
  let port: number;

  beforeAll(async () => {
    ok = await startRecordingUpstream();
    const reset = await rawUpstream((s) => once(s, () => s.resetAndDestroy()));
    const hang = await rawUpstream(() => undefined);
    const garbage = await rawUpstream((s) => once(s, () => s.end("HELLO THERE\r\n\r\n")));
    const dupCl = await rawUpstream((s) => once(s, () => s.end("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 50\r\n\r\nhello")));
    const truncated = await rawUpstream((s) => once(s, () => s.end("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly part")));
    const badChunk = await rawUpstream((s) => once(s, () => s.end("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nnope\r\n")));
    raws.push(reset, hang, garbage, dupCl, truncated, badChunk);
    port = await freePort();
    const cluster = (name: string, p: number) => ({ name, endpoints: [{ address: "127.0.0.1", port: p }], connectTimeoutMs: 1000 });
    const route = (name: string) => ({ name, match: { prefix: `/${name}` }, route: { cluster: name, timeoutMs: 800 } });
    proxy = await startProxy({
      config: {
        listeners: [{ name: "edge", address: "127.0.0.1", port, routeConfig: "main" }],
        routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: ["reset", "hang", "garbage", "dupcl", "truncated", "badchunk", "ok"].map(route) }] }],
        clusters: [
          cluster("ok", ok.port),
          cluster("reset", reset.port),
          cluster("hang", hang.port),
          cluster("garbage", garbage.port),
          cluster("dupcl", dupCl.port),
          cluster("truncated", truncated.port),
          cluster("badchunk", badChunk.port),
        ],
      },
    });
  });

  afterAll(async () => {
    await proxy?.stop();
    await ok?.close();
    await Promise.all(raws.map(closeRaw));
  });

  async function get(path: string): Promise<{ status: number; flags: string | null; body: string } | { error: string }> {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5_000) });
      return { status: res.status, flags: res.headers.get("x-switchyard-response-flags"), body: await res.text() };
    } catch (err) {
      return { error: String((err as Error).cause ?? err) };
    }
  }

  it("reset before the answer: 503 UC", async () => {
    expect(await get("/reset")).toMatchObject({ status: 503, flags: "UC" });
  });

  it("hangs: 504 UT after the route timeout", async () => {
    const t = Date.now();
    expect(await get("/hang")).toMatchObject({ status: 504, flags: "UT" });
    expect(Date.now() - t).toBeLessThan(3_000);
  });

  it("garbage instead of HTTP: a 5xx local reply, the garbage never reaches the client", async () => {
    const r = await get("/garbage");
    expect(r).toMatchObject({ status: expect.any(Number) });
    expect([502, 503]).toContain("status" in r ? r.status : 0);
    expect("body" in r ? r.body : "").not.toContain("HELLO");
  });

  it("an ambiguous answer (two Content-Lengths) is refused, not forwarded", async () => {
    const r = await get("/dupcl");
    expect([502, 503]).toContain("status" in r ? r.status : 0);
    expect("body" in r ? r.body : "").not.toContain("hello");
  });

  it("a body cut short after a 200 reaches the client as a failure, never as a complete short body", async () => {
    const r = await get("/truncated");
    // The status line was already sent: the only honest signal is a reset.
    expect("error" in r).toBe(true);
  });

  it("a broken chunked body: 5xx or a reset, never a clean short answer", async () => {
    const r = await get("/badchunk");
    if ("status" in r) expect(r.status).toBeGreaterThanOrEqual(500);
  });

  it("other routes were served throughout and the proxy is up", async () => {
    const results = await Promise.all([get("/ok/a"), get("/reset"), get("/ok/b"), get("/garbage"), get("/ok/c")]);
    expect([results[0], results[2], results[4]].map((r) => ("status" in r ? r.status : r.error))).toEqual([200, 200, 200]);
    expect((await proxy.admin("/ready")).status).toBe(200);
    expect(proxy.child.exitCode).toBeNull();
  });
});

describe("Redis going away during global rate limiting", () => {
  const REDIS = { host: "127.0.0.1", port: 6379 };
  let reachable = false;

  beforeAll(async () => {
    reachable = await new Promise<boolean>((resolve) => {
      const s = connect(REDIS);
      const t = setTimeout(() => (s.destroy(), resolve(false)), 1_000);
      s.once("connect", () => (clearTimeout(t), s.end(), resolve(true)));
      s.once("error", () => (clearTimeout(t), resolve(false)));
    });
    if (!reachable) console.log("SKIPPED: Redis at 127.0.0.1:6379 is unreachable; the Redis fault case does not run");
  });

  it("fails open while Redis is cut off (counted), and limits again once it is back", async (ctx) => {
    if (!reachable) return ctx.skip();
    // A TCP relay in front of the real Redis that the test can cut and restore.
    const relayed = new Set<Socket>();
    let cut = false;
    const relay = createServer((client) => {
      if (cut) return client.destroy();
      const upstream = connect(REDIS);
      relayed.add(client).add(upstream);
      const drop = () => (client.destroy(), upstream.destroy());
      client.on("error", drop).on("close", drop);
      upstream.on("error", drop).on("close", drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => relay.listen(0, "127.0.0.1", () => r()));
    const relayPort = (relay.address() as { port: number }).port;
    const up = await startRecordingUpstream();
    const port = await freePort();
    const policy = `h${Date.now().toString(36)}`;
    const proxy = await startProxy({
      config: {
        listeners: [{ name: "edge", address: "127.0.0.1", port, routeConfig: "main" }],
        routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "g", match: { prefix: "/" }, route: { cluster: "up", rateLimit: policy } }] }] }],
        clusters: [{ name: "up", endpoints: [{ address: "127.0.0.1", port: up.port }] }],
        rateLimitPolicies: [{ name: policy, scope: "global", requests: 3, per: "hour", key: "none" }],
      },
      args: ["--redis", `redis://127.0.0.1:${relayPort}`],
    });
    const status = async () => (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(3_000) })).status;
    const errors = async () => metricValue(await (await proxy.admin("/stats/prometheus")).text(), "switchyard_ratelimit_redis_errors_total", `policy="${policy}"`) || 0;
    try {
      // Limited through Redis. A request that fails open (Redis not connected yet, or
      // slower than the proxy's 100 ms command timeout on a loaded machine) is a 200 that
      // also counts a Redis error: only the others were granted by the bucket, and those
      // are never more than its 3 tokens.
      let granted = 0;
      let failedOpen = 0;
      let last = 0;
      for (let i = 0; i < 30 && last !== 429; i++) {
        const before = await errors();
        last = await status();
        if (last === 200 && (await errors()) > before) failedOpen++;
        else if (last === 200) granted++;
      }
      expect(last).toBe(429);
      expect(granted).toBeLessThanOrEqual(3);
      expect(granted + failedOpen).toBeGreaterThanOrEqual(3);
      const errorsBefore = await errors();
      // Cut Redis off.
      cut = true;
      for (const s of relayed) s.destroy();
      const during: number[] = [];
      for (let i = 0; i < 5; i++) during.push(await status());
      expect(during).toEqual([200, 200, 200, 200, 200]);
      expect((await errors()) - errorsBefore).toBe(5);
      // Redis back: the bucket (kept in Redis) still holds no tokens, so limiting resumes.
      cut = false;
      const deadline = Date.now() + 10_000;
      let s = 200;
      while (Date.now() < deadline && s !== 429) {
        s = await status();
        if (s !== 429) await new Promise((r) => setTimeout(r, 200));
      }
      expect(s).toBe(429);
      expect(proxy.child.exitCode).toBeNull();
    } finally {
      await proxy.stop();
      await up.close();
      for (const x of relayed) x.destroy();
      await new Promise((r) => relay.close(r));
    }
  }, 40_000);
});
