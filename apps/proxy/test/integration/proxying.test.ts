import { createHash, randomBytes } from "node:crypto";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "undici";
import { freePort } from "../helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../helpers/start-proxy.ts";
import { startUpstream, type TEcho, type TUpstream } from "../helpers/start-upstream.ts";

/**
 * One real proxy process in front of real upstreams, driven by real HTTP clients.
 * Routes are chosen by path prefix; each test owns its prefix.
 */
let a: TUpstream;
let b: TUpstream;
let proxy: TProxyProcess;
let base: string;
let closedPort: number;

beforeAll(async () => {
  [a, b] = await Promise.all([startUpstream("a"), startUpstream("b")]);
  const port = await freePort();
  closedPort = await freePort();
  base = `http://127.0.0.1:${port}`;
  proxy = await startProxy({
    config: {
      listeners: [{ name: "public", address: "127.0.0.1", port, routeConfig: "main", limits: { maxHeaderBytes: 4096 } }],
      routeConfigs: [
        {
          name: "main",
          virtualHosts: [
            {
              name: "rewritten",
              domains: ["rewrite.test"],
              routes: [{ name: "host-rw", match: { prefix: "/" }, route: { cluster: "a", hostRewrite: "internal.a" } }],
            },
            {
              name: "narrow",
              domains: ["nr.test"],
              routes: [{ name: "only", match: { path: "/only" }, route: { cluster: "a" } }],
            },
            {
              name: "all",
              domains: ["*"],
              responseHeaders: { add: [{ name: "x-vhost", value: "all" }], remove: [] },
              routes: [
                { name: "ping", match: { path: "/healthz" }, directResponse: { status: 200, body: "ok" }, responseHeaders: { add: [{ name: "x-direct", value: "1" }], remove: [] } },
                { name: "legacy", match: { prefix: "/old" }, redirect: { prefixRewrite: "/new", responseCode: 308 } },
                { name: "rewrite", match: { prefix: "/api/" }, route: { cluster: "a", prefixRewrite: "/v2/" } },
                { name: "split", match: { prefix: "/split" }, route: { weightedClusters: [{ cluster: "a", weight: 1 }, { cluster: "b", weight: 3 }] } },
                { name: "rr", match: { prefix: "/rr" }, route: { cluster: "both" } },
                { name: "empty", match: { prefix: "/empty" }, route: { cluster: "empty" } },
                { name: "closed", match: { prefix: "/closed" }, route: { cluster: "closed" } },
                { name: "slow", match: { prefix: "/slow" }, route: { cluster: "a", timeoutMs: 300 } },
                {
                  name: "mutate",
                  match: { prefix: "/mutate" },
                  route: { cluster: "a" },
                  requestHeaders: { add: [{ name: "x-added", value: "yes" }, { name: "x-env", value: "prod", append: false }], remove: ["x-secret"] },
                  responseHeaders: { add: [], remove: ["x-upstream"] },
                },
                { name: "default", match: { prefix: "/" }, route: { cluster: "a" } },
              ],
            },
          ],
        },
      ],
      clusters: [
        { name: "a", endpoints: [{ address: "127.0.0.1", port: a.port }] },
        { name: "b", endpoints: [{ address: "127.0.0.1", port: b.port }] },
        { name: "both", lbPolicy: "roundRobin", endpoints: [{ address: "127.0.0.1", port: a.port }, { address: "127.0.0.1", port: b.port }] },
        { name: "empty", endpoints: [] },
        { name: "closed", connectTimeoutMs: 1000, endpoints: [{ address: "127.0.0.1", port: closedPort }] },
      ],
    },
  });
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([a?.close(), b?.close()]);
});

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await request(`${base}${path}`, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

function rawGet(path: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { headers, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on("error", reject);
    req.end();
  });
}

function waitForLog(requestId: string): Promise<Record<string, unknown>> {
  return proxy.waitForAccessLog((e) => e.requestId === requestId, 5_000);
}

describe("proxying", () => {
  it("forwards a GET with x-forwarded-*, a generated x-request-id, and strips hop-by-hop headers", async () => {
    // node:http sends the Connection header as given (undici's client normalises it away).
    const r = await rawGet("/hello?x=1", { connection: "keep-alive, x-drop", "x-drop": "1", "x-keep": "2" });
    expect(r.status).toBe(200);
    const echo = JSON.parse(r.text) as TEcho;
    expect(echo.url).toBe("/hello?x=1");
    expect(echo.headers["x-keep"]).toBe("2");
    expect(echo.headers["x-drop"]).toBeUndefined();
    expect(echo.headers["x-forwarded-for"]).toBe("127.0.0.1");
    expect(echo.headers["x-forwarded-proto"]).toBe("http");
    expect(echo.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.headers["x-request-id"]).toBe(echo.headers["x-request-id"]);
    // The upstream's Connection-listed x-hop header must not come back.
    expect(r.headers["x-hop"]).toBeUndefined();
    expect(r.headers["x-vhost"]).toBe("all");
    const line = await waitForLog(echo.headers["x-request-id"] as string);
    expect(line).toMatchObject({ method: "GET", path: "/hello?x=1", status: 200, responseFlags: "-", listener: "public", route: "default", cluster: "a", upstreamHost: `127.0.0.1:${a.port}` });
    expect(line.bytesOut).toBe(Buffer.byteLength(r.text));
  });

  it("preserves an incoming x-request-id and extracts the trace id", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    const r = await get("/id", { "x-request-id": "my-id-1", traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    expect((JSON.parse(r.text) as TEcho).headers["x-request-id"]).toBe("my-id-1");
    expect(r.headers["x-request-id"]).toBe("my-id-1");
    expect(await waitForLog("my-id-1")).toMatchObject({ traceId });
  });

  it("streams a large POST body up and a large body back (sha256 intact)", async () => {
    const size = 8 * 1024 * 1024 + 13;
    const payload = randomBytes(size);
    const expected = createHash("sha256").update(payload).digest("hex");
    // Chunked upload (no content-length), echoed back chunk by chunk.
    const res = await request(`${base}/upload`, {
      method: "POST",
      body: Readable.from((function* () { for (let i = 0; i < size; i += 65_536) yield payload.subarray(i, i + 65_536); })()),
      headers: { "x-upstream-echo-body": "1", "x-request-id": "upload-1" },
    });
    const hash = createHash("sha256");
    let received = 0;
    for await (const chunk of res.body) {
      hash.update(chunk as Buffer);
      received += (chunk as Buffer).length;
    }
    expect(res.statusCode).toBe(200);
    expect(received).toBe(size);
    expect(hash.digest("hex")).toBe(expected);
    const line = await waitForLog("upload-1");
    expect(line).toMatchObject({ bytesIn: size, bytesOut: size });

    // With content-length, hashed by the upstream.
    const r2 = await request(`${base}/upload2`, { method: "POST", body: payload, headers: { "x-request-id": "upload-2" } });
    const echo = (await r2.body.json()) as TEcho;
    expect(echo.bodyBytes).toBe(size);
    expect(echo.bodySha256).toBe(expected);
  });

  it("streams a 32 MiB download to a slow reader without buffering it all", async () => {
    const size = 32 * 1024 * 1024;
    const res = await request(`${base}/download`, { headers: { "x-upstream-body-bytes": String(size) } });
    let received = 0;
    for await (const chunk of res.body) {
      received += (chunk as Buffer).length;
      if (received < 1024 * 1024) await new Promise((r) => setTimeout(r, 1));
    }
    expect(received).toBe(size);
  });

  it("rewrites the matched prefix", async () => {
    const echo = JSON.parse((await get("/api/users/1?q=2")).text) as TEcho;
    expect(echo.url).toBe("/v2/users/1?q=2");
  });

  it("rewrites the host", async () => {
    const echo = JSON.parse((await get("/x", { host: "rewrite.test" })).text) as TEcho;
    expect(echo.headers.host).toBe("internal.a");
  });

  it("redirects", async () => {
    const r = await get("/old/page?x=1", { host: "example.test:8080" });
    expect(r.status).toBe(308);
    expect(r.headers.location).toBe("http://example.test:8080/new/page?x=1");
  });

  it("answers a direct response with route and vhost response headers", async () => {
    const r = await get("/healthz");
    expect(r.status).toBe(200);
    expect(r.text).toBe("ok");
    expect(r.headers["content-type"]).toBe("text/plain");
    expect(r.headers["x-direct"]).toBe("1");
    expect(r.headers["x-vhost"]).toBe("all");
  });

  it("applies request and response header mutations", async () => {
    const r = await get("/mutate", { "x-secret": "s", "x-env": "dev" });
    const echo = JSON.parse(r.text) as TEcho;
    expect(echo.headers["x-secret"]).toBeUndefined();
    expect(echo.headers["x-added"]).toBe("yes");
    expect(echo.headers["x-env"]).toBe("prod");
    expect(r.headers["x-upstream"]).toBeUndefined();
  });

  it("splits weighted clusters 1:3", async () => {
    const counts: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 400; i++) counts[(await get("/split")).headers["x-upstream"] as string]!++;
    expect(counts.b! / 400).toBeGreaterThan(0.65);
    expect(counts.b! / 400).toBeLessThan(0.85);
  });

  it("round-robins over two endpoints", async () => {
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push((await get("/rr")).headers["x-upstream"] as string);
    expect(seen.filter((s) => s === "a")).toHaveLength(3);
    expect(seen.filter((s) => s === "b")).toHaveLength(3);
    expect(seen[0]).not.toBe(seen[1]);
  });
});

describe("local replies", () => {
  const cases: [string, string, Record<string, string>, number, string][] = [
    ["no matching route", "/nothing-here", { host: "nr.test" }, 404, "NR"],
    ["cluster without endpoints", "/empty", {}, 503, "UH"],
    ["connection refused", "/closed", {}, 503, "UF"],
    ["route timeout", "/slow", { "x-upstream-delay-ms": "2000" }, 504, "UT"],
    ["upstream reset before headers", "/reset", { "x-upstream-reset": "1" }, 503, "UC"],
  ];
  for (const [what, path, headers, status, flag] of cases) {
    it(`${what} -> ${status} ${flag} in the header and the access log`, async () => {
      const id = `local-${flag}`;
      const r = await get(path, { ...headers, "x-request-id": id });
      expect(r.status).toBe(status);
      expect(r.headers["x-switchyard-response-flags"]).toBe(flag);
      expect(await waitForLog(id)).toMatchObject({ status, responseFlags: flag });
    });
  }

  it("431 for a request head above maxHeaderBytes", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${base}/big`, { headers: { "x-big": "y".repeat(8_000) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(431);
  });

  it("logs DC when the client goes away before the response", async () => {
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${base}/dc`, { headers: { "x-upstream-delay-ms": "500", "x-request-id": "dc-1" } });
      req.on("error", () => resolve());
      req.end();
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 100);
    });
    expect(await waitForLog("dc-1")).toMatchObject({ responseFlags: "DC", status: 0 });
  });
});
