/**
 * Path confusion (issue #15 item 1), as an attacker tries it against a real proxy: every
 * spelling of `/admin` against an RBAC rule that denies `/admin`, and every way out of a
 * `/public` route prefix, over HTTP/1.1 (raw bytes: no client library normalises them),
 * h2c and WebSocket upgrades; absolute-form targets route by their authority. Pass = the
 * deny rule holds and the `/public` upstream never receives a path an origin reads as
 * `/admin` (the request is refused, redirected to the normalised path, or routed by it).
 */
import http2 from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../apps/proxy/test/helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../../apps/proxy/test/helpers/start-proxy.ts";
import { rawExchange, startRecordingUpstream, type TRecordingUpstream } from "./helpers/raw.ts";

let origin: TRecordingUpstream;
let pub: TRecordingUpstream;
let abs: TRecordingUpstream;
let proxy: TProxyProcess;
let rbacPort: number;
let routePort: number;

beforeAll(async () => {
  [origin, pub, abs] = await Promise.all([startRecordingUpstream(), startRecordingUpstream(), startRecordingUpstream()]);
  rbacPort = await freePort();
  routePort = await freePort();
  proxy = await startProxy({
    accessLogFile: true,
    config: {
      listeners: [
        {
          name: "rbac",
          address: "127.0.0.1",
          port: rbacPort,
          routeConfig: "all",
          httpFilters: [{ type: "rbac", rules: [{ allow: false, paths: ["/admin"] }, { allow: true }] }],
        },
        { name: "routes", address: "127.0.0.1", port: routePort, routeConfig: "split" },
      ],
      routeConfigs: [
        { name: "all", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "all", match: { prefix: "/" }, route: { cluster: "origin", allowUpgrade: true } }] }] },
        {
          name: "split",
          virtualHosts: [
            { name: "abs", domains: ["abs.example"], routes: [{ name: "abs", match: { prefix: "/" }, route: { cluster: "abs" } }] },
            {
              name: "any",
              domains: ["*"],
              routes: [
                { name: "public", match: { prefix: "/public" }, route: { cluster: "public", allowUpgrade: true } },
                { name: "rest", match: { prefix: "/" }, route: { cluster: "origin", allowUpgrade: true } },
              ],
            },
          ],
        },
      ],
      clusters: [
        { name: "origin", endpoints: [{ address: "127.0.0.1", port: origin.port }] },
        { name: "public", endpoints: [{ address: "127.0.0.1", port: pub.port }] },
        { name: "abs", endpoints: [{ address: "127.0.0.1", port: abs.port }] },
      ],
    },
  });
});

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([origin?.close(), pub?.close(), abs?.close()]);
});

const get = (target: string, extra: string[] = []) => ["GET " + target + " HTTP/1.1", "Host: x", ...extra, "Connection: close"].join("\r\n") + "\r\n\r\n";

/** Spellings of /admin/users that some origin reads as /admin/users. */
const ADMIN_SPELLINGS = [
  "//admin/users",
  "/./admin/users",
  "/%61dmin/users",
  "/%61%64%6D%69%6E/users",
  "/x/../admin/users",
  "/x/%2e%2e/admin/users",
  "/x/%2E%2E/admin/users",
  "/x/.%2E/admin/users",
  "/%2fadmin/users",
  "/%2Fadmin/users",
  "/x/..%2fadmin/users",
  "/x/..%5cadmin/users",
  "/x\\..\\admin/users",
  "\\admin/users",
  "/x/..;/admin/users",
  "/..;/admin/users",
  "/x/%c0%ae%c0%ae/admin/users",
  "/x/%e0%80%ae%e0%80%ae/admin/users",
  "/admin%00/users",
  "/x/../admin/users#frag",
  "///admin///users",
  "/x/y/../../admin/users",
];

/** A prefix-route escape: each of these stays inside /public to a naive prefix match. */
const PUBLIC_ESCAPES = [
  "/public/../admin/users",
  "/public/%2e%2e/admin/users",
  "/public/%2E%2e/admin/users",
  "/public/..%2fadmin/users",
  "/public/..%2Fadmin/users",
  "/public/%2e%2e%2fadmin/users",
  "/public/..%5cadmin/users",
  "/public\\..\\admin/users",
  "/public/..;/admin/users",
  "/public/%c0%ae%c0%ae/admin/users",
  "/public/./../admin/users",
  "/public//../../admin/users",
];

/** Follows one 307 (escaped slashes are redirected to the unescaped, normalised path). */
async function rawGetFollowing(port: number, target: string): Promise<{ status: number | null; location: string | null }> {
  const r = await rawExchange(port, get(target), { timeoutMs: 3_000 });
  const location = /\r\nlocation: ([^\r]*)/i.exec(r.text)?.[1] ?? null;
  if (r.status !== 307 || location === null) return { status: r.status, location: null };
  const again = await rawExchange(port, get(location), { timeoutMs: 3_000 });
  return { status: again.status, location };
}

describe("RBAC deny /admin holds for every spelling (HTTP/1.1)", () => {
  for (const target of ADMIN_SPELLINGS) {
    it(target, async () => {
      const before = origin.requests.length;
      const r = await rawGetFollowing(rbacPort, target);
      // 403 (normalised, then denied), or 400 (cannot be read one way only); never forwarded.
      expect([400, 403]).toContain(r.status);
      if (r.location !== null) expect(r.location).toBe("/admin/users");
      expect(origin.requests.slice(before).map((q) => q.url)).toEqual([]);
    });
  }

  it("the baseline: a plain /admin/users is denied and /users is forwarded as sent", async () => {
    expect((await rawExchange(rbacPort, get("/admin/users"))).status).toBe(403);
    const before = origin.requests.length;
    expect((await rawExchange(rbacPort, get("/users?x=%2F..%2F"))).status).toBe(200);
    expect(origin.requests.slice(before).map((q) => q.url)).toEqual(["/users?x=%2F..%2F"]);
  });

  it("what the upstream receives is the normalised path", async () => {
    const before = origin.requests.length;
    expect((await rawExchange(rbacPort, get("//docs/./a/../%62ook%3a%7e"))).status).toBe(200);
    expect(origin.requests.slice(before).map((q) => q.url)).toEqual(["/docs/book%3A~"]);
  });

  it("the access log shows the normalised path, and refusals with DPE", async () => {
    await rawExchange(rbacPort, get("/a/%zz"));
    expect(await proxy.waitForAccessLog((l) => l.path === "/docs/book%3A~")).toMatchObject({ status: 200 });
    expect(await proxy.waitForAccessLog((l) => l.path === "/a/%zz")).toMatchObject({ status: 400, responseFlags: "DPE" });
    const prom = await (await proxy.admin("/stats/prometheus")).text();
    expect(prom).toMatch(/switchyard_path_normalization_total\{listener="rbac",result="refused"\} [1-9]/);
    expect(prom).toMatch(/switchyard_path_normalization_total\{listener="rbac",result="redirected"\} [1-9]/);
  });
});

describe("a /public route prefix cannot be left (HTTP/1.1)", () => {
  for (const target of PUBLIC_ESCAPES) {
    it(target, async () => {
      const before = pub.requests.length;
      const r = await rawGetFollowing(routePort, target);
      // Refused, or normalised to /admin/users and routed by that path (to the other cluster).
      expect([200, 400]).toContain(r.status);
      expect(pub.requests.slice(before)).toEqual([]);
    });
  }

  it("normalised paths still inside /public go to /public", async () => {
    const before = pub.requests.length;
    expect((await rawExchange(routePort, get("/public/x/../%69ndex.html"))).status).toBe(200);
    expect(pub.requests.slice(before).map((q) => q.url)).toEqual(["/public/index.html"]);
  });
});

describe("HTTP/2 (h2c) :path gets the same treatment", () => {
  async function h2get(port: number, path: string, extra: Record<string, string> = {}): Promise<{ status: number; location: string | undefined }> {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", () => undefined);
    try {
      return await new Promise((resolve, reject) => {
        const s = session.request({ ":path": path, ":method": "GET", ...extra });
        s.on("error", reject);
        s.on("response", (h) => {
          const loc = h.location;
          resolve({ status: Number(h[":status"]), location: typeof loc === "string" ? loc : undefined });
          s.resume();
        });
        s.end();
      });
    } finally {
      session.close();
    }
  }

  for (const target of ["//admin/users", "/%61dmin/users", "/x/../admin/users", "/x/%2E%2E/admin/users", "/x/..;/admin/users", "/x\\..\\admin/users", "/x/%c0%ae%c0%ae/admin/users"]) {
    it(`rbac: ${target}`, async () => {
      const before = origin.requests.length;
      const r = await h2get(rbacPort, target);
      expect([400, 403]).toContain(r.status);
      expect(origin.requests.length).toBe(before);
    });
  }

  it("an escaped slash is redirected to the unescaped path", async () => {
    const r = await h2get(rbacPort, "/x/..%2Fadmin/users");
    expect(r).toEqual({ status: 307, location: "/admin/users" });
  });

  it("gRPC clients do not follow redirects: an escaped slash in a gRPC :path is refused with 400", async () => {
    const before = origin.requests.length;
    const r = await h2get(rbacPort, "/pkg.Admin/..%2FDrop", { ":method": "POST", "content-type": "application/grpc" });
    expect(r.status).toBe(400);
    expect(origin.requests.length).toBe(before);
  });

  it("route prefix: /public/%2e%2e/admin/users goes to the /admin route, never /public", async () => {
    const before = pub.requests.length;
    const beforeOrigin = origin.requests.length;
    expect((await h2get(routePort, "/public/%2e%2e/admin/users")).status).toBe(200);
    expect(pub.requests.length).toBe(before);
    expect(origin.requests.slice(beforeOrigin).map((q) => q.url)).toEqual(["/admin/users"]);
  });
});

describe("WebSocket upgrades get the same treatment", () => {
  const upgrade = (target: string) => get(target, ["Upgrade: websocket", "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]);

  for (const target of ["//admin/ws", "/x/../admin/ws", "/%61dmin/ws", "/x/..;/admin/ws"]) {
    it(`rbac: ${target}`, async () => {
      const before = origin.requests.length;
      const r = await rawExchange(rbacPort, upgrade(target), { timeoutMs: 3_000 });
      expect([400, 403]).toContain(r.status);
      expect(origin.requests.length).toBe(before);
    });
  }

  it("an escaped slash in an upgrade is redirected", async () => {
    const r = await rawExchange(rbacPort, upgrade("/x/..%2fadmin/ws"), { timeoutMs: 3_000 });
    expect(r.status).toBe(307);
    expect(r.text).toMatch(/\r\nlocation: \/admin\/ws\r\n/i);
  });

  it("route prefix: /public/../admin/ws never reaches the /public cluster", async () => {
    const before = pub.requests.length;
    await rawExchange(routePort, upgrade("/public/../admin/ws"), { timeoutMs: 3_000 });
    expect(pub.requests.length).toBe(before);
    expect(pub.raw()).not.toContain("admin");
  });
});

describe("absolute-form targets (RFC 9112 §3.2.2)", () => {
  it("route by the target's authority, not Host, and go upstream in origin-form", async () => {
    const before = abs.requests.length;
    const r = await rawExchange(routePort, ["GET http://abs.example/x/../y?q=1 HTTP/1.1", "Host: elsewhere.example", "Connection: close", "", ""].join("\r\n"));
    expect(r.status).toBe(200);
    const seen = abs.requests.slice(before);
    expect(seen.map((q) => q.url)).toEqual(["/y?q=1"]);
    expect(seen[0]?.headers.host).toBe("abs.example");
  });

  it("an absolute-form /public escape is normalised too", async () => {
    const before = pub.requests.length;
    const r = await rawExchange(routePort, ["GET http://x/public/%2e%2e/admin/users HTTP/1.1", "Host: x", "Connection: close", "", ""].join("\r\n"));
    expect(r.status).toBe(200);
    expect(pub.requests.length).toBe(before);
  });

  it("an absolute-form target with userinfo is refused", async () => {
    const r = await rawExchange(routePort, ["GET http://a@abs.example/ HTTP/1.1", "Host: x", "Connection: close", "", ""].join("\r\n"));
    expect(r.status).toBe(400);
  });
});
