/**
 * The structured listener and rate-limit forms: every field of the config model survives
 * a round trip (stored object -> form -> object), defaults come from the schemas, empty
 * inputs mean "the default", and the browser-side check reports the paths the server would.
 */
import { createHash } from "node:crypto";
import { REDACTED, ZListener, ZListenerLimits, ZRateLimitPolicy, ZRouteConfig, ZTlsCertificateSecret } from "@switchyard/config-model";
import { describe, expect, it } from "vitest";
import {
  buildListener,
  checkListener,
  emptyListenerForm,
  filterRow,
  LIMIT_KEYS,
  LISTENER_DEFAULTS,
  listenerFormOf,
  moved,
  networkFilterRow,
  principalRow,
  type TCorsRow,
  type TFilterRow,
  YAML_FILTER_TYPES,
} from "../src/lib/listener-form.ts";
import { buildRouteConfig, checkRouteConfig, domainKind, emptyRouteConfigForm, emptyVirtualHost, routeConfigFormOf } from "../src/lib/route-config-form.ts";
import { buildSecret, checkSecret, emptySecretForm, looksLikePrivateKey, readWasmFile, secretFormOf } from "../src/lib/secret-form.ts";
import { buildRateLimit, checkRateLimit, emptyRateLimitForm, RATE_LIMIT_DEFAULTS, rateLimitFormOf } from "../src/lib/rate-limit-form.ts";

describe("listener form", () => {
  it("round-trips every field of an https listener with all three filters", () => {
    const listener = ZListener.parse({
      name: "edge",
      address: "127.0.0.1",
      port: 8443,
      protocol: "https",
      routeConfig: "main",
      tls: { certificates: ["site", "other"], minVersion: "TLSv1.3", clientValidation: { caSecret: "mesh-ca", required: false, allowedSans: ["spiffe://a", "b.example"] } },
      httpFilters: [
        { type: "cors", allowOrigins: ["https://a.example", "*"], allowMethods: ["GET", "PUT"], allowHeaders: ["x-a"], exposeHeaders: ["x-b", "x-c"], allowCredentials: true, maxAgeSeconds: 60 },
        {
          type: "jwtAuthn",
          issuer: "https://issuer",
          audiences: ["api"],
          jwks: { remote: { url: "https://issuer/jwks", cacheDurationMs: 1000 } },
          forward: true,
          claimToHeaders: [{ claim: "sub", header: "x-user" }],
          allowMissing: true,
        },
        { type: "jwtAuthn", name: "second-issuer", issuer: "i2", jwks: { inline: '{"keys":[]}' } },
        {
          type: "rbac",
          rules: [
            {
              allow: false,
              principals: [{ sourceIp: "10.0.0.0/8" }, { san: "spiffe://x" }, { jwtClaim: { name: "role", value: "admin" } }, { any: true }],
              paths: ["/admin", "/ops"],
              methods: ["POST", "DELETE"],
              headers: [{ name: "x-internal", present: true, invert: true }, { name: "x-env", exact: "prod" }],
            },
            { allow: true },
          ],
        },
      ],
      limits: { maxHeaderBytes: 8192, headersTimeoutMs: 5000, requestTimeoutMs: 0, idleTimeoutMs: 1000, maxConnections: 10 },
      tracing: { sampleRate: 0.5, forceHeader: "x-trace-me" },
      accessLog: { format: "%METHOD% %PATH% %STATUS%", sampleRate: 0.25 },
      pathNormalization: { normalize: false, mergeSlashes: true, escapedSlashes: "reject" },
      trustedHops: 2,
      proxyProtocol: true,
    });
    expect(ZListener.parse(buildListener(listenerFormOf(listener)))).toEqual(listener);
  });

  it("round-trips plugin entries (module, version pin, timeout, config of any shape); JSON that does not parse is sent as text for the schema to refuse", () => {
    const listener = ZListener.parse({
      name: "edge",
      port: 8080,
      routeConfig: "main",
      httpFilters: [
        { type: "plugin", name: "tenant", module: "@acme/switchyard-tenant", version: "1.2.0", timeoutMs: 250, config: { tenants: { acme: "pro" }, maskWords: ["x"], lookupDelayMs: 5 } },
        { type: "plugin", name: "bare", module: "/opt/plugins/bare/index.mjs" },
      ],
    });
    expect(ZListener.parse(buildListener(listenerFormOf(listener)))).toEqual(listener);
    const row = filterRow("plugin");
    if (row.type !== "plugin") throw new Error("plugin row");
    const built = buildListener({ ...emptyListenerForm(), name: "p", port: "1", routeConfig: "m", httpFilters: [{ ...row, name: "x", module: "pkg", config: "{ nope" }] });
    expect(built.httpFilters?.[0]).toMatchObject({ type: "plugin", module: "pkg", config: "{ nope" });
  });

  it("round-trips tcp listeners, with and without TLS", () => {
    const plain = ZListener.parse({ name: "db", port: 5432, protocol: "tcp", tcp: { cluster: "pg", idleTimeoutMs: 60_000 } });
    expect(ZListener.parse(buildListener(listenerFormOf(plain)))).toEqual(plain);
    // Absent tracing / access log stay absent (the defaults apply; the config hash is unchanged).
    expect(buildListener(listenerFormOf(plain))).toMatchObject({ tracing: undefined, accessLog: undefined });
    const jsonLog = ZListener.parse({ name: "j", port: 1, routeConfig: "m", tracing: {}, accessLog: { sampleRate: 0.5 } });
    expect(ZListener.parse(buildListener(listenerFormOf(jsonLog)))).toEqual(jsonLog);
    // So do the edge-security fields (their defaults: normalise, peer address, no PROXY protocol).
    expect(buildListener(listenerFormOf(jsonLog))).toMatchObject({ pathNormalization: undefined, trustedHops: undefined, proxyProtocol: undefined });
    const tls = ZListener.parse({ name: "dbs", port: 5433, protocol: "tcp", tcp: { cluster: "pg" }, tls: { certificates: ["site"] } });
    expect(listenerFormOf(tls).tcpTls).toBe(true);
    expect(ZListener.parse(buildListener(listenerFormOf(tls)))).toEqual(tls);
  });

  it("round-trips network filters (rbac by source address, the SNI router) and sends none when there are none", () => {
    const sni = ZListener.parse({
      name: "passthrough",
      port: 8443,
      protocol: "tcp",
      tcp: { idleTimeoutMs: 1000 },
      networkFilters: [
        { type: "rbac", name: "office", rules: [{ allow: false, principals: [{ sourceIp: "10.9.0.0/16" }, { sourceIp: "::1/128" }] }, { allow: true }] },
        { type: "sniRouter", routes: [{ name: "db", serverNames: ["db.example.com", "*.db.example.com"], cluster: "pg" }, { serverNames: ["mq.example.com"], cluster: "mq" }], defaultCluster: "web", helloTimeoutMs: 5000, maxHelloBytes: 4096 },
      ],
    });
    expect(ZListener.parse(buildListener(listenerFormOf(sni)))).toEqual(sni);
    const added = { ...listenerFormOf(ZListener.parse({ name: "t", port: 1, protocol: "tcp", tcp: { cluster: "pg" } })), tcp: { cluster: "", idleTimeoutMs: "" }, networkFilters: [networkFilterRow("sniRouter")] };
    // A new router with an empty route: the schema names the route's fields, the tcp cluster is not required.
    expect([...new Set(checkListener(buildListener(added)).map((i) => i.path))]).toEqual(["networkFilters[0].routes[0].serverNames", "networkFilters[0].routes[0].cluster"]);
    expect(buildListener(listenerFormOf(ZListener.parse({ name: "t", port: 1, protocol: "tcp", tcp: { cluster: "pg" } })))).toMatchObject({ networkFilters: undefined });
  });

  it("shows the schema's defaults, covers every limit, and leaves empty fields to the defaults", () => {
    expect(LISTENER_DEFAULTS.listener.address).toBe("0.0.0.0");
    expect(LISTENER_DEFAULTS.limits.maxHeaderBytes).toBe(65_536);
    expect(LISTENER_DEFAULTS.tcpIdleTimeoutMs).toBe(3_600_000);
    expect(LISTENER_DEFAULTS.cors.allowMethods).toEqual(["GET", "HEAD", "POST"]);
    expect(LISTENER_DEFAULTS.jwt.jwks.remote?.cacheDurationMs).toBe(300_000);
    expect(LISTENER_DEFAULTS.tls.minVersion).toBe("TLSv1.2");
    expect(LISTENER_DEFAULTS.tls.clientValidation?.required).toBe(true);
    expect(LISTENER_DEFAULTS.tracing).toEqual({ sampleRate: 0.01, forceHeader: "x-switchyard-force-trace" });
    expect(LISTENER_DEFAULTS.accessLog).toEqual({ sampleRate: 1 });
    // Every limit the schema has gets an input (a limit added later shows up by itself).
    expect([...LIMIT_KEYS].sort()).toEqual(Object.keys(ZListenerLimits.shape).sort());

    const cors = { ...(filterRow("cors") as TCorsRow), allowOrigins: "*" };
    const rbac = filterRow("rbac");
    const form = { ...emptyListenerForm(), name: "public", port: "8080", routeConfig: "main", httpFilters: [cors, rbac] };
    const parsed = ZListener.parse(buildListener(form));
    expect(parsed).toMatchObject({ address: "0.0.0.0", protocol: "http", limits: ZListenerLimits.parse({}) });
    expect(parsed.httpFilters[0]).toEqual({ type: "cors", allowOrigins: ["*"], allowMethods: ["GET", "HEAD", "POST"], allowHeaders: [], exposeHeaders: [], allowCredentials: false, maxAgeSeconds: 600 });
    // A rule without principal rows means any principal (the schema's default).
    expect(parsed.httpFilters[1]).toEqual({ type: "rbac", rules: [{ allow: true, principals: [{ any: true }], paths: [], methods: [], headers: [] }] });
  });

  it("the filters without their own fields are edited as YAML: every example parses, a stored filter round-trips, bad YAML or fields are reported under the filter", () => {
    for (const t of YAML_FILTER_TYPES) {
      const form = { ...emptyListenerForm(), name: "l", port: "8080", routeConfig: "main", httpFilters: [filterRow(t)] };
      expect(checkListener(buildListener(form)), t).toEqual([]);
    }
    const stored = ZListener.parse({ name: "l", port: 80, routeConfig: "main", httpFilters: [{ type: "fault", name: "chaos", abort: { httpStatus: 503, percentage: 5 } }] });
    const again = ZListener.parse(buildListener(listenerFormOf(stored)));
    expect(again.httpFilters).toEqual(stored.httpFilters);
    const bad = (yaml: string) => {
      const row = { ...filterRow("bufferLimits"), yaml } as TFilterRow;
      return checkListener(buildListener({ ...emptyListenerForm(), name: "l", port: "8080", routeConfig: "main", httpFilters: [row] })).map((i) => i.field);
    };
    expect(bad("maxRequestBytes: -1")).toEqual(["httpFilters[0].maxRequestBytes"]);
    expect(bad("maxRequestBytes: [unclosed")[0]).toMatch(/^httpFilters\[0\]/);
  });

  it("drops what the protocol does not use instead of sending a refused combination", () => {
    const https = listenerFormOf(ZListener.parse({ name: "s", port: 443, protocol: "https", routeConfig: "main", tls: { certificates: ["site"] }, httpFilters: [{ type: "cors", allowOrigins: ["*"] }] }));
    // Switched to tcp: the route config, filters and (unless ticked) TLS are not sent.
    const tcp = buildListener({ ...https, protocol: "tcp", tcp: { cluster: "pg", idleTimeoutMs: "" } });
    expect(checkListener(tcp)).toEqual([]);
    expect(tcp).toMatchObject({ routeConfig: undefined, tls: undefined, httpFilters: [] });
    // Switched to http: TLS is dropped, the filters stay.
    const http = buildListener({ ...https, protocol: "http" });
    expect(checkListener(http)).toEqual([]);
    expect(http.tls).toBeUndefined();
  });

  it("reports issues at the paths the server uses (one per field)", () => {
    const jwt = filterRow("jwtAuthn");
    const rbac = filterRow("rbac");
    if (rbac.type !== "rbac") throw new Error("rbac row");
    rbac.rules[0]!.principals = [{ ...principalRow("sourceIp"), value: "" }];
    rbac.rules[0]!.paths = "admin";
    const form = {
      ...emptyListenerForm(),
      name: "bad name!",
      port: "70000",
      protocol: "https" as const,
      routeConfig: "",
      httpFilters: [jwt, rbac],
      limits: { ...emptyListenerForm().limits, maxHeaderBytes: "10" },
      tracingEnabled: true,
      tracing: { sampleRate: "2", forceHeader: "" },
      accessLogEnabled: true,
      accessLog: { format: "%NOPE%", sampleRate: "" },
    };
    const fields = checkListener(buildListener(form)).map((i) => i.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        "name",
        "port",
        "tls.certificates",
        "httpFilters[0].issuer",
        "httpFilters[0].jwks.remote.url",
        "httpFilters[1].rules[0].principals[0].sourceIp",
        "httpFilters[1].rules[0].paths[0]",
        "limits.maxHeaderBytes",
        "tracing.sampleRate",
        "accessLog.format",
      ]),
    );
    // Cross-field rule from ZListener's superRefine, only reported once the fields parse.
    const noRoute = checkListener(buildListener({ ...emptyListenerForm(), name: "ok", port: "80" }));
    expect(noRoute).toEqual([{ path: "routeConfig", field: "routeConfig", message: "required when protocol is http" }]);
  });

  it("reorders filters, rules and certificates", () => {
    expect(moved(["a", "b", "c"], 2, -1)).toEqual(["a", "c", "b"]);
    expect(moved(["a", "b", "c"], 0, -1)).toEqual(["a", "b", "c"]);
    const l = ZListener.parse({ name: "x", port: 1, routeConfig: "m", httpFilters: [{ type: "cors", allowOrigins: ["*"] }, { type: "rbac", rules: [{ allow: true }] }] });
    const form = listenerFormOf(l);
    const swapped = ZListener.parse(buildListener({ ...form, httpFilters: moved(form.httpFilters, 1, -1) }));
    expect(swapped.httpFilters.map((f) => f.type)).toEqual(["rbac", "cors"]);
  });
});

describe("rate-limit policy form", () => {
  it("round-trips every field, each kind of key", () => {
    for (const key of ["remoteAddress", "path", "none", { header: "x-api-key" }] as const) {
      const policy = ZRateLimitPolicy.parse({ name: "p", scope: "global", requests: 5, per: "minute", burst: 20, key, failOpen: false });
      expect(ZRateLimitPolicy.parse(buildRateLimit(rateLimitFormOf(policy)))).toEqual(policy);
    }
    const noBurst = ZRateLimitPolicy.parse({ name: "p", requests: 5 });
    expect(ZRateLimitPolicy.parse(buildRateLimit(rateLimitFormOf(noBurst)))).toEqual(noBurst);
  });

  it("starts at the schema's defaults and reports issues by field", () => {
    expect(RATE_LIMIT_DEFAULTS).toMatchObject({ scope: "local", per: "second", key: "remoteAddress", failOpen: true });
    const empty = emptyRateLimitForm();
    expect(ZRateLimitPolicy.parse(buildRateLimit({ ...empty, name: "per-ip", requests: "100" }))).toEqual({ name: "per-ip", scope: "local", requests: 100, per: "second", key: "remoteAddress", failOpen: true });
    const issues = checkRateLimit(buildRateLimit({ ...empty, name: "per-ip", requests: "0", keyKind: "header", keyHeader: "bad header" }));
    expect(issues.map((i) => i.field)).toEqual(expect.arrayContaining(["requests", "key.header"]));
    expect(issues.find((i) => i.field === "requests")?.message).toBe("must be >= 1");
  });
});

describe("route config (virtual host) form", () => {
  it("round-trips every virtual-host field and keeps the routes as they are, in order", () => {
    const rc = ZRouteConfig.parse({
      name: "main",
      virtualHosts: [
        {
          name: "api",
          domains: ["api.example.com", "*.api.example.com", "api.*"],
          rateLimit: "per-ip",
          routes: [
            { name: "a", match: { prefix: "/a" }, route: { cluster: "x" } },
            { name: "b", match: { path: "/b" }, directResponse: { status: 204 } },
          ],
          requestHeaders: { add: [{ name: "x-a", value: "1", append: true }], remove: ["x-debug"] },
          responseHeaders: { add: [{ name: "x-b", value: "2" }], remove: ["server", "via"] },
        },
        { name: "all", domains: ["*"] },
      ],
    });
    expect(ZRouteConfig.parse(buildRouteConfig(routeConfigFormOf(rc)))).toEqual(rc);
  });

  it("starts with one catch-all virtual host, adds empty ones, and reports issues by field", () => {
    const form = emptyRouteConfigForm();
    expect(form.virtualHosts.map((v) => ({ name: v.name, domains: v.domains.map((d) => d.value) }))).toEqual([{ name: "all", domains: ["*"] }]);
    form.name = "main";
    form.virtualHosts.push(emptyVirtualHost());
    const issues = checkRouteConfig(buildRouteConfig(form));
    expect(issues.map((i) => i.field)).toEqual(expect.arrayContaining(["virtualHosts[1].name", "virtualHosts[1].domains[0]"]));
    // No rate limit and no header rows send nothing (the schema's defaults).
    const built = buildRouteConfig({ ...form, virtualHosts: [form.virtualHosts[0]!] });
    expect(built.virtualHosts![0]).toEqual({ name: "all", domains: ["*"], rateLimit: undefined, routes: [], requestHeaders: undefined, responseHeaders: undefined });
  });

  it("explains each domain form", () => {
    expect(domainKind("api.example.com").kind).toBe("exact");
    expect(domainKind("*.example.com")).toMatchObject({ kind: "suffix", text: expect.stringContaining('".example.com"') });
    expect(domainKind("api.*")).toMatchObject({ kind: "prefix", text: expect.stringContaining('"api."') });
    expect(domainKind("*").kind).toBe("any");
    expect(domainKind("a.*.b").kind).toBe("invalid");
    expect(domainKind("").kind).toBe("invalid");
  });
});

describe("TLS secret form", () => {
  const cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  const key = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";

  it("never puts the stored key in the form; an empty key field keeps it", () => {
    const stored = { ...ZTlsCertificateSecret.parse({ name: "site", type: "tlsCertificate", certificate: cert, privateKey: key }), privateKey: REDACTED };
    const form = secretFormOf(stored);
    expect(form).toMatchObject({ name: "site", type: "tlsCertificate", certificate: cert, privateKey: "" });
    const built = buildSecret(form);
    expect(built).toEqual({ name: "site", type: "tlsCertificate", certificate: cert, privateKey: "" });
    expect(checkSecret(built, false)).toEqual([]);
    expect(buildSecret({ ...form, privateKey: key.trim() })).toMatchObject({ privateKey: key });
  });

  it("a listener's proxy-wasm filter round-trips through the listener form (module secret, configuration text)", () => {
    const l = ZListener.parse({ name: "web", port: 8080, routeConfig: "main", httpFilters: [{ type: "wasm", name: "geo", module: { secret: "geo-filter" }, config: "{\"x\":1}" }] });
    const form = listenerFormOf(l);
    expect(form.httpFilters[0]).toMatchObject({ type: "wasm", name: "geo", secret: "geo-filter", config: "{\"x\":1}" });
    expect(ZListener.parse(buildListener(form)).httpFilters).toEqual(l.httpFilters);
    expect(checkListener(buildListener({ ...form, httpFilters: [{ ...filterRow("wasm"), name: "w" }] }))).toEqual(expect.arrayContaining([expect.objectContaining({ path: "httpFilters[0].module.secret" })]));
  });

  it("a wasmModule: the stored bytes never reach the form (empty keeps them), a new one needs a module, sha256 and size come from the file", async () => {
    const bytes = Uint8Array.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    const read = await readWasmFile(bytes.buffer);
    expect(read).toEqual({ data: Buffer.from(bytes).toString("base64"), sha256: createHash("sha256").update(bytes).digest("hex"), bytes: 8 });
    const stored = { name: "geo", type: "wasmModule" as const, sha256: read.sha256, data: REDACTED };
    const form = secretFormOf(stored);
    expect(form).toMatchObject({ name: "geo", type: "wasmModule", sha256: read.sha256, data: "" });
    expect(buildSecret(form)).toEqual({ name: "geo", type: "wasmModule", sha256: read.sha256, data: "" });
    expect(checkSecret(buildSecret(form), false)).toEqual([]);
    expect(checkSecret(buildSecret(form), true)).toEqual([expect.objectContaining({ field: "data" })]);
    expect(checkSecret(buildSecret({ ...form, data: read.data }), true)).toEqual([]);
  });

  it("requires a key for a new tlsCertificate secret, not for a CA bundle, and spots a key pasted as the certificate", () => {
    const form = { ...emptySecretForm(), name: "site", certificate: cert };
    expect(checkSecret(buildSecret(form), true)).toEqual([expect.objectContaining({ field: "privateKey" })]);
    const ca = buildSecret({ ...form, type: "caBundle", privateKey: key });
    expect(ca).toEqual({ name: "site", type: "caBundle", certificate: cert });
    expect(checkSecret(ca, true)).toEqual([]);
    expect([...new Set(checkSecret(buildSecret({ ...form, certificate: "" }), false).map((i) => i.field))]).toEqual(["certificate"]);
    expect(looksLikePrivateKey(key)).toBe(true);
    expect(looksLikePrivateKey(cert)).toBe(false);
  });
});
