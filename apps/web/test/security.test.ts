/**
 * Security of the console on real PostgreSQL, over real HTTP and WebSockets (tRPC, REST
 * and the control plane mounted like server.ts does): roles, CSRF, login rate limit,
 * user management, API tokens, node tokens, audit, and that secrets never leave.
 */
import { createServer, type Server } from "node:http";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCluster, makeConfig } from "@switchyard/config-model/testing";
import { createNodeToken, createUser, ensureAdminUser, getVersion, listAudit, revokeNodeToken } from "@switchyard/db";
import { createTestDatabase, type TTestDatabase } from "@switchyard/db/testing";
import { createTrpcHandler } from "../src/server/api/handler.ts";
import { csrfTokenFor } from "../src/server/api/session-cookie.ts";
import { createRestHandler } from "../src/server/rest/index.ts";
import { attachXdsServer, type TXdsServer } from "../src/server/xds/index.ts";
import { connectNode, helloFrame } from "./helpers/fake-node.ts";
import { waitFor } from "./helpers/cp-server.ts";

let t: TTestDatabase;
let server: Server;
let xds: TXdsServer;
let base: string;
const logLines: string[] = [];
const log = (event: string, fields?: Record<string, unknown>) => logLines.push(JSON.stringify({ event, ...fields }));
const ENV_TOKEN = "env-api-token";

/** A self-signed certificate and its key, made with openssl (Debian ships it). */
function makeCertificate(days: number): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), "swy-cert-"));
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const keyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  writeFileSync(join(dir, "key.pem"), keyPem);
  execFileSync("openssl", ["req", "-x509", "-key", join(dir, "key.pem"), "-out", join(dir, "cert.pem"), "-days", String(days), "-subj", "/CN=shop.example.com", "-addext", "subjectAltName=DNS:shop.example.com,DNS:www.shop.example.com"], { stdio: "ignore" });
  return { cert: readFileSync(join(dir, "cert.pem"), "utf8"), key: keyPem };
}

type TCall = { status: number; setCookie: string[]; body: Record<string, unknown> & { error?: { message: string; data: { code: string } } } };

async function trpc(path: string, input: unknown, opts: { cookie?: string; query?: boolean; csrf?: boolean } = {}): Promise<TCall> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (opts.cookie) {
    headers.cookie = opts.cookie;
    const session = /swy_session=([^;]+)/.exec(opts.cookie)?.[1];
    if (session && opts.csrf !== false) headers["x-swy-csrf"] = csrfTokenFor(decodeURIComponent(session));
  }
  const res = opts.query
    ? await fetch(`${base}/api/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`, { headers })
    : await fetch(`${base}/api/trpc/${path}`, { method: "POST", headers, body: JSON.stringify(input ?? null) });
  return { status: res.status, setCookie: res.headers.getSetCookie(), body: (await res.json()) as TCall["body"] };
}

async function rest(path: string, init: { method?: string; token?: string; json?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.json !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${base}/api/v1${path}`, { method: init.method ?? "GET", headers, ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}) });
  const text = await res.text();
  let body: Record<string, unknown> & Record<string, never> = {} as never;
  try {
    body = JSON.parse(text) as never;
  } catch {
    // YAML or empty
  }
  return { status: res.status, text, body, headers: res.headers };
}

async function login(email: string, password: string): Promise<string> {
  const res = await trpc("auth.login", { email, password });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.setCookie.map((c) => c.split(";")[0]).join("; ");
}

let adminCookie = "";
let viewerCookie = "";
let editorCookie = "";
const certificate = makeCertificate(10);

beforeAll(async () => {
  t = await createTestDatabase();
  await ensureAdminUser(t.db, "admin@switchyard.test", "admin-password");
  await createUser(t.db, { email: "viewer@switchyard.test", password: "viewer-password", role: "viewer" });
  await createUser(t.db, { email: "editor@switchyard.test", password: "editor-password", role: "editor" });
  const restHandler = createRestHandler({ db: t.db, apiToken: ENV_TOKEN, log });
  const trpcHandler = createTrpcHandler({ db: t.db, log });
  server = createServer((req, res) => {
    void restHandler(req, res).then((handled) => {
      if (!handled) trpcHandler(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  xds = await attachXdsServer(server, { db: t.db, databaseUrl: t.url, log, guardIntervalMs: 0 });
  adminCookie = await login("admin@switchyard.test", "admin-password");
  viewerCookie = await login("viewer@switchyard.test", "viewer-password");
  editorCookie = await login("editor@switchyard.test", "editor-password");
  // A config with a TLS secret, published, so every read path has a private key to leak.
  const config = makeConfig({
    clusters: [makeCluster({ endpoints: [{ address: "127.0.0.1", port: 9999 }] })],
    secrets: [{ name: "shop-cert", type: "tlsCertificate", certificate: certificate.cert, privateKey: certificate.key }],
  });
  expect((await rest("/config", { method: "PUT", token: ENV_TOKEN, json: config })).status).toBe(200);
  expect((await rest("/versions", { method: "POST", token: ENV_TOKEN, json: { message: "with a certificate" } })).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await xds?.close();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await t?.drop();
});

const route = { routeConfig: "main", virtualHost: "all", domains: ["*"], route: { name: "sec-ping", match: { path: "/sec" }, directResponse: { status: 200, body: "ok" } } };

describe("roles", () => {
  it("a viewer can read but not mutate through tRPC (403) nor with its API token through REST (403)", async () => {
    expect((await trpc("routes.list", undefined, { query: true, cookie: viewerCookie })).status).toBe(200);
    const create = await trpc("routes.create", route, { cookie: viewerCookie });
    expect(create.status).toBe(403);
    expect(create.body.error?.message).toContain("needs the editor role");
    expect((await trpc("versions.publish", { message: "nope" }, { cookie: viewerCookie })).status).toBe(403);
    expect((await trpc("users.list", undefined, { query: true, cookie: viewerCookie })).status).toBe(403);

    // A viewer may hold read tokens only; a write token is refused at creation.
    const writeToken = await trpc("tokens.createApi", { name: "ci", scope: "write" }, { cookie: viewerCookie });
    expect(writeToken.status).toBe(403);
    const readToken = await trpc("tokens.createApi", { name: "dash", scope: "read" }, { cookie: viewerCookie });
    expect(readToken.status).toBe(200);
    const token = (readToken.body as { result: { data: { token: string } } }).result.data.token;
    expect((await rest("/config", { token })).status).toBe(200);
    const put = await rest("/config", { method: "PUT", token, json: makeConfig() });
    expect(put.status).toBe(403);
    expect(put.body.code).toBe("FORBIDDEN");
    expect((await rest("/versions", { method: "POST", token, json: { message: "x" } })).status).toBe(403);
    // A dry run is not a change: read tokens may validate.
    expect((await rest("/config/validate", { method: "POST", token, json: makeConfig() })).status).toBe(200);
  });

  it("an editor mutates config but cannot manage users or node tokens", async () => {
    expect((await trpc("routes.create", route, { cookie: editorCookie })).status).toBe(200);
    expect((await trpc("users.create", { email: "x@y.z", password: "12345678", role: "admin" }, { cookie: editorCookie })).status).toBe(403);
    expect((await trpc("tokens.createNode", { name: "n", group: "g" }, { cookie: editorCookie })).status).toBe(403);
  });
});

describe("sessions", () => {
  it("sets an httpOnly SameSite session cookie and a CSRF cookie; mutations without the CSRF header get 403", async () => {
    const res = await trpc("auth.login", { email: "editor@switchyard.test", password: "editor-password" });
    expect(res.setCookie[0]).toMatch(/^swy_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax/);
    expect(res.setCookie[1]).toMatch(/^swy_csrf=[^;]+; Path=\/; SameSite=Strict/);
    const noCsrf = await trpc("routes.delete", { routeConfig: "main", virtualHost: "all", name: "sec-ping" }, { cookie: editorCookie, csrf: false });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.error?.message).toContain("CSRF");
    // Queries need no CSRF header (they change nothing).
    expect((await trpc("routes.list", undefined, { query: true, cookie: editorCookie, csrf: false })).status).toBe(200);
  });

  it("backs off a source after 5 failed logins (429 from that address), audited with the address", async () => {
    await createUser(t.db, { email: "target@switchyard.test", password: "right-password", role: "viewer" });
    for (let i = 0; i < 5; i++) expect((await trpc("auth.login", { email: "target@switchyard.test", password: `wrong-${i}` })).status).toBe(401);
    // Per source, not per account: test/hardening/console-auth.test.ts logs the same account in from another address.
    const limited = await trpc("auth.login", { email: "target@switchyard.test", password: "right-password" });
    expect(limited.status).toBe(429);
    expect(limited.body.error?.message).toContain("too many failed logins");
    const failed = await listAudit(t.db, { action: "auth.login_failed", target: "target@switchyard.test" });
    expect(failed).toHaveLength(5);
    expect(failed[0]?.ip).toMatch(/127\.0\.0\.1/);
  });
});

describe("user management", () => {
  it("admins create users, change roles and passwords, delete them; the last admin stays", async () => {
    const created = await trpc("users.create", { email: "new@switchyard.test", password: "new-password", role: "viewer" }, { cookie: adminCookie });
    expect(created.status).toBe(200);
    const id = (created.body as { result: { data: { id: string } } }).result.data.id;
    const dup = await trpc("users.create", { email: "new@switchyard.test", password: "new-password", role: "viewer" }, { cookie: adminCookie });
    expect(dup.status).toBe(409);
    const short = await trpc("users.create", { email: "short@switchyard.test", password: "123", role: "viewer" }, { cookie: adminCookie });
    // A mutation's input is a request body: VALIDATION, 422 (as a REST body is).
    expect(short.status).toBe(422);
    expect(JSON.stringify(short.body)).toContain('"path":"password"');
    expect((await trpc("users.update", { id, role: "editor" }, { cookie: adminCookie })).status).toBe(200);
    const users = (await trpc("users.list", undefined, { query: true, cookie: adminCookie })).body as { result: { data: { email: string; role: string }[] } };
    expect(users.result.data.find((u) => u.email === "new@switchyard.test")?.role).toBe("editor");
    // Never a password hash in the answer.
    expect(JSON.stringify(users)).not.toContain("scrypt$");
    const admins = users.result.data.filter((u) => u.role === "admin");
    expect(admins).toHaveLength(1);
    const adminId = (users.result.data as unknown as { id: string; role: string }[]).find((u) => u.role === "admin")!.id;
    expect((await trpc("users.update", { id: adminId, role: "viewer" }, { cookie: adminCookie })).status).toBe(409);
    expect((await trpc("users.delete", { id }, { cookie: adminCookie })).status).toBe(200);
    const actions = (await listAudit(t.db, { actionPrefix: "user." })).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["user.create", "user.update", "user.delete"]));
  });
});

describe("API tokens", () => {
  it("are shown once, stored hashed, scoped, revocable, with last-used time", async () => {
    const res = await trpc("tokens.createApi", { name: "deploy-bot", scope: "write" }, { cookie: editorCookie });
    const { token, record } = (res.body as { result: { data: { token: string; record: { id: string; prefix: string } } } }).result.data;
    expect(token).toMatch(/^swy_pat_/);
    const row = await t.db.prisma.apiToken.findUniqueOrThrow({ where: { id: record.id } });
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row.lastUsedAt).toBeNull();
    // The list never shows the token again.
    const list = await trpc("tokens.listApi", undefined, { query: true, cookie: editorCookie });
    expect(JSON.stringify(list.body)).not.toContain(token);

    const put = await rest("/config", { token });
    expect(put.status).toBe(200);
    const etag = put.headers.get("etag")!;
    const config = JSON.parse(put.text) as Record<string, unknown>;
    expect((await rest("/config", { method: "PUT", token, json: config, headers: { "if-match": etag } })).status).toBe(200);
    const used = await t.db.prisma.apiToken.findUniqueOrThrow({ where: { id: record.id } });
    expect(used.lastUsedAt).not.toBeNull();
    // Audited under the token's owner.
    const replaced = await listAudit(t.db, { action: "config.replace", limit: 1 });
    expect(replaced[0]?.actor).toBe("editor@switchyard.test (token deploy-bot)");

    expect((await trpc("tokens.revokeApi", { id: record.id }, { cookie: editorCookie })).status).toBe(200);
    const after = await rest("/config", { token });
    expect(after.status).toBe(401);
    const events = (await listAudit(t.db, { actionPrefix: "api_token." })).map((a) => a.action);
    expect(events).toEqual(expect.arrayContaining(["api_token.create", "api_token.revoke"]));
  });
});

describe("node tokens", () => {
  it("once one exists, nodes need a valid token of their group; refused nodes are logged, audited and listed", async () => {
    const { token, record } = await createNodeToken(t.db, { name: "edge", group: "edge", actor: "admin@switchyard.test" });
    await expect(connectNode(`${base.replace("http", "ws")}/api/xds`)).rejects.toThrow("HTTP 401");
    await expect(connectNode(`${base.replace("http", "ws")}/api/xds`, { authorization: "Bearer swy_node_wrong" })).rejects.toThrow("HTTP 401");

    const ok = await connectNode(`${base.replace("http", "ws")}/api/xds`, { authorization: `Bearer ${token}` });
    ok.send(helloFrame("edge-1", "edge"));
    await waitFor(() => ok.snapshots()[0], "snapshot for the edge node");

    // A token of group "edge" does not admit a node claiming group "core".
    const wrongGroup = await connectNode(`${base.replace("http", "ws")}/api/xds`, { authorization: `Bearer ${token}` });
    wrongGroup.send(helloFrame("core-1", "core"));
    await waitFor(() => wrongGroup.closed, "wrong group closed");
    expect(wrongGroup.closed?.code).toBe(4003);

    await revokeNodeToken(t.db, record.id, { actor: "admin@switchyard.test" });
    await expect(connectNode(`${base.replace("http", "ws")}/api/xds`, { authorization: `Bearer ${token}` })).rejects.toThrow("HTTP 401");
    ok.close();

    const refusals = (await trpc("nodes.refusals", undefined, { query: true, cookie: viewerCookie })).body as { result: { data: { reason: string; nodeId: string | null }[] } };
    const reasons = refusals.result.data.map((r) => r.reason);
    expect(reasons).toEqual(expect.arrayContaining(["missing Authorization: Bearer <node token>", "unknown or revoked node token", 'its node token admits group "edge", not "core"']));
    expect(logLines.some((l) => l.includes('"event":"xds_unauthorized"'))).toBe(true);
  });
});

describe("audit log", () => {
  it("is filterable by actor and action family and cannot be changed", async () => {
    const rows = (await trpc("audit.list", { action: "version.", actor: "api-token" }, { query: true, cookie: viewerCookie })).body as {
      result: { data: { action: string; actor: string; details: { diff?: string[] } }[] };
    };
    expect(rows.result.data.length).toBeGreaterThan(0);
    expect(rows.result.data.every((r) => r.action.startsWith("version.") && r.actor === "api-token")).toBe(true);
    const client = new pg.Client({ connectionString: t.url });
    await client.connect();
    try {
      await expect(client.query(`UPDATE "AuditLog" SET actor = 'x'`)).rejects.toThrow();
      await expect(client.query(`DELETE FROM "AuditLog"`)).rejects.toThrow();
    } finally {
      await client.end();
    }
  });
});

describe("secrets", () => {
  const keyBody = () => certificate.key.split("\n").slice(1, -2).join("");

  it("are encrypted at rest (working config and version snapshots)", async () => {
    const client = new pg.Client({ connectionString: t.url });
    await client.connect();
    try {
      const secret = await client.query<{ privateKey: string }>(`SELECT spec->>'privateKey' AS "privateKey" FROM "ConfigResource" WHERE kind = 'secrets'`);
      expect(secret.rows[0]?.privateKey).toMatch(/^enc:v1:[0-9a-f]{8}:/);
      const versions = await client.query<{ snapshot: unknown }>(`SELECT snapshot FROM "ConfigVersion"`);
      const dump = JSON.stringify(versions.rows) + JSON.stringify(secret.rows);
      expect(dump).not.toContain(keyBody().slice(0, 40));
      expect(dump).not.toContain("PRIVATE KEY");
    } finally {
      await client.end();
    }
    // And still served to proxies in clear (the snapshot decrypts).
    expect((await getVersion(t.db, 1))?.config.secrets[0]).toMatchObject({ privateKey: certificate.key });
  });

  it("never appear in an API response, a tRPC answer or a log line; certificates show subject, SANs, fingerprint, expiry", async () => {
    const responses: string[] = [];
    for (const path of ["/config", "/versions", "/versions/1", "/versions/1?format=yaml", "/versions/1/diff/2", "/nodes", "/secrets", "/audit?limit=1000", "/rollouts"]) {
      const r = await rest(path, { token: ENV_TOKEN });
      responses.push(r.text);
    }
    responses.push((await rest("/config", { token: ENV_TOKEN, headers: { accept: "application/yaml" } })).text);
    responses.push((await rest("/config/validate", { method: "POST", token: ENV_TOKEN, json: JSON.parse(responses[0]!) })).text);
    for (const [path, input] of [
      ["versions.pendingDiff", undefined],
      ["versions.list", undefined],
      ["nodes.list", undefined],
      ["audit.list", { limit: 500 }],
      ["certificates.list", undefined],
      ["rollouts.list", undefined],
      ["resources.list", { kind: "clusters" }],
      ["routes.list", undefined],
      // The resource pages (issue #6) read secrets too.
      ["resources.list", { kind: "secrets" }],
      ["resources.get", { kind: "secrets", name: "shop-cert" }],
      ["versions.get", { version: 1 }],
      ["versions.compare", { a: 1, b: 1 }],
      // The structural diffs carry values (issue #19): a private key must show as redacted.
      ["versions.pendingChanges", undefined],
      ["config.export", undefined],
      ["overview.get", undefined],
    ] as const) {
      const r = await trpc(path, input, { query: true, cookie: adminCookie });
      expect(r.status, path).toBe(200);
      responses.push(JSON.stringify(r.body));
    }
    const all = responses.join("\n") + logLines.join("\n");
    expect(all).not.toContain(keyBody().slice(0, 40));
    expect(all).not.toContain("PRIVATE KEY");

    const secrets = (await rest("/secrets", { token: ENV_TOKEN })).body as unknown as Record<string, unknown>[];
    const x509 = new X509Certificate(certificate.cert);
    expect(secrets[0]).toMatchObject({
      name: "shop-cert",
      hasPrivateKey: true,
      subject: "CN=shop.example.com",
      sans: ["DNS:shop.example.com", "DNS:www.shop.example.com"],
      fingerprintSha256: x509.fingerprint256,
      expiresSoon: true,
      expired: false,
    });
    expect(secrets[0]?.daysLeft).toBeGreaterThanOrEqual(8);
  });
});
