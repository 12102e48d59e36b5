import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../helpers/start-proxy.ts";
import { startUpstream, type TEcho, type TUpstream } from "../helpers/start-upstream.ts";

/** CORS, jwtAuthn (inline and remote JWKS) and RBAC on real listeners with a real upstream. */
let up: TUpstream;
let jwksServer: Server;
let jwksHits = 0;
let proxy: TProxyProcess;
let base: string;
let remoteBase: string;
let sign: (claims: Record<string, unknown>, opts?: { iss?: string; aud?: string; exp?: string }) => Promise<string>;

beforeAll(async () => {
  up = await startUpstream("app");
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" };
  const jwks = JSON.stringify({ keys: [jwk] });
  sign = (claims, o = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuer(o.iss ?? "https://issuer.test")
      .setAudience(o.aud ?? "api")
      .setIssuedAt()
      .setExpirationTime(o.exp ?? "5m")
      .sign(privateKey);
  jwksServer = createServer((_req, res) => {
    jwksHits++;
    res.writeHead(200, { "content-type": "application/json" }).end(jwks);
  });
  await new Promise<void>((r) => jwksServer.listen(0, "127.0.0.1", r));
  const port = await freePort();
  const remotePort = await freePort();
  base = `http://127.0.0.1:${port}`;
  remoteBase = `http://127.0.0.1:${remotePort}`;
  const routeConfigs = [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "app", match: { prefix: "/" }, route: { cluster: "app" } }] }] }];
  proxy = await startProxy({
    config: {
      listeners: [
        {
          name: "secured",
          address: "127.0.0.1",
          port,
          routeConfig: "main",
          httpFilters: [
            { type: "cors", allowOrigins: ["https://app.example.com"], allowMethods: ["GET", "PUT"], allowHeaders: ["authorization"], allowCredentials: true },
            { type: "jwtAuthn", issuer: "https://issuer.test", audiences: ["api"], jwks: { inline: jwks }, claimToHeaders: [{ claim: "sub", header: "x-user" }], allowMissing: true },
            {
              type: "rbac",
              rules: [
                { allow: true, paths: ["/public"] },
                { allow: false, principals: [{ jwtClaim: { name: "role", value: "banned" } }] },
                { allow: true, principals: [{ jwtClaim: { name: "role", value: "admin" } }] },
                { allow: true, methods: ["GET"], paths: ["/internal"], principals: [{ sourceIp: "127.0.0.0/8" }], headers: [{ name: "x-team", exact: "core" }] },
              ],
            },
          ],
        },
        {
          name: "remote",
          address: "127.0.0.1",
          port: remotePort,
          routeConfig: "main",
          httpFilters: [{ type: "jwtAuthn", issuer: "https://issuer.test", jwks: { remote: { url: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`, cacheDurationMs: 60000 } }, forward: true }],
        },
      ],
      routeConfigs,
      clusters: [{ name: "app", endpoints: [{ address: "127.0.0.1", port: up.port }] }],
    },
  });
});

afterAll(async () => {
  await proxy?.stop();
  await up?.close();
  jwksServer?.close();
});

describe("CORS", () => {
  it("answers a preflight locally and decorates responses for allowed origins only", async () => {
    const seen = up.seen.length;
    const pre = await fetch(`${base}/public/x`, { method: "OPTIONS", headers: { origin: "https://app.example.com", "access-control-request-method": "PUT" } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(pre.headers.get("access-control-allow-methods")).toBe("GET, PUT");
    expect(pre.headers.get("access-control-allow-credentials")).toBe("true");
    expect(up.seen.length).toBe(seen);
    const ok = await fetch(`${base}/public/x`, { headers: { origin: "https://app.example.com" } });
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const evil = await fetch(`${base}/public/x`, { headers: { origin: "https://evil.example" } });
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
  });
});

describe("JWT authn + RBAC", () => {
  it("401 with WWW-Authenticate for a bad token (wrong audience, expired, garbage)", async () => {
    for (const token of [await sign({ sub: "u" }, { aud: "other" }), await sign({ sub: "u" }, { exp: "-1m" }), "garbage"]) {
      const r = await fetch(`${base}/public/x`, { headers: { authorization: `Bearer ${token}` } });
      expect(r.status).toBe(401);
      expect(r.headers.get("www-authenticate")).toMatch(/^Bearer realm="switchyard", error="invalid_token"/);
      expect(r.headers.get("x-switchyard-response-flags")).toBe("UAEX");
    }
  });

  it("a valid token: claims forwarded as headers, Authorization removed, forged claim headers dropped; RBAC by claim", async () => {
    const token = await sign({ sub: "alice", role: "admin" });
    const r = await fetch(`${base}/admin/x`, { headers: { authorization: `Bearer ${token}`, "x-user": "mallory" } });
    expect(r.status).toBe(200);
    const echo = (await r.json()) as TEcho;
    expect(echo.headers["x-user"]).toBe("alice");
    expect(echo.headers.authorization).toBeUndefined();
    const banned = await fetch(`${base}/admin/x`, { headers: { authorization: `Bearer ${await sign({ sub: "bob", role: "banned" })}` } });
    expect(banned.status).toBe(403);
    expect(banned.headers.get("x-switchyard-response-flags")).toBe("RBAC");
    // jwtAuthn's claims are request metadata: rbac read them, and so does the access log.
    await expect
      .poll(async () => (await proxy.accessLog()).find((l) => l.path === "/admin/x" && l.status === 200)?.metadata)
      .toMatchObject({ jwtAuthn: { claims: { sub: "alice", role: "admin", iss: "https://issuer.test" } } });
  });

  it("RBAC: no matching rule denies; source CIDR + method + path + header rule allows", async () => {
    expect((await fetch(`${base}/admin/x`)).status).toBe(403);
    expect((await fetch(`${base}/internal/x`, { headers: { "x-team": "core" } })).status).toBe(200);
    expect((await fetch(`${base}/internal/x`, { headers: { "x-team": "other" } })).status).toBe(403);
    expect((await fetch(`${base}/internal/x`, { method: "POST", headers: { "x-team": "core" } })).status).toBe(403);
    await proxy.waitForAccessLog((l) => l.path === "/admin/x" && l.status === 403 && l.responseFlags === "RBAC");
  });

  it("remote JWKS: fetched once and cached; missing token -> 401", async () => {
    expect((await fetch(`${remoteBase}/x`)).status).toBe(401);
    const token = await sign({ sub: "carol" });
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${remoteBase}/x`, { headers: { authorization: `Bearer ${token}` } });
      expect(r.status).toBe(200);
      expect(((await r.json()) as TEcho).headers.authorization).toBe(`Bearer ${token}`);
    }
    expect(jwksHits).toBe(1);
  });
});
