/**
 * The tRPC edge over real HTTP (the same node-http handler server.ts mounts) on real
 * PostgreSQL: session cookie, protected procedures, and validation errors carrying
 * `data.issues` with their JSON path and form field.
 */
import { createServer, type Server } from "node:http";
import { ensureAdminUser } from "@switchyard/db";
import { createTestDatabase, type TTestDatabase } from "@switchyard/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTrpcHandler } from "../src/server/api/handler.ts";
import { csrfTokenFor } from "../src/server/api/session-cookie.ts";
import { createPki } from "../../proxy/test/helpers/certs.ts";

let t: TTestDatabase;
let server: Server;
let base: string;
const events: { event: string; fields?: Record<string, unknown> }[] = [];

type TRpcError = { error: { message: string; data: { code: string; httpStatus: number; issues: { path: string; message: string; field?: string }[] | null } } };

async function call(path: string, input: unknown, opts: { cookie?: string; query?: boolean } = {}) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (opts.cookie) headers.cookie = opts.cookie;
  // What the page does: echo the session's CSRF token (its swy_csrf cookie) in the header.
  const session = /swy_session=([^;]+)/.exec(opts.cookie ?? "")?.[1];
  if (session) headers["x-swy-csrf"] = csrfTokenFor(decodeURIComponent(session));
  const res = opts.query
    ? await fetch(`${base}/api/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`, { headers })
    : await fetch(`${base}/api/trpc/${path}`, { method: "POST", headers, body: JSON.stringify(input ?? null) });
  return { status: res.status, setCookie: res.headers.get("set-cookie"), body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  t = await createTestDatabase();
  await ensureAdminUser(t.db, "admin@switchyard.test", "s3cret-password");
  const trpc = createTrpcHandler({ db: t.db, log: (event, fields) => events.push({ event, fields }) });
  server = createServer((req, res) => trpc(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await t?.drop();
});

describe("tRPC over HTTP", () => {
  let cookie = "";

  it("answers me = null and refuses protected procedures without a session", async () => {
    expect((await call("auth.me", undefined, { query: true })).body).toEqual({ result: { data: null } });
    const res = await call("routes.list", undefined, { query: true });
    expect(res.status).toBe(401);
    expect((res.body as TRpcError).error.data.code).toBe("UNAUTHORIZED");
  });

  it("refuses a wrong password without saying which part was wrong", async () => {
    const res = await call("auth.login", { email: "admin@switchyard.test", password: "nope" });
    expect(res.status).toBe(401);
    expect((res.body as TRpcError).error.message).toBe("wrong email or password");
    expect(res.setCookie).toBeNull();
  });

  it("logs in with an httpOnly SameSite=Lax session cookie", async () => {
    const res = await call("auth.login", { email: "admin@switchyard.test", password: "s3cret-password" });
    expect(res.status).toBe(200);
    expect(res.setCookie).toMatch(/^swy_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Expires=/);
    cookie = res.setCookie!.split(";")[0]!;
    expect((await call("auth.me", undefined, { query: true, cookie })).body).toMatchObject({ result: { data: { email: "admin@switchyard.test" } } });
  });

  it("reports input errors (zod) with the path and the form field: 422 for a mutation's input (a body), 400 for a query's (the URL)", async () => {
    const res = await call("routes.create", { routeConfig: "main", virtualHost: "all", domains: ["*"], route: { name: "u", match: { prefix: "users" }, directResponse: { status: 200 } } }, { cookie });
    expect(res.status).toBe(422);
    expect((await call("routes.get", { routeConfig: "main", virtualHost: "all", name: "bad name!" }, { query: true, cookie })).status).toBe(400);
    const err = (res.body as TRpcError).error;
    expect(err.message).toBe("route.match.prefix: must start with '/'");
    expect(err.data.issues).toEqual([{ path: "route.match.prefix", message: "must start with '/'", field: "match.prefix" }]);
  });

  it("reports whole-config issues as 422 with the config path and the form field", async () => {
    const res = await call("routes.create", { routeConfig: "main", virtualHost: "all", domains: ["*"], route: { name: "u", match: { prefix: "/u" }, route: { cluster: "userz" } } }, { cookie });
    expect(res.status).toBe(422);
    expect((res.body as TRpcError).error.data).toMatchObject({
      code: "UNPROCESSABLE_CONTENT",
      issues: [{ path: "routeConfigs[0].virtualHosts[0].routes[0].route.cluster", message: 'unknown cluster "userz"', field: "route.cluster" }],
    });
  });

  it("refuses a CR/LF header value the proxy could not write as 422 with the config path and the form field (issue #15)", async () => {
    const res = await call(
      "routes.create",
      { routeConfig: "main", virtualHost: "all", domains: ["*"], route: { name: "h", match: { prefix: "/h" }, directResponse: { status: 200, contentType: "text/plain\r\nset-cookie: a=b" } } },
      { cookie },
    );
    expect(res.status).toBe(422);
    expect((res.body as TRpcError).error.data).toMatchObject({
      code: "UNPROCESSABLE_CONTENT",
      issues: [{ path: "routeConfigs[0].virtualHosts[0].routes[0].directResponse.contentType", message: expect.stringContaining("valid HTTP header value"), field: "directResponse.contentType" }],
    });
  });

  it("saves a valid route and logs who did it", async () => {
    const res = await call("routes.create", { routeConfig: "main", virtualHost: "all", domains: ["*"], route: { name: "ping", match: { path: "/ping" }, directResponse: { status: 200, body: "pong" } } }, { cookie });
    expect(res.status).toBe(200);
    expect(events).toContainEqual({ event: "console.route.create", fields: { user: "admin@switchyard.test", routeConfig: "main", virtualHost: "all", route: "ping" } });
    const list = await call("routes.list", undefined, { query: true, cookie });
    expect(list.body).toMatchObject({ result: { data: [{ name: "ping", actionSummary: 'respond 200 "pong"' }] } });
  });

  it("exports the working config as YAML whose first line names this console's JSON Schema", async () => {
    const res = await call("config.export", undefined, { cookie, query: true });
    expect(res.status).toBe(200);
    const { yaml } = (res.body as { result: { data: { yaml: string } } }).result.data;
    expect(yaml.split("\n")[0]).toBe(`# yaml-language-server: $schema=${base}/api/v1/schema/config-v1.json`);
  });

  it("refuses a listener that would serve a certificate with another certificate's key (422 at the form field), as the proxy would at apply (issue #15)", async () => {
    const pki = await createPki();
    try {
      const [a, b] = await Promise.all([pki.issue("a", ["DNS:a.test"]), pki.issue("b", ["DNS:b.test"])]);
      // An unused secret is only stored; using it is what must load.
      expect((await call("resources.create", { kind: "secrets", resource: { name: "mixed", type: "tlsCertificate", certificate: a.cert, privateKey: b.key } }, { cookie })).status).toBe(200);
      const res = await call("resources.create", { kind: "listeners", resource: { name: "tls", port: 8443, protocol: "https", routeConfig: "main", tls: { certificates: ["mixed"] } } }, { cookie });
      expect(res.status).toBe(422);
      expect((res.body as TRpcError).error.data.issues).toEqual([
        { path: "listeners[0].tls.certificates[0]", message: expect.stringMatching(/^secret "mixed": unusable certificate\/key/), field: "tls.certificates[0]" },
      ]);
    } finally {
      await pki.cleanup();
    }
  });

  it("logs out: the cookie is cleared and the session no longer works", async () => {
    const res = await call("auth.logout", null, { cookie });
    expect(res.setCookie).toMatch(/^swy_session=; .*Max-Age=0/);
    expect((await call("routes.list", undefined, { query: true, cookie })).status).toBe(401);
  });
});
