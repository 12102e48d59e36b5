import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/free-port.ts";
import { PROXY_BIN, startProxy, type TProxyProcess } from "../helpers/start-proxy.ts";
import { startUpstream, type TUpstream } from "../helpers/start-upstream.ts";

const CERT = "-----BEGIN CERTIFICATE-----\nMIIBdummy\n-----END CERTIFICATE-----";
const KEY = "-----BEGIN PRIVATE KEY-----\nTOP-SECRET-KEY-MATERIAL\n-----END PRIVATE KEY-----";

let upstream: TUpstream;
let proxy: TProxyProcess;
let base: string;

beforeAll(async () => {
  upstream = await startUpstream("a");
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  proxy = await startProxy({
    accessLogFile: true,
    config: `
listeners:
  - { name: public, address: 127.0.0.1, port: ${port}, routeConfig: main }
routeConfigs:
  - name: main
    virtualHosts:
      - name: all
        domains: ["*"]
        routes:
          - { name: api, match: { prefix: /api }, route: { cluster: backend } }
clusters:
  - name: backend
    lbPolicy: leastRequest
    endpoints: [ { address: 127.0.0.1, port: ${upstream.port}, weight: 2 } ]
secrets:
  - { name: site-cert, type: tlsCertificate, certificate: "${CERT.replace(/\n/g, "\\n")}", privateKey: "${KEY.replace(/\n/g, "\\n")}" }
`,
  });
  for (let i = 0; i < 3; i++) await (await fetch(`${base}/api/x`)).text();
  await (await fetch(`${base}/nope`)).text();
});

afterAll(async () => {
  await proxy?.stop();
  await upstream?.close();
});

describe("admin server", () => {
  it("/ready is 200 with the applied version", async () => {
    const res = await proxy.admin("/ready");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ state: "LIVE", version: 1 });
  });

  it("/healthcheck/fail makes /ready 503 until /healthcheck/ok", async () => {
    expect((await proxy.admin("/healthcheck/fail", "POST")).status).toBe(200);
    const draining = await proxy.admin("/ready");
    expect(draining.status).toBe(503);
    expect(await draining.json()).toMatchObject({ state: "DRAINING" });
    // Traffic keeps flowing while draining: only the readiness signal changes.
    expect((await fetch(`${base}/api/still`)).status).toBe(200);
    expect((await proxy.admin("/healthcheck/ok", "POST")).status).toBe(200);
    expect((await proxy.admin("/ready")).status).toBe(200);
  });

  it("/stats/prometheus exposes every DESIGN §4 metric with name labels", async () => {
    const res = await proxy.admin("/stats/prometheus");
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const name of [
      "switchyard_http_requests_total",
      "switchyard_http_request_duration_seconds_bucket",
      "switchyard_upstream_rq_retry_total",
      "switchyard_upstream_cx_active",
      "switchyard_upstream_rq_pending_overflow_total",
      "switchyard_cluster_membership_healthy",
      "switchyard_outlier_ejections_active",
      "switchyard_ratelimit_limited_total",
      "switchyard_config_version",
      "switchyard_config_apply_total",
    ]) {
      expect(text, name).toContain(name);
    }
    expect(text).toMatch(/switchyard_http_requests_total\{listener="public",route="api",cluster="backend",code_class="2xx"\} [3-9]/);
    expect(text).toMatch(/switchyard_http_requests_total\{listener="public",route="",cluster="",code_class="4xx"\} 1/);
    expect(text).toMatch(/switchyard_config_version 1/);
    expect(text).toMatch(/switchyard_config_apply_total\{result="applied"\} 1/);
    expect(text).toMatch(/switchyard_cluster_membership_healthy\{cluster="backend"\} 1/);
    expect(text).toMatch(/switchyard_upstream_cx_active\{cluster="backend"\} [1-9]/);
    // Paths never become labels.
    expect(text).not.toContain("/api/x");
  });

  it("/stats answers JSON", async () => {
    const body = (await (await proxy.admin("/stats")).json()) as { metrics: { name: string }[] };
    expect(body.metrics.map((m) => m.name)).toContain("switchyard_http_requests_total");
  });

  it("/clusters lists endpoints with health and counters", async () => {
    const body = (await (await proxy.admin("/clusters")).json()) as { clusters: unknown[] };
    expect(body.clusters).toEqual([
      expect.objectContaining({
        name: "backend",
        lbPolicy: "leastRequest",
        activeConnections: expect.any(Number),
        // Static cluster: discovery fields say so and stay idle.
        discovery: "static",
        source: "static",
        endpointsVersion: null,
        discoveryUpdatedAt: null,
        discoveryUpdates: 0,
        discoveryFailures: 0,
        discoveryLastError: null,
        endpoints: [
          expect.objectContaining({ address: "127.0.0.1", port: upstream.port, weight: 2, health: "healthy", ejected: false, activeRequests: 0, successes: expect.any(Number), errors: 0 }),
        ],
      }),
    ]);
    const ep = (body.clusters[0] as { endpoints: { successes: number }[] }).endpoints[0]!;
    expect(ep.successes).toBeGreaterThanOrEqual(3);
  });

  it("/config_dump has version, hash, source and the config with private keys redacted", async () => {
    const res = await proxy.admin("/config_dump");
    const text = await res.text();
    expect(text).not.toContain("TOP-SECRET-KEY-MATERIAL");
    const body = JSON.parse(text) as { version: number; hash: string; source: string; appliedAt: string; config: { secrets: { privateKey: string; certificate: string }[]; clusters: unknown[] } };
    expect(body.version).toBe(1);
    expect(body.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(body.source).toBe(`file:${proxy.configFile}`);
    expect(Date.parse(body.appliedAt)).not.toBeNaN();
    expect(body.config.secrets[0]!.privateKey).toBe("[redacted]");
    expect(body.config.secrets[0]!.certificate).toBe(CERT);
    expect(body.config.clusters).toHaveLength(1);
  });

  it("answers 404 JSON for unknown paths and 405 for wrong methods", async () => {
    const missing = await proxy.admin("/nope");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/json");
    expect((await proxy.admin("/healthcheck/fail")).status).toBe(405);
    const wrong = await proxy.admin("/clusters", "POST");
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("GET, HEAD");
  });

  it("writes the access log to --access-log FILE", async () => {
    expect(await proxy.waitForAccessLog((l) => l.path === "/nope")).toMatchObject({ status: 404, responseFlags: "NR", route: null });
    expect((await proxy.accessLog()).length).toBeGreaterThanOrEqual(4);
    expect(proxy.stdout()).toBe("");
  });
});

// Each case spawns the CLI, which loads every proxy module through tsx before it parses
// its flags: seconds per spawn on an idle machine, tens of seconds on a loaded one.
describe("CLI", { timeout: 120_000 }, () => {
  const cli = (args: string[]) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [PROXY_BIN, ...args], (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });

  it("prints --help and --version", async () => {
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    for (const flag of ["--config", "--control-plane", "--node-id", "--group", "--token", "--cache-dir", "--admin", "--workers", "--access-log"]) {
      expect(help.stdout).toContain(flag);
    }
    const version = await cli(["--version"]);
    expect(version).toMatchObject({ code: 0, stdout: "0.1.0\n" });
  });

  it("refuses bad flags with exit 2, naming the flag", async () => {
    const workers = await cli(["--config", "x.yaml", "--workers", "0"]);
    expect(workers.code).toBe(2);
    expect(workers.stderr).toContain("--workers: must be between 1 and 256");
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("one of --config FILE");
  });

  it("finishes in-flight requests on SIGTERM, then exits 0", async () => {
    const port = await freePort();
    const p = await startProxy({
      config: {
        listeners: [{ name: "l", address: "127.0.0.1", port, routeConfig: "rc" }],
        routeConfigs: [{ name: "rc", virtualHosts: [{ name: "v", domains: ["*"], routes: [{ name: "r", match: { prefix: "/" }, route: { cluster: "c" } }] }] }],
        clusters: [{ name: "c", endpoints: [{ address: "127.0.0.1", port: upstream.port }] }],
      },
    });
    const slow = fetch(`http://127.0.0.1:${port}/slow`, { headers: { "x-upstream-delay-ms": "700" } });
    await new Promise((r) => setTimeout(r, 200));
    const exit = p.stop("SIGTERM");
    const res = await slow;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { url: string }).url).toBe("/slow");
    expect(await exit).toBe(0);
  });
});
