/**
 * Console input hardening (issue #10 part 5): the tRPC router and the REST route table are
 * ENUMERATED (a procedure or route added later is covered without touching this file), and
 * each one is called unauthenticated, as a viewer, and with malformed input as an admin.
 * Invariants: never a 5xx, never a stack trace or a file path in the body; unauthenticated
 * calls get 401, a viewer's mutations 403 (except the few a viewer may make).
 */
import { createServer, type Server } from "node:http";
import { createApiToken, createUser, ensureAdminUser } from "@switchyard/db";
import { createTestDatabase, type TTestDatabase } from "@switchyard/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTrpcHandler } from "../../src/server/api/handler.ts";
import { appRouter } from "../../src/server/api/root.ts";
import { csrfTokenFor } from "../../src/server/api/session-cookie.ts";
import { createRestHandler, REST_ROUTES } from "../../src/server/rest/index.ts";

const ENV_TOKEN = "hardening-env-token";
let t: TTestDatabase;
let server: Server;
let base: string;
let adminCookie = "";
let viewerCookie = "";
let viewerReadToken = "";
const logLines: string[] = [];

/** Procedures anyone may call without a session. */
const PUBLIC_PROCEDURES = new Set(["auth.login", "auth.me", "auth.logout", "auth.providers"]);
/** Mutations a viewer may make: its own session and read-only tokens, and checks that write nothing. */
const VIEWER_MUTATIONS = new Set(["auth.login", "auth.logout", "auth.changePassword", "tokens.createApi", "tokens.revokeApi", "config.importCheck", "config.importConvert"]);

type TProc = { path: string; type: "query" | "mutation" | "subscription" };

function procedures(): TProc[] {
  const procs = (appRouter as unknown as { _def: { procedures: Record<string, { _def: { type: TProc["type"] } }> } })._def.procedures;
  return Object.entries(procs).map(([path, p]) => ({ path, type: p._def.type }));
}

type TResult = { status: number; text: string };

async function trpc(p: TProc, input: unknown, cookie = ""): Promise<TResult> {
  if (process.env.HARDENING_DEBUG) process.stderr.write(`CALL ${p.path} ${JSON.stringify(input)?.slice(0, 80)}\n`);
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (cookie) {
    headers.cookie = cookie;
    const session = /swy_session=([^;]+)/.exec(cookie)?.[1];
    if (session) headers["x-swy-csrf"] = csrfTokenFor(decodeURIComponent(session));
  }
  const url = `${base}/api/trpc/${p.path}`;
  const res =
    p.type === "mutation"
      ? await fetch(url, { method: "POST", headers, body: typeof input === "string" && input.startsWith("RAW:") ? input.slice(4) : JSON.stringify(input) })
      : await fetch(`${url}?input=${encodeURIComponent(JSON.stringify(input))}`, { headers, signal: AbortSignal.timeout(5_000) });
  return { status: res.status, text: p.type === "subscription" ? "" : await res.text() };
}

/** No stack frames, no source paths, no internal error class names in what a client sees. */
function expectNoLeak(r: TResult, what: string): void {
  expect(r.status, `${what}: ${r.text.slice(0, 300)}`).toBeLessThan(500);
  expect(r.text, what).not.toMatch(/\n\s+at |\.ts:\d+|\/work\/|node_modules|PrismaClient|TypeError|ReferenceError/);
}

async function login(email: string, password: string): Promise<string> {
  const res = await fetch(`${base}/api/trpc/auth.login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password }) });
  expect(res.status).toBe(200);
  return res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
}

beforeAll(async () => {
  t = await createTestDatabase();
  await ensureAdminUser(t.db, "admin@hardening.test", "admin-password");
  const viewer = await createUser(t.db, { email: "viewer@hardening.test", password: "viewer-password", role: "viewer" });
  viewerReadToken = (await createApiToken(t.db, { name: "viewer-read", scope: "read", userId: viewer.id, actor: "test" })).token;
  const log = (event: string, fields?: Record<string, unknown>) => logLines.push(JSON.stringify({ event, ...fields }));
  const rest = createRestHandler({ db: t.db, apiToken: ENV_TOKEN, log });
  const trpcHandler = createTrpcHandler({ db: t.db, log });
  server = createServer((req, res) => void rest(req, res).then((handled) => handled || trpcHandler(req, res)));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  adminCookie = await login("admin@hardening.test", "admin-password");
  viewerCookie = await login("viewer@hardening.test", "viewer-password");
});

afterAll(async () => {
  const internal = logLines.filter((l) => l.includes("internal_error"));
  if (internal.length) console.log(internal.slice(0, 5).join("\n").slice(0, 4000));
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await t?.drop();
});

/** "Billion laughs": nine-fold aliases, five levels deep. */
const YAML_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n";

/** Inputs no procedure accepts as meaningful; each must be refused with a 4xx. */
const MALFORMED: unknown[] = [
  null,
  42,
  "string",
  [],
  [1, 2, 3],
  { name: 7, id: {}, message: ["x"], email: null },
  { "__proto__": { admin: true }, constructor: { prototype: { polluted: true } } },
  { name: "x".repeat(100_000) },
  { name: "a\u0000b", id: "a\u0000b", email: "a\u0000b@x.test", message: "\u0000", text: "\u0000", cluster: "\u0000" },
  { id: "../../../etc/passwd", name: "<script>alert(1)</script>", version: -1 },
  { version: 1e308, limit: Number.MAX_SAFE_INTEGER, page: -5 },
  { text: "[".repeat(20_000), yaml: "{a: ".repeat(5_000) },
  { text: YAML_BOMB },
  "RAW:{not json",
  "RAW:" + "[".repeat(20_000),
];

describe("tRPC: every procedure, enumerated from the router", () => {
  it("the router has procedures to check (the enumeration works)", () => {
    const all = procedures();
    expect(all.length).toBeGreaterThan(30);
    expect(all.map((p) => p.path)).toEqual(expect.arrayContaining(["routes.list", "versions.publish", "users.list"]));
  });

  it("unauthenticated: 401 for everything but login / me, never 5xx", async () => {
    for (const p of procedures()) {
      if (p.type === "subscription") continue;
      const r = await trpc(p, {});
      expectNoLeak(r, `anon ${p.path}`);
      if (!PUBLIC_PROCEDURES.has(p.path)) expect(r.status, `anon ${p.path}`).toBe(401);
    }
  });

  it("as a viewer: every mutation outside its own session/tokens is 403 (authorization before input), never 5xx", async () => {
    for (const p of procedures()) {
      // Logging out would end the session the rest of the loop runs on.
      if (p.type === "subscription" || p.path === "auth.logout") continue;
      const r = await trpc(p, {}, viewerCookie);
      expectNoLeak(r, `viewer ${p.path}`);
      if (p.type === "mutation" && !VIEWER_MUTATIONS.has(p.path)) expect(r.status, `viewer ${p.path}: ${r.text.slice(0, 200)}`).toBe(403);
    }
  });

  it("as an admin with malformed input: 4xx with a message, never 5xx or a stack trace", async () => {
    for (const p of procedures()) {
      if (p.type === "subscription" || p.path === "auth.logout") continue;
      for (const input of MALFORMED) {
        const r = await trpc(p, input, adminCookie);
        expectNoLeak(r, `admin ${p.path} ${JSON.stringify(input)?.slice(0, 60)}`);
        // 431/414: Node refuses the oversize URL itself (empty body, still a clean 4xx).
        if (r.status >= 400 && r.status !== 431 && r.status !== 414) expect(r.text, `${p.path} ${r.status}`).toMatch(/"message":"[^"]+/);
      }
    }
    // Still logged in and working after all that.
    const me = await trpc({ path: "auth.me", type: "query" }, undefined, adminCookie);
    expect(me.text).toContain("admin@hardening.test");
  }, 120_000);
});

describe("REST: every route in the table", () => {
  const HOSTILE_PARAMS = ["abc", "-1", "99999999999999999999999", "%00", "..%2F..%2Fetc", "%3Cscript%3E", "x".repeat(3000)];

  const urls = () =>
    REST_ROUTES.flatMap((route) =>
      HOSTILE_PARAMS.map((v) => route.path.replace(/:\w+/g, v)).concat(route.path.includes(":") ? [] : [route.path]).map((path) => ({ route, path })),
    );

  async function rest(method: string, path: string, opts: { token?: string; body?: string; type?: string } = {}): Promise<TResult> {
    if (process.env.HARDENING_DEBUG) process.stderr.write(`REST ${method} ${path.slice(0, 60)} ${opts.type} ${opts.body?.slice(0, 40)}\n`);
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.type) headers["content-type"] = opts.type;
    const res = await fetch(`${base}/api/v1${path}`, { method, headers, body: opts.body });
    return { status: res.status, text: await res.text() };
  }

  it("unauthenticated: 401 everywhere but /healthz, never 5xx", async () => {
    for (const { route, path } of urls()) {
      for (const method of [route.method]) {
        const r = await rest(method, path);
        expectNoLeak(r, `anon ${method} ${path.slice(0, 40)}`);
        if (route.access !== "public") expect(r.status, `anon ${method} ${path.slice(0, 40)}`).toBe(401);
      }
    }
    expect((await rest("GET", "/config", { token: "forged" })).status).toBe(401);
  });

  it("a viewer's read token: mutations 403, reads never 5xx", async () => {
    for (const { route, path } of urls()) {
      for (const method of [route.method]) {
        const r = await rest(method, path, { token: viewerReadToken, body: method === "GET" ? undefined : "{}", type: "application/json" });
        expectNoLeak(r, `viewer ${method} ${path.slice(0, 40)}`);
        const mutating = method !== "GET" && route.access !== "read";
        if (mutating) expect(r.status, `viewer ${method} ${path.slice(0, 40)}`).toBe(403);
      }
    }
  });

  it("malformed bodies, params and queries with a write token: 4xx with a message", async () => {
    const bodies: [string, string][] = [
      ["{not json", "application/json"],
      ["[".repeat(20_000), "application/json"],
      ["null", "application/json"],
      ["[1,2]", "application/json"],
      ['{"listeners": "nope", "message": 5}', "application/json"],
      [YAML_BOMB, "application/yaml"],
      ["[".repeat(20_000), "application/yaml"],
      ["[".repeat(20_000) + "]".repeat(20_000), "application/json"],
      ["listeners: [\n  - {name: x", "application/yaml"],
      ["\u0000\u0001\u0002", "text/plain"],
      ["x".repeat(11 * 1024 * 1024), "application/json"],
    ];
    for (const { route, path } of urls()) {
      for (const method of [route.method]) {
        if (method === "GET") {
          const r = await rest("GET", `${path}?window=-1&limit=abc&since=not-a-date&format=exe&actor=%00`, { token: ENV_TOKEN });
          expectNoLeak(r, `GET ${path.slice(0, 40)}`);
          continue;
        }
        for (const [body, type] of bodies) {
          const r = await rest(method, path, { token: ENV_TOKEN, body, type });
          expectNoLeak(r, `${method} ${path.slice(0, 40)} ${body.slice(0, 30)}`);
          expect(r.status, `${method} ${path.slice(0, 40)} ${body.slice(0, 30)}`).toBeGreaterThanOrEqual(400);
          expect(JSON.parse(r.text).error ?? JSON.parse(r.text).message ?? JSON.parse(r.text).issues, path).toBeTruthy();
        }
      }
    }
    expect(logLines.filter((l) => l.includes("rest_internal_error"))).toEqual([]);
  }, 180_000);
});
