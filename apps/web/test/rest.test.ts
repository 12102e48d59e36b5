import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { hashConfig, parseConfig, REDACTED, UNSUPPORTED_MESSAGE, ZHelloMessage } from "@switchyard/config-model";
import { makeCluster, makeConfig, makeListener, makeRoute, makeRouteConfig, makeVirtualHost } from "@switchyard/config-model/testing";
import { getWorkingConfig, listNodes, recordNodeDisconnected, recordNodeHello } from "@switchyard/db";
import { startCpServer, type TCpServer } from "./helpers/cp-server.ts";
import { createPki } from "../../proxy/test/helpers/certs.ts";

let cp: TCpServer;

beforeAll(async () => {
  cp = await startCpServer();
}, 120_000);

afterAll(async () => {
  await cp?.close();
});

const CERT = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\nMIIEsecret\n-----END PRIVATE KEY-----\n";

function configWithCluster(cluster: string, port = 9000) {
  return makeConfig({
    routeConfigs: [makeRouteConfig({ virtualHosts: [makeVirtualHost({ routes: [makeRoute({ route: { cluster } })] })] })],
    clusters: [makeCluster({ name: "backend", endpoints: [{ address: "127.0.0.1", port }] })],
  });
}

const UNKNOWN_CLUSTER_ISSUE = { path: "routeConfigs[0].virtualHosts[0].routes[0].route.cluster", message: 'unknown cluster "userz"' };

describe("REST API: authentication and routing", () => {
  it("serves /healthz without a token while the database answers", async () => {
    const res = await cp.api("/healthz", { token: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
  });

  it("refuses a missing or wrong token with 401 JSON, on known and unknown routes alike", async () => {
    for (const token of [null, "wrong-token", ""]) {
      const res = await cp.api("/config", { token });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
      expect(res.body.error).toMatch(/token|Authorization/);
    }
    expect((await cp.api("/no-such-thing", { token: null })).status).toBe(401);
    const basic = await cp.api("/config", { token: null, headers: { authorization: "Basic dGVzdC1hcGktdG9rZW4=" } });
    expect(basic.status).toBe(401);
  });

  it("answers 404 JSON for unknown routes and 405 with Allow for wrong methods", async () => {
    const missing = await cp.api("/nope");
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe("NOT_FOUND");
    const wrong = await cp.api("/config", { method: "DELETE" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, PUT, HEAD");
    const wrongVersions = await cp.api("/versions/1/rollback");
    expect(wrongVersions.status).toBe(405);
    expect(wrongVersions.headers.get("allow")).toBe("POST");
  });

  it("leaves paths outside /api/v1 to the next handler", async () => {
    const res = await fetch(`${cp.url}/api/v10/config`);
    expect(res.status).toBe(418);
    expect(await res.text()).toBe("not the REST API");
  });

  it("serves the metrics and traces endpoints (token required; bad queries name the parameter)", async () => {
    for (const path of ["/metrics/routes?window=60", "/metrics/clusters?window=60", "/traces"]) {
      expect((await cp.api(path, { token: null })).status).toBe(401);
      expect((await cp.api(path)).status).toBe(200);
    }
    expect((await cp.api("/metrics/routes")).body).toMatchObject({ window: 300, routes: [] });
    expect((await cp.api("/traces?limit=5")).body).toEqual({ traces: [] });
    const badWindow = await cp.api("/metrics/clusters?window=0");
    expect(badWindow.status).toBe(400);
    expect(badWindow.body.error).toBe("window: must be >= 1");
    const badStatus = await cp.api("/traces?status=abc");
    expect(badStatus.status).toBe(400);
    expect(String(badStatus.body.error)).toMatch(/^status: /);
    expect((await cp.api(`/traces/${"a".repeat(32)}`)).status).toBe(404);
    expect((await cp.api("/traces/not-hex")).status).toBe(400);
  });

  it("says SWITCHYARD_API_TOKEN is not set when the console has no API token and the token is unknown", async () => {
    const noToken = await startCpServer({ apiToken: null, database: cp.database });
    try {
      const res = await noToken.api("/config", { token: "anything" });
      expect(res.status).toBe(401);
      expect(res.body.error).toContain("SWITCHYARD_API_TOKEN is not set");
      expect((await noToken.api("/healthz", { token: null })).status).toBe(200);
    } finally {
      await noToken.close();
    }
  });
});

describe("REST API: working config", () => {
  it("GET /config returns the (empty) working config with its revision as ETag", async () => {
    const res = await cp.api("/config");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ listeners: [], routeConfigs: [], clusters: [], secrets: [], rateLimitPolicies: [] });
    expect(res.headers.get("etag")).toMatch(/^"\d+"$/);
  });

  it("PUT /config (JSON) stores a valid config and answers its revision and hash", async () => {
    const input = configWithCluster("backend");
    const res = await cp.api("/config", { method: "PUT", json: input });
    expect(res.status).toBe(200);
    expect(res.body.hash).toBe(hashConfig(parseConfig(input)));
    expect(res.headers.get("etag")).toBe(`"${res.body.revision}"`);
    const get = await cp.api("/config");
    expect(get.headers.get("etag")).toBe(`"${res.body.revision}"`);
    expect(hashConfig(get.body)).toBe(res.body.hash);
  });

  it("PUT /config refuses an unknown cluster with 422 and the JSON path, storing nothing", async () => {
    const before = await cp.api("/config");
    const res = await cp.api("/config", { method: "PUT", json: configWithCluster("userz") });
    expect(res.status).toBe(422);
    expect(res.body.error).toBe("invalid config");
    expect(res.body.issues).toContainEqual(UNKNOWN_CLUSTER_ISSUE);
    const after = await cp.api("/config");
    expect(after.body).toEqual(before.body);
    expect(after.headers.get("etag")).toBe(before.headers.get("etag"));
  });

  it("PUT /config and POST /config/validate refuse what every proxy would refuse (issue #15): a CR/LF header value, an unsupported combination", async () => {
    const before = await cp.api("/config");
    const crlf = makeConfig({
      routeConfigs: [makeRouteConfig({ virtualHosts: [makeVirtualHost({ routes: [makeRoute({ route: { cluster: "backend", hostRewrite: "a\r\nb" } })] })] })],
    });
    const hostRewrite = { path: "routeConfigs[0].virtualHosts[0].routes[0].route.hostRewrite", message: expect.stringContaining("valid HTTP header value") };
    for (const path of ["/config", "/config/validate"]) {
      const res = await cp.api(path, { method: path === "/config" ? "PUT" : "POST", json: crlf });
      expect(res.status).toBe(422);
      expect(res.body.issues).toEqual([hostRewrite]);
    }
    // The same value written as YAML (a double-quoted escape), as `switchyard config apply` sends it.
    const yaml = await cp.api("/config", { method: "PUT", body: stringifyYaml(crlf), headers: { "content-type": "application/yaml" } });
    expect(yaml.status).toBe(422);
    expect(yaml.body.issues).toEqual([expect.objectContaining({ path: hostRewrite.path })]);
    const h2dns = makeConfig({ clusters: [makeCluster({ discovery: "logicalDns", protocol: "http2", endpoints: [{ address: "localhost", port: 80 }] })] });
    const unsupported = await cp.api("/config", { method: "PUT", json: h2dns });
    expect(unsupported.status).toBe(422);
    expect(unsupported.body.issues).toEqual([{ path: "clusters[0].protocol", message: UNSUPPORTED_MESSAGE }]);
    expect((await cp.api("/config")).headers.get("etag")).toBe(before.headers.get("etag"));
  });

  it("PUT /config refuses an https listener whose certificate does not load with its key, at the field (issue #15)", async () => {
    const pki = await createPki();
    try {
      const [a, b] = await Promise.all([pki.issue("a", ["DNS:a.test"]), pki.issue("b", ["DNS:b.test"])]);
      const withKey = (privateKey: string) =>
        makeConfig({
          listeners: [makeListener({ protocol: "https", port: 8443, tls: { certificates: ["site"] } })],
          secrets: [{ name: "site", type: "tlsCertificate", certificate: a.cert, privateKey }],
        });
      const refused = await cp.api("/config", { method: "PUT", json: withKey(b.key) });
      expect(refused.status).toBe(422);
      expect(refused.body.issues).toEqual([{ path: "listeners[0].tls.certificates[0]", message: expect.stringMatching(/^secret "site": unusable certificate\/key/) }]);
      expect((await cp.api("/config/validate", { method: "POST", json: withKey(b.key) })).status).toBe(422);
      expect((await cp.api("/config", { method: "PUT", json: withKey(a.key) })).status).toBe(200);
    } finally {
      await pki.cleanup();
    }
  });

  it("PUT /config reports schema errors with their paths", async () => {
    const res = await cp.api("/config", { method: "PUT", json: { clusters: [{ name: "x", endpoints: [{ address: "a", port: 70000 }] }], bogus: 1 } });
    expect(res.status).toBe(422);
    const paths = res.body.issues.map((i: { path: string }) => i.path);
    expect(paths).toContain("clusters[0].endpoints[0].port");
  });

  it("HEAD /config answers the headers of GET without a body", async () => {
    const get = await cp.api("/config");
    const head = await cp.api("/config", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.text).toBe("");
    expect(head.headers.get("etag")).toBe(get.headers.get("etag"));
  });

  it("GET /config speaks YAML on Accept: application/yaml or text/yaml", async () => {
    const json = await cp.api("/config");
    for (const accept of ["application/yaml", "text/yaml"]) {
      const res = await cp.api("/config", { headers: { accept } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("application/yaml");
      expect(res.headers.get("etag")).toBe(json.headers.get("etag"));
      expect(parseYaml(res.text)).toEqual(json.body);
    }
  });

  it("PUT /config accepts YAML and reports YAML issues with their line", async () => {
    const good = ["clusters:", "  - name: backend", "    endpoints:", "      - { address: 127.0.0.1, port: 9100 }", ""].join("\n");
    const ok = await cp.api("/config", { method: "PUT", body: good, headers: { "content-type": "application/yaml" } });
    expect(ok.status).toBe(200);
    expect((await cp.api("/config")).body.clusters[0].endpoints[0].port).toBe(9100);

    const bad = [
      "listeners:",
      "  - { name: public, address: 127.0.0.1, port: 8080, routeConfig: main }",
      "routeConfigs:",
      "  - name: main",
      "    virtualHosts:",
      "      - name: all",
      "        domains: ['*']",
      "        routes:",
      "          - name: r",
      "            match: { prefix: / }",
      "            route:",
      "              cluster: userz",
      "clusters: []",
      "",
    ].join("\n");
    const res = await cp.api("/config", { method: "PUT", body: bad, headers: { "content-type": "text/yaml" } });
    expect(res.status).toBe(422);
    expect(res.body.issues).toContainEqual({ ...UNKNOWN_CLUSTER_ISSUE, line: 12 });
    expect((await cp.api("/config")).body.clusters[0].endpoints[0].port).toBe(9100);
  });

  it("answers malformed JSON and YAML with 400 and the line", async () => {
    const json = await cp.api("/config", { method: "PUT", body: '{\n  "clusters": [\n    oops\n  ]\n}', headers: { "content-type": "application/json" } });
    expect(json.status).toBe(400);
    expect(json.body.code).toBe("MALFORMED_BODY");
    expect(json.body.issues[0].line).toBe(3);
    const trailing = await cp.api("/config", { method: "PUT", body: '{\n  "clusters": [],\n}', headers: { "content-type": "application/json" } });
    expect(trailing.status).toBe(400);
    expect(trailing.body.issues[0].line).toBe(3);
    const yaml = await cp.api("/config", { method: "PUT", body: "clusters:\n  - name: a\n   bad: [\n", headers: { "content-type": "application/yaml" } });
    expect(yaml.status).toBe(400);
    expect(yaml.body.error).toMatch(/line \d+/);
    expect(typeof yaml.body.issues[0].line).toBe("number");
  });

  it("refuses bodies over 5 MiB with 413 and unknown media types with 415", async () => {
    const big = JSON.stringify({ clusters: [], padding: "x".repeat(5 * 1024 * 1024) });
    const res = await cp.api("/config", { method: "PUT", body: big, headers: { "content-type": "application/json" } });
    expect(res.status).toBe(413);
    // Chunked upload without Content-Length is counted while reading.
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(`${cp.url}/api/v1/config`, {
        method: "PUT",
        headers: { authorization: `Bearer ${cp.apiToken}`, "content-type": "application/json", "transfer-encoding": "chunked" },
      });
      req.on("response", (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on("error", reject);
      const chunk = "x".repeat(1024 * 1024);
      for (let i = 0; i < 6; i++) req.write(chunk);
      req.end();
    });
    expect(chunked).toBe(413);
    const form = await cp.api("/config", { method: "PUT", body: "a=b", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(form.status).toBe(415);
  });

  it("PUT with a stale If-Match gets 409 with the current revision; a current one succeeds", async () => {
    const get = await cp.api("/config");
    const etag = get.headers.get("etag")!;
    const current = Number(JSON.parse(etag));
    const stale = await cp.api("/config", { method: "PUT", json: configWithCluster("backend", 9200), headers: { "if-match": `"${current - 1}"` } });
    expect(stale.status).toBe(409);
    expect(stale.body.currentRevision).toBe(current);
    expect(stale.headers.get("etag")).toBe(etag);
    expect((await cp.api("/config")).headers.get("etag")).toBe(etag);
    const garbage = await cp.api("/config", { method: "PUT", json: configWithCluster("backend", 9200), headers: { "if-match": "whatever" } });
    expect(garbage.status).toBe(409);
    const fresh = await cp.api("/config", { method: "PUT", json: configWithCluster("backend", 9200), headers: { "if-match": etag } });
    expect(fresh.status).toBe(200);
    expect(fresh.body.revision).toBeGreaterThan(current);
  });

  it("POST /config/validate answers the diff against the latest version and stores nothing", async () => {
    const before = await cp.api("/config");
    const res = await cp.api("/config/validate", { method: "POST", json: configWithCluster("backend", 9300) });
    expect(res.status).toBe(200);
    expect(res.body.valid).toBe(true);
    expect(res.body.diff.empty).toBe(false);
    // No version published yet in this file: everything is new.
    expect(res.body.diff.clusters.added).toEqual(["backend"]);
    const bad = await cp.api("/config/validate", { method: "POST", json: configWithCluster("userz") });
    expect(bad.status).toBe(422);
    expect(bad.body.issues).toContainEqual(UNKNOWN_CLUSTER_ISSUE);
    const empty = await cp.api("/config/validate", { method: "POST", body: "", headers: { "content-type": "application/json" } });
    expect(empty.status).toBe(422);
    const after = await cp.api("/config");
    expect(after.headers.get("etag")).toBe(before.headers.get("etag"));
    expect(after.body).toEqual(before.body);
  });

  it("redacts private keys on GET and keeps the stored key when a GET -> PUT round trip sends [redacted]", async () => {
    const input = { ...configWithCluster("backend"), secrets: [{ name: "site-cert", type: "tlsCertificate", certificate: CERT, privateKey: KEY }] };
    expect((await cp.api("/config", { method: "PUT", json: input })).status).toBe(200);
    const get = await cp.api("/config");
    expect(get.body.secrets[0].privateKey).toBe(REDACTED);
    expect(get.text).not.toContain("MIIEsecret");
    const yaml = await cp.api("/config", { headers: { accept: "application/yaml" } });
    expect(yaml.text).not.toContain("MIIEsecret");

    const edited = { ...get.body, clusters: [{ ...get.body.clusters[0], connectTimeoutMs: 1234 }] };
    const put = await cp.api("/config", { method: "PUT", json: edited });
    expect(put.status).toBe(200);
    const stored = await getWorkingConfig(cp.db);
    expect(stored.config.secrets[0]).toMatchObject({ name: "site-cert", privateKey: KEY });
    expect(stored.config.clusters[0]?.connectTimeoutMs).toBe(1234);

    const renamed = { ...get.body, secrets: [{ ...get.body.secrets[0], name: "other-cert" }] };
    const refused = await cp.api("/config", { method: "PUT", json: renamed });
    expect(refused.status).toBe(422);
    expect(refused.body.issues).toHaveLength(1);
    expect(refused.body.issues[0].path).toBe("secrets[0].privateKey");
    expect(refused.body.issues[0].message).toContain("other-cert");
  });
});

describe("REST API: versions", () => {
  let v1: number;
  let v2: number;

  it("POST /versions requires a message", async () => {
    for (const json of [{}, { message: "" }, { message: 42 }]) {
      const res = await cp.api("/versions", { method: "POST", json });
      expect(res.status).toBe(422);
      expect(res.body.issues[0].path).toBe("message");
    }
    const none = await cp.api("/versions", { method: "POST" });
    expect(none.status).toBe(422);
    expect(none.body.issues).toEqual([{ path: "message", message: "is required" }]);
  });

  it("POST /versions publishes the working config as 201 {version, hash}", async () => {
    const working = await getWorkingConfig(cp.db);
    const res = await cp.api("/versions", { method: "POST", json: { message: "first" } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ version: expect.any(Number), hash: hashConfig(working.config) });
    v1 = res.body.version;

    expect((await cp.api("/config", { method: "PUT", json: configWithCluster("backend", 9400) })).status).toBe(200);
    const second = await cp.api("/versions", { method: "POST", json: { message: "second" } });
    expect(second.status).toBe(201);
    v2 = second.body.version;
    expect(v2).toBe(v1 + 1);
  });

  it("GET /versions lists newest first, metadata only, and validates ?limit", async () => {
    const res = await cp.api("/versions");
    expect(res.status).toBe(200);
    expect(res.body.map((v: { version: number }) => v.version)).toEqual([v2, v1]);
    expect(res.body[0]).toMatchObject({ version: v2, message: "second", author: "api-token", parentVersion: v1 });
    expect(res.body[0].config).toBeUndefined();
    expect((await cp.api("/versions?limit=1")).body).toHaveLength(1);
    const bad = await cp.api("/versions?limit=zero");
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0].path).toBe("limit");
  });

  it("GET /versions/:v returns the snapshot redacted, as JSON or YAML; 404/400 otherwise", async () => {
    const res = await cp.api(`/versions/${v1}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ version: v1, message: "first" });
    expect(res.body.config.secrets[0].privateKey).toBe(REDACTED);
    const yaml = await cp.api(`/versions/${v1}?format=yaml`);
    expect(yaml.headers.get("content-type")).toContain("yaml");
    expect(parseYaml(yaml.text)).toEqual(res.body.config);
    expect(yaml.text).not.toContain("MIIEsecret");
    const accept = await cp.api(`/versions/${v1}`, { headers: { accept: "application/yaml" } });
    expect(parseYaml(accept.text)).toEqual(res.body.config);

    const missing = await cp.api("/versions/999");
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe("version 999 does not exist");
    expect((await cp.api("/versions/abc")).status).toBe(400);
    expect((await cp.api(`/versions/${v1}?format=xml`)).status).toBe(400);
  });

  it("GET /versions/:a/diff/:b describes the change; 404 for an unknown version", async () => {
    const res = await cp.api(`/versions/${v1}/diff/${v2}`);
    expect(res.status).toBe(200);
    expect(res.body.diff.clusters.changed).toEqual([{ name: "backend", fields: expect.arrayContaining(["endpoints[0].port"]) }]);
    expect(res.body.diff.secrets.removed).toEqual(["site-cert"]);
    expect(res.body.summary).toContain("~ clusters/backend");
    const missing = await cp.api(`/versions/${v1}/diff/999`);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toContain("999");
  });

  it("POST /versions/:v/rollback publishes v's content as a new version and resets the working config", async () => {
    const res = await cp.api(`/versions/${v1}/rollback`, { method: "POST" });
    expect(res.status).toBe(201);
    expect(res.body.version).toBe(v2 + 1);
    const first = await cp.api(`/versions/${v1}`);
    expect(res.body.hash).toBe(first.body.hash);
    const working = await getWorkingConfig(cp.db);
    expect(hashConfig(working.config)).toBe(first.body.hash);
    const latest = await cp.api(`/versions/${res.body.version}`);
    expect(latest.body.message).toBe(`rollback to v${v1}`);
    expect((await cp.api("/versions/999/rollback", { method: "POST" })).status).toBe(404);
  });

  it("POST /versions answers 422 with the path when the working config holds a CR/LF header value (stored before this check existed)", async () => {
    const put = await cp.api("/config", { method: "PUT", json: configWithCluster("backend") });
    expect(put.status).toBe(200);
    const route = await cp.db.prisma.configResource.findFirstOrThrow({ where: { kind: "routes" } });
    const spec = route.spec as { route: Record<string, unknown> };
    await cp.db.prisma.configResource.update({
      where: { kind_scope_name: { kind: route.kind, scope: route.scope, name: route.name } },
      data: { spec: { ...spec, route: { ...spec.route, hostRewrite: "a\r\nb" } } },
    });
    await cp.db.prisma.workingConfigMeta.update({ where: { id: 1 }, data: { revision: { increment: 1 } } });
    const versions = (await cp.api("/versions")).body.length;
    const res = await cp.api("/versions", { method: "POST", json: { message: "crlf" } });
    expect(res.status).toBe(422);
    expect(res.body.issues).toEqual([{ path: "routeConfigs[0].virtualHosts[0].routes[0].route.hostRewrite", message: expect.stringContaining("valid HTTP header value") }]);
    expect((await cp.api("/versions")).body.length).toBe(versions);
  });

  it("POST /versions answers 422 with the issues when the working config is invalid", async () => {
    // Only possible behind the API's back: a cluster row vanishes, so a route dangles (a hand edit bumps the revision, as every writer must).
    await cp.db.prisma.configResource.deleteMany({ where: { kind: "clusters" } });
    await cp.db.prisma.workingConfigMeta.update({ where: { id: 1 }, data: { revision: { increment: 1 } } });
    const res = await cp.api("/versions", { method: "POST", json: { message: "broken" } });
    expect(res.status).toBe(422);
    expect(res.body.issues).toContainEqual({ path: "routeConfigs[0].virtualHosts[0].routes[0].route.cluster", message: 'unknown cluster "backend"' });
    expect((await cp.api("/versions")).body[0].message).toBe(`rollback to v${v1}`);
  });
});

describe("REST API: nodes", () => {
  it("GET /nodes lists the registry", async () => {
    const res = await cp.api("/nodes");
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
    expect(await listNodes(cp.db)).toEqual([]);
  });
});

describe("REST API: publishing what the connected nodes cannot enforce (issue #15)", () => {
  it("POST /versions refuses a global rate limit while a connected node said it has no Redis, naming the path and the node", async () => {
    const hello = (nodeId: string, capabilities: Record<string, boolean>) => ZHelloMessage.parse({ type: "hello", nodeId, group: "edge", capabilities });
    await recordNodeHello(cp.db, hello("no-redis-1", { redis: false }));
    await recordNodeHello(cp.db, hello("with-redis-1", { redis: true }));
    await recordNodeHello(cp.db, hello("old-proxy-1", {}));
    // The versions tests above leave the stored working config broken on purpose: start clean.
    await cp.db.prisma.configResource.deleteMany({});
    await cp.db.prisma.workingConfigMeta.updateMany({ where: { id: 1 }, data: { revision: { increment: 1 } } });
    const put = await cp.api("/config", { method: "PUT", json: makeConfig({ rateLimitPolicies: [{ name: "shared", scope: "global", requests: 10 }] }) });
    expect(put.status).toBe(200);
    const versions = (await cp.api("/versions")).body.length;

    const refused = await cp.api("/versions", { method: "POST", json: { message: "global limit" } });
    expect(refused.status).toBe(422);
    expect(refused.body.issues).toEqual([{ path: "rateLimitPolicies[0].scope", message: expect.stringMatching(/need Redis.*connected without Redis: no-redis-1 \(group edge\)$/) }]);
    expect((await cp.api("/versions")).body.length).toBe(versions);

    // Once that node is gone, nothing connected says it cannot: the publish goes through.
    await recordNodeDisconnected(cp.db, "no-redis-1");
    const published = await cp.api("/versions", { method: "POST", json: { message: "global limit" } });
    expect(published.status).toBe(201);
    // It is back: rolling back to that version (content for every node) is refused the same way.
    await recordNodeHello(cp.db, hello("no-redis-1", { redis: false }));
    const rollback = await cp.api(`/versions/${published.body.version}/rollback`, { method: "POST" });
    expect(rollback.status).toBe(422);
    expect(rollback.body.issues).toEqual([{ path: "rateLimitPolicies[0].scope", message: expect.stringContaining("no-redis-1") }]);
  });

  it("POST /versions refuses a plugin (or plugin version) a connected node of the target group did not announce, naming the path and the node (issue #14)", async () => {
    await recordNodeDisconnected(cp.db, "no-redis-1");
    const tenant = { module: "@acme/switchyard-tenant", name: "tenant", version: "1.2.0", configSchema: { type: "object" } };
    const hello = (nodeId: string, group: string, plugins: unknown[]) => ZHelloMessage.parse({ type: "hello", nodeId, group, capabilities: { redis: true, plugins } });
    await recordNodeHello(cp.db, hello("plug-a", "edge", [tenant]));
    await recordNodeHello(cp.db, hello("plug-b", "edge", []));
    await recordNodeHello(cp.db, hello("plug-c", "canary", [{ ...tenant, version: "1.1.0" }]));
    const withPlugin = (pin?: string) =>
      makeConfig({ listeners: [makeListener({ httpFilters: [{ type: "plugin", name: "tenant", module: tenant.module, ...(pin ? { version: pin } : {}), config: { header: "x-tenant" } }] })] });
    expect((await cp.api("/config", { method: "PUT", json: withPlugin() })).status).toBe(200);

    const edge = await cp.api("/versions", { method: "POST", json: { message: "plugin", group: "edge" } });
    expect(edge.status).toBe(422);
    expect(edge.body.issues).toEqual([{ path: "listeners[0].httpFilters[0].module", message: 'plugin module "@acme/switchyard-tenant" is not installed on connected node plug-b (group edge)' }]);

    // A version pin: canary's node has 1.1.0.
    expect((await cp.api("/config", { method: "PUT", json: withPlugin("1.2.0") })).status).toBe(200);
    const canary = await cp.api("/versions", { method: "POST", json: { message: "pinned", group: "canary" } });
    expect(canary.status).toBe(422);
    expect(canary.body.issues).toEqual([{ path: "listeners[0].httpFilters[0].version", message: expect.stringContaining("is version 1.1.0, the config needs 1.2.0 on connected node plug-c (group canary)") }]);

    // plug-b gets the plugin and plug-c leaves: every connected node has 1.2.0 now.
    await recordNodeHello(cp.db, hello("plug-b", "edge", [tenant]));
    await recordNodeDisconnected(cp.db, "plug-c");
    expect((await cp.api("/versions", { method: "POST", json: { message: "pinned" } })).status).toBe(201);
    for (const id of ["plug-a", "plug-b", "plug-c"]) await recordNodeDisconnected(cp.db, id);
  });
});
