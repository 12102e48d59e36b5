import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/free-port.ts";
import { attr, startOtlpReceiver } from "../helpers/otlp-receiver.ts";
import { startProxy, type TProxyProcess } from "../helpers/start-proxy.ts";

/**
 * Issue #16, item 6, on the real CLI: admin /, /help and /server_info; prom-client's
 * default process and event-loop metrics and switchyard_build_info on /stats/prometheus;
 * levels on every event-log line and --log-level; the OTLP export honouring the
 * OpenTelemetry SDK variables (service name, resource attributes, headers, gzip).
 */
let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
let proxy: TProxyProcess;
let quiet: TProxyProcess;
let port: number;

const config = (p: number) => ({
  listeners: [{ name: "edge", address: "127.0.0.1", port: p, routeConfig: "main", tracing: { sampleRate: 1 } }],
  routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "hello", match: { prefix: "/" }, directResponse: { status: 200, body: "hi" } }] }] }],
});

beforeAll(async () => {
  otlp = await startOtlpReceiver();
  port = await freePort();
  proxy = await startProxy({
    config: config(port),
    args: ["--workers", "1", "--otlp-endpoint", otlp.url],
    env: {
      OTEL_SERVICE_NAME: "edge-eu-1",
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=prod,team=net%20ops",
      OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=s3cr%3Dt",
      OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
    },
  });
  quiet = await startProxy({ config: config(await freePort()), args: ["--workers", "1", "--log-level", "warn"] });
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await quiet?.stop();
  await otlp?.close();
});

describe("admin: /, /help, /server_info", () => {
  it("/ and /help list every endpoint", async () => {
    for (const path of ["/", "/help"]) {
      const res = await proxy.admin(path);
      expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
      const text = await res.text();
      for (const e of ["/ready", "/stats/prometheus", "/stats", "/clusters", "/config_dump", "/server_info", "/healthcheck/fail", "/healthcheck/ok"]) expect(text).toContain(e);
    }
  });

  it("/server_info: version, state, uptime, mode and the applied version", async () => {
    const info = (await (await proxy.admin("/server_info")).json()) as Record<string, unknown>;
    expect(info).toMatchObject({ version: "0.1.0", mode: "standalone", state: "LIVE", appliedVersion: 1, nodeId: null, workers: 1, nodeVersion: process.version });
    expect(typeof info.uptimeSeconds).toBe("number");
    expect(info.appliedHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("metrics", () => {
  it("prom-client's default process and event-loop metrics, and switchyard_build_info", async () => {
    const text = await (await proxy.admin("/stats/prometheus")).text();
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d+/m);
    expect(text).toMatch(/^switchyard_build_info\{component="proxy",version="0\.1\.0",node_version="v\d+\.\d+\.\d+"\} 1$/m);
  });
});

describe("event log levels", () => {
  it("every line has a level; --log-level warn drops info lines", async () => {
    expect(proxy.events().find((e) => e.event === "config_applied")).toMatchObject({ level: "info" });
    expect(proxy.events().every((e) => typeof e.level === "string")).toBe(true);
    expect(quiet.events().find((e) => e.event === "config_applied")).toBeUndefined();
    // A refused file is a warning: it shows at warn.
    await quiet.writeConfig({ listeners: [{ name: "x", address: "127.0.0.1", port: 70000, routeConfig: "nope" }] });
    expect(await quiet.waitForEvent((e) => e.event === "config_rejected", 10_000)).toMatchObject({ level: "warn" });
  });
});

describe("OTLP export with the OpenTelemetry SDK variables", () => {
  it("gzip, headers, service name and resource attributes", async () => {
    await fetch(`http://127.0.0.1:${port}/traced`);
    const deadline = Date.now() + 15_000;
    while (otlp.requests.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const req = otlp.requests[0]!;
    expect(req.headers["content-encoding"]).toBe("gzip");
    expect(req.headers["x-api-key"]).toBe("s3cr=t");
    const resource = req.body.resourceSpans[0]!.resource;
    const r = (key: string) => attr({ attributes: resource.attributes } as never, key);
    expect(r("service.name")).toBe("edge-eu-1");
    expect(r("deployment.environment")).toBe("prod");
    expect(r("team")).toBe("net ops");
    expect(r("service.version")).toBe("0.1.0");
    expect(otlp.spans().some((s) => attr(s, "url.path") === "/traced")).toBe(true);
  });
});
