/**
 * Issue #20 item 5: leaks and small holes found as a viewer / anonymous caller. Before: a
 * private key pasted into a certificate field was stored unsealed and shown to viewers;
 * the login page followed `next=/\host` and `next=/%09/host` off-site; a failed login
 * stored the typed "e-mail" (often a password) in the audit log viewers read; logout
 * without the CSRF header answered ok and kept the session; five bad logins from anywhere
 * locked the real admin out; tRPC parsed a 50 MiB anonymous body; pages could be framed.
 */
import { generateKeyPairSync } from "node:crypto";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUDIT_ACTIONS, createSession, createUser, getSessionUser, listAudit } from "@switchyard/db";
import { safeNextPath } from "../../apps/web/src/lib/safe-next.ts";
import { startConsoleCore, type TBody, type TConsoleCore } from "./helpers/console-core.ts";

let core: TConsoleCore;
beforeAll(async () => {
  core = await startConsoleCore();
});
afterAll(async () => {
  await core?.close();
});

const KEY = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUX\n-----END CERTIFICATE-----\n";

function configWith(extra: { secrets?: unknown[]; body?: string }) {
  return {
    listeners: [],
    routeConfigs: [
      { name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "ping", match: { path: "/ping" }, directResponse: { status: 200, body: extra.body ?? "ok" } }] }] },
    ],
    clusters: [],
    secrets: extra.secrets ?? [],
    rateLimitPolicies: [],
  };
}

/** A tRPC mutation sent from `localAddress` (loopback has every 127.x address), like a client elsewhere. */
function trpcFrom(localAddress: string, path: string, input: unknown): Promise<{ status: number; body: TBody }> {
  const body = JSON.stringify(input);
  const url = new URL(`${core.url}/api/trpc/${path}`);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", localAddress, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } }, (res) => {
      let text = "";
      res.on("data", (d: Buffer) => (text += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as TBody) : undefined }));
    });
    req.once("error", reject);
    req.end(body);
  });
}

describe("private keys live only in a secret's privateKey", () => {
  it("a cert+key bundle in certificate, a key in a caBundle and a key in a response body are refused with their paths", async () => {
    const bundle = await core.rest("PUT", "/config", {
      contentType: "application/json",
      body: JSON.stringify(configWith({ secrets: [{ name: "site", type: "tlsCertificate", certificate: CERT + KEY, privateKey: KEY }] })),
    });
    expect(bundle.status, bundle.text).toBe(422);
    expect(bundle.body.issues.map((i: TBody) => i.path)).toEqual(["secrets[0].certificate"]);
    const ca = await core.rest("PUT", "/config", { contentType: "application/json", body: JSON.stringify(configWith({ secrets: [{ name: "ca", type: "caBundle", certificate: CERT + KEY }] })) });
    expect(ca.status).toBe(422);
    expect(ca.body.issues[0].path).toBe("secrets[0].certificate");
    const body = await core.rest("PUT", "/config", { contentType: "application/json", body: JSON.stringify(configWith({ body: KEY })) });
    expect(body.status).toBe(422);
    expect(body.body.issues[0].path).toMatch(/directResponse\.body$/);
    // Nothing of the key is readable afterwards.
    const read = await core.rest("GET", "/config", { token: core.viewer.token });
    expect(read.text).not.toContain("PRIVATE KEY");
  });
});

describe("login", () => {
  it("follows only this console's paths after login", () => {
    for (const attack of ["/\\evil.example", "/%09/evil.example", "/%5Cevil.example", "/%2F/evil.example", "//evil.example", "/\t/evil.example", "https://evil.example", "/%0a/evil.example"]) {
      expect(safeNextPath(attack), attack).toBe("/overview");
    }
    expect(safeNextPath("/routes?rc=main#x")).toBe("/routes?rc=main#x");
    expect(safeNextPath(null)).toBe("/overview");
  });

  it("a failed login stores the typed e-mail only when it is a user's address", async () => {
    await createUser(core.database.db, { email: "known@switchyard.test", password: "known-password-1", role: "viewer" });
    const typedPassword = "Hunter2-typed-in-the-wrong-field";
    expect((await trpcFrom("127.0.0.3", "auth.login", { email: typedPassword, password: "x" })).status).toBe(401);
    expect((await trpcFrom("127.0.0.3", "auth.login", { email: "known@switchyard.test", password: "wrong" })).status).toBe(401);
    const failed = await listAudit(core.database.db, { action: AUDIT_ACTIONS.loginFailed });
    expect(JSON.stringify(failed)).not.toContain(typedPassword);
    expect(failed.map((f) => f.target)).toContain("known@switchyard.test");
    expect(failed.some((f) => f.actor === "(unknown user)" && f.target === null)).toBe(true);
  });

  it("bad logins back off their own source; the real admin elsewhere still logs in", async () => {
    await createUser(core.database.db, { email: "admin2@switchyard.test", password: "right-password-1", role: "admin" });
    for (let i = 0; i < 5; i++) expect((await trpcFrom("127.0.0.2", "auth.login", { email: "admin2@switchyard.test", password: `wrong-${i}` })).status).toBe(401);
    const attacker = await trpcFrom("127.0.0.2", "auth.login", { email: "admin2@switchyard.test", password: "right-password-1" });
    expect(attacker.status).toBe(429);
    expect(attacker.body.error.message).toMatch(/from your address/);
    const admin = await trpcFrom("127.0.0.4", "auth.login", { email: "admin2@switchyard.test", password: "right-password-1" });
    expect(admin.status).toBe(200);
    // The wait doubles with each further failure from that source.
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await trpcFrom("127.0.0.2", "auth.login", { email: "admin2@switchyard.test", password: "wrong-again" })).status).toBe(401);
    const next = await trpcFrom("127.0.0.2", "auth.login", { email: "admin2@switchyard.test", password: "wrong-again" });
    expect(next.status).toBe(429);
    expect(next.body.error.data.details.retryAfterS).toBeGreaterThanOrEqual(2);
  });

  it("logout without the CSRF header is refused and the session stays valid", async () => {
    const user = await createUser(core.database.db, { email: "out@switchyard.test", password: "out-password-1", role: "viewer" });
    const { token } = await createSession(core.database.db, user.id);
    const forged = await core.trpc("mutation", "auth.logout", undefined, { session: token, csrf: false });
    expect(forged.status).toBe(403);
    expect(forged.headers.get("set-cookie") ?? "").not.toMatch(/swy_session=;/);
    expect(await getSessionUser(core.database.db, token)).not.toBeNull();
    const real = await core.trpc("mutation", "auth.logout", undefined, { session: token });
    expect(real.status).toBe(200);
    expect(await getSessionUser(core.database.db, token)).toBeNull();
  });
});

describe("the console's other edges", () => {
  it("tRPC refuses a body over the REST limit before parsing it (413)", async () => {
    const huge = JSON.stringify({ email: "a@b.c", password: "x".repeat(6 * 1024 * 1024) });
    const started = Date.now();
    const res = await fetch(`${core.url}/api/trpc/auth.login`, { method: "POST", headers: { "content-type": "application/json" }, body: huge });
    await res.arrayBuffer();
    expect(res.status).toBe(413);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("no response may be framed by another site", async () => {
    for (const path of ["/login", "/api/v1/healthz", "/api/trpc/auth.me"]) {
      const res = await fetch(`${core.url}${path}`);
      await res.arrayBuffer();
      expect(res.headers.get("content-security-policy"), path).toBe("frame-ancestors 'none'");
      expect(res.headers.get("x-frame-options"), path).toBe("DENY");
    }
  });
});
