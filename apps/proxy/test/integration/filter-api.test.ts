import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUFFER_BODY, type TDoneInfo, type THttpFilter } from "../../src/filters/api.ts";
import { freePort } from "../helpers/free-port.ts";
import { startInProcessProxy, type TInProcessProxy } from "../helpers/in-process-proxy.ts";
import { startUpstream, type TEcho, type TUpstream } from "../helpers/start-upstream.ts";

/**
 * The filter API (issue #14 item 2) as a user's filter sees it: every phase, async phases,
 * local answers from request and response phases, shared metadata (read by a later filter
 * and the access log), body replace / buffer, trailers, onDone, failure isolation (500 FE,
 * counted), and per-route overrides of a built-in filter by name. Real client, real
 * upstreams, the proxy's runtime in-process.
 */
let up: TUpstream;
let h2up: http2.Http2Server;
let proxy: TInProcessProxy;
let base: string;
const done: TDoneInfo[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const tenant: THttpFilter = {
  name: "tenant",
  async onRequestHeaders(req) {
    await sleep(5); // an auth call
    const t = req.headers.get("x-tenant");
    if (t) req.metadata.set("tenant", t);
  },
};
const tenantReader: THttpFilter = {
  name: "tenant-reader",
  onRequestHeaders(req) {
    const t = req.metadata.get("tenant");
    if (typeof t === "string") req.headers.set("x-tenant-seen", t);
    req.headers.remove("x-drop-me");
  },
  onResponseHeaders(res, req) {
    res.headers.set("x-tenant", String(req.metadata.get("tenant") ?? "none"));
  },
  onDone(info) {
    done.push(info);
  },
};

beforeAll(async () => {
  up = await startUpstream("app");
  h2up = http2.createServer();
  h2up.on("stream", (stream) => {
    stream.respond({ ":status": 200, "content-type": "text/plain" }, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers({ "x-up-trailer": "1" }));
    stream.end("h2 body");
  });
  await new Promise<void>((r) => h2up.listen(0, "127.0.0.1", r));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const app = { cluster: "app" };
  proxy = await startInProcessProxy(
    {
      listeners: [{ name: "web", address: "127.0.0.1", port, routeConfig: "main", httpFilters: [{ type: "cors", allowOrigins: ["https://a.example"] }] }],
      routeConfigs: [
        {
          name: "main",
          virtualHosts: [
            {
              name: "all",
              domains: ["*"],
              routes: [
                { name: "meta", match: { prefix: "/meta" }, route: app },
                { name: "deny", match: { prefix: "/deny" }, route: app },
                { name: "upper", match: { prefix: "/upper" }, route: app },
                { name: "buffer", match: { prefix: "/buffer" }, route: app },
                { name: "rewrite-response", match: { prefix: "/rewrite-response" }, route: app },
                { name: "replace-response", match: { prefix: "/replace-response" }, route: app },
                { name: "trailers", match: { prefix: "/trailers" }, route: { cluster: "h2" } },
                { name: "throws", match: { prefix: "/throws" }, route: app },
                { name: "rejects", match: { prefix: "/rejects" }, route: app },
                { name: "bad-name", match: { prefix: "/bad-name" }, route: app },
                { name: "no-cors", match: { prefix: "/no-cors" }, route: app, filterOverrides: { cors: { disabled: true } } },
                { name: "other-origin", match: { prefix: "/other-origin" }, route: app, filterOverrides: { cors: { config: { allowOrigins: ["https://b.example"] } } } },
                { name: "plain", match: { prefix: "/" }, route: app },
              ],
            },
          ],
        },
      ],
      clusters: [
        { name: "app", endpoints: [{ address: "127.0.0.1", port: up.port }] },
        { name: "h2", protocol: "http2", endpoints: [{ address: "127.0.0.1", port: (h2up.address() as AddressInfo).port }] },
      ],
    },
    {
      meta: [tenant, tenantReader],
      deny: [
        {
          name: "gate",
          async onRequestHeaders() {
            await sleep(5);
            return { status: 418, headers: { "x-why": "teapot" }, body: "no tea\n", flag: "UAEX" };
          },
        },
      ],
      upper: [{ name: "upper", onRequestBody: (chunk) => Buffer.from(chunk.toString("latin1").toUpperCase(), "latin1") }],
      buffer: [{ name: "whole", onRequestBody: (chunk, end) => (end ? Buffer.from(`len=${chunk.length}`) : BUFFER_BODY) }],
      "rewrite-response": [
        {
          name: "shout",
          onResponseHeaders(res) {
            res.status = 203;
            res.headers.set("x-filtered", "yes");
          },
          async onResponseBody(chunk) {
            await sleep(1);
            return Buffer.from(chunk.toString("latin1").toUpperCase(), "latin1");
          },
        },
      ],
      "replace-response": [{ name: "mask", onResponseHeaders: (res) => (res.status >= 500 ? { status: 502, body: "masked\n" } : undefined) }],
      trailers: [{ name: "trailer", onResponseTrailers: (t) => t.set("x-filter-trailer", t.get("x-up-trailer") === "1" ? "saw-upstream" : "missing") }],
      throws: [
        {
          name: "boom",
          onRequestHeaders() {
            throw new Error("kaboom");
          },
        },
      ],
      rejects: [{ name: "late-boom", onResponseHeaders: () => Promise.reject(new Error("late kaboom")) }],
      "bad-name": [{ name: "bad-namer", onRequestHeaders: (req) => req.headers.set("x bad\r\nx-injected", "1") }],
    },
  );
});

afterAll(async () => {
  await proxy?.stop();
  await up?.close();
  h2up?.close();
});

async function entryFor(path: string) {
  for (let i = 0; i < 100; i++) {
    const e = proxy.accessLog.find((x) => x.path === path);
    if (e) return e;
    await sleep(10);
  }
  throw new Error(`no access-log entry for ${path}`);
}

describe("filter API", () => {
  it("async request phase + shared metadata: a later filter and the access log read it; request and response headers are editable", async () => {
    const res = await fetch(`${base}/meta`, { headers: { "x-tenant": "acme", "x-drop-me": "1" } });
    const echo = (await res.json()) as TEcho;
    expect(echo.headers["x-tenant-seen"]).toBe("acme");
    expect(echo.headers["x-drop-me"]).toBeUndefined();
    expect(res.headers.get("x-tenant")).toBe("acme");
    expect((await entryFor("/meta"))?.metadata).toEqual({ tenant: "acme" });
    expect(done.at(-1)).toMatchObject({ status: 200, responseFlags: "-" });
  });

  it("an async phase may answer locally: the router does not run", async () => {
    const before = up.seen.length;
    const res = await fetch(`${base}/deny`);
    expect(res.status).toBe(418);
    expect(res.headers.get("x-why")).toBe("teapot");
    expect(res.headers.get("x-switchyard-response-flags")).toBe("UAEX");
    expect(await res.text()).toBe("no tea\n");
    expect(up.seen.length).toBe(before);
  });

  it("request body chunks can be replaced as they stream", async () => {
    const res = await fetch(`${base}/upper`, { method: "POST", body: "hello body" });
    const echo = (await res.json()) as TEcho;
    expect(echo.body).toBe("HELLO BODY");
    expect((await entryFor("/upper"))?.bytesIn).toBe(10);
  });

  it("BUFFER_BODY holds the chunks and hands the whole body over at the end; past the limit the request gets 413", async () => {
    const parts = ["a".repeat(1000), "b".repeat(2000), "c".repeat(3000)];
    const stream = new ReadableStream({
      async pull(c) {
        const p = parts.shift();
        if (p === undefined) return c.close();
        await sleep(5);
        c.enqueue(new TextEncoder().encode(p));
      },
    });
    const res = await fetch(`${base}/buffer`, { method: "POST", body: stream, duplex: "half" } as RequestInit);
    expect(((await res.json()) as TEcho).body).toBe("len=6000");
    const big = await fetch(`${base}/buffer/big`, { method: "POST", body: Buffer.alloc(2 * 1_048_576, 1) });
    expect(big.status).toBe(413);
  });

  it("response phases: status and headers settable, body chunks replaced (async), content-length dropped for a changed body", async () => {
    const res = await fetch(`${base}/rewrite-response`, { method: "POST", headers: { "x-upstream-echo-body": "1" }, body: "quiet words" });
    expect(res.status).toBe(203);
    expect(res.headers.get("x-filtered")).toBe("yes");
    expect(await res.text()).toBe("QUIET WORDS");
  });

  it("onResponseHeaders may replace the upstream's answer with a local one", async () => {
    const res = await fetch(`${base}/replace-response`, { headers: { "x-upstream-status": "500" } });
    expect(res.status).toBe(502);
    expect(await res.text()).toBe("masked\n");
    const ok = await fetch(`${base}/replace-response`);
    expect(ok.status).toBe(200);
  });

  it("trailers pass onResponseTrailers (h2 client, h2 upstream)", async () => {
    const session = http2.connect(base);
    try {
      const trailers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
        const req = session.request({ ":path": "/trailers" });
        req.on("trailers", resolve);
        req.on("error", reject);
        req.resume();
        req.end();
      });
      expect(trailers["x-up-trailer"]).toBe("1");
      expect(trailers["x-filter-trailer"]).toBe("saw-upstream");
    } finally {
      session.close();
    }
  });

  it("a throwing or rejecting phase fails that request with 500 FE, counted per filter; the proxy keeps serving", async () => {
    const a = await fetch(`${base}/throws`);
    expect(a.status).toBe(500);
    expect(a.headers.get("x-switchyard-response-flags")).toBe("FE");
    const b = await fetch(`${base}/rejects`);
    expect(b.status).toBe(500);
    expect(b.headers.get("x-switchyard-response-flags")).toBe("FE");
    expect((await fetch(`${base}/plain`)).status).toBe(200);
    const text = await proxy.metrics.registry.metrics();
    expect(text).toContain('switchyard_filter_errors_total{filter="boom"} 1');
    expect(text).toContain('switchyard_filter_errors_total{filter="late-boom"} 1');
  });

  it("a header name that is not a token is refused where the filter sets it: 500 FE for that filter, nothing sent upstream", async () => {
    const before = up.seen.length;
    const r = await fetch(`${base}/bad-name`);
    expect(r.status).toBe(500);
    expect(r.headers.get("x-switchyard-response-flags")).toBe("FE");
    expect(await r.text()).toContain("bad-namer");
    expect(up.seen.length).toBe(before);
    expect(await proxy.metrics.registry.metrics()).toContain('switchyard_filter_errors_total{filter="bad-namer"} 1');
    expect((await fetch(`${base}/plain`)).status).toBe(200);
  });

  it("per-route overrides by filter name: a route disables cors, another replaces its config", async () => {
    const acao = async (path: string, origin: string) => (await fetch(`${base}${path}`, { headers: { origin } })).headers.get("access-control-allow-origin");
    expect(await acao("/plain", "https://a.example")).toBe("https://a.example");
    expect(await acao("/no-cors", "https://a.example")).toBeNull();
    expect(await acao("/other-origin", "https://a.example")).toBeNull();
    expect(await acao("/other-origin", "https://b.example")).toBe("https://b.example");
  });

  it("an override naming no filter, or a config the filter's schema refuses, refuses the version with the path", async () => {
    const config = (overrides: unknown) => ({
      listeners: [{ name: "web", address: "127.0.0.1", port: 1, routeConfig: "main", httpFilters: [{ type: "cors", allowOrigins: ["https://a.example"] }] }],
      routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "r", match: { prefix: "/" }, directResponse: { status: 200 }, filterOverrides: overrides }] }] }],
      clusters: [],
    });
    const unknown = await proxy.apply(config({ nope: { disabled: true } }));
    expect(unknown.ok).toBe(false);
    expect(JSON.stringify(unknown.issues)).toContain("routeConfigs[0].virtualHosts[0].routes[0].filterOverrides.nope");
    const bad = await proxy.apply(config({ cors: { config: { allowOrigins: [] } } }));
    expect(bad.ok).toBe(false);
    expect(JSON.stringify(bad.issues)).toContain("routeConfigs[0].virtualHosts[0].routes[0].filterOverrides.cors.config.allowOrigins");
  });
});
