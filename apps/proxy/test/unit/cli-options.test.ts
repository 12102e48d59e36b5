import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { CliError, parseCliOptions } from "../../src/cli/options.ts";

const run = (argv: string[], env: Record<string, string> = {}) => {
  const c = parseCliOptions(argv, env);
  if (c.kind !== "run") throw new Error(`expected run, got ${c.kind}`);
  return c.options;
};
const error = (argv: string[], env: Record<string, string> = {}) => {
  try {
    parseCliOptions(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    return (err as Error).message;
  }
  throw new Error("expected a CliError");
};

describe("CLI options", () => {
  it("parses standalone mode with defaults", () => {
    expect(run(["--config", "x.yaml"])).toEqual({
      mode: "standalone",
      configFile: "x.yaml",
      admin: { host: "127.0.0.1", port: 9901 },
      adminAuth: { token: null, protectReads: false },
      workers: availableParallelism(),
      accessLog: null,
      redisUrl: null,
      otlpEndpoint: null,
      otlp: { serviceName: "switchyard-proxy", resourceAttributes: {}, headers: {}, compression: "none" },
      statsIntervalMs: 5000,
      logLevel: "info",
      cacheDir: null,
      discovery: { consulUrl: "http://127.0.0.1:8500", consulToken: null, kubernetes: null },
      outboundAllow: [],
      plugins: null,
    });
  });

  it("--plugin (repeatable, or SWITCHYARD_PLUGINS comma-separated), and `plugin new NAME [--dir DIR]`", () => {
    expect(run(["--config", "x.yaml", "--plugin", "@acme/tenant", "--plugin", "/opt/p/index.mjs"])).toMatchObject({ plugins: ["@acme/tenant", "/opt/p/index.mjs"] });
    expect(run(["--config", "x.yaml"], { SWITCHYARD_PLUGINS: "@acme/tenant, file:///opt/p.mjs" })).toMatchObject({ plugins: ["@acme/tenant", "file:///opt/p.mjs"] });
    expect(error(["--config", "x.yaml", "--plugin", "./rel.mjs"])).toMatch(/^--plugin \(or SWITCHYARD_PLUGINS\): must be a package name, an absolute path or a file: URL/);
    expect(parseCliOptions(["plugin", "new", "tenant"], {})).toEqual({ kind: "plugin-new", name: "tenant", dir: "tenant" });
    expect(parseCliOptions(["plugin", "new", "tenant", "--dir", "/tmp/t"], {})).toEqual({ kind: "plugin-new", name: "tenant", dir: "/tmp/t" });
    expect(() => parseCliOptions(["plugin", "new", "Bad Name"], {})).toThrow(/NAME "Bad Name" must be lower-case/);
    expect(() => parseCliOptions(["plugin", "list"], {})).toThrow(/usage: switchyard-proxy plugin new NAME/);
  });

  it("--outbound-allow (repeatable, or SWITCHYARD_OUTBOUND_ALLOW comma-separated)", () => {
    expect(run(["--config", "x.yaml", "--outbound-allow", "10.0.0.0/8", "--outbound-allow", "*.internal"])).toMatchObject({ outboundAllow: ["10.0.0.0/8", "*.internal"] });
    expect(run(["--config", "x.yaml"], { SWITCHYARD_OUTBOUND_ALLOW: "127.0.0.1, consul.internal" })).toMatchObject({ outboundAllow: ["127.0.0.1", "consul.internal"] });
  });

  it("--admin-token (or SWITCHYARD_ADMIN_TOKEN) and --admin-token-reads", () => {
    const token = "0123456789abcdef0123";
    expect(run(["--config", "x", "--admin-token", token])).toMatchObject({ adminAuth: { token, protectReads: false } });
    expect(run(["--config", "x", "--admin-token-reads"], { SWITCHYARD_ADMIN_TOKEN: token })).toMatchObject({ adminAuth: { token, protectReads: true } });
    expect(error(["--config", "x", "--admin-token", "short"])).toMatch(/^--admin-token \(or SWITCHYARD_ADMIN_TOKEN\): must be at least 16 characters/);
    expect(error(["--config", "x", "--admin-token-reads"])).toMatch(/--admin-token-reads needs --admin-token/);
  });

  it("--log-level (or SWITCHYARD_LOG_LEVEL): debug, info, warn, error", () => {
    expect(run(["--config", "x.yaml", "--log-level", "warn"])).toMatchObject({ logLevel: "warn" });
    expect(run(["--config", "x.yaml"], { SWITCHYARD_LOG_LEVEL: "debug" })).toMatchObject({ logLevel: "debug" });
    expect(() => parseCliOptions(["--config", "x.yaml", "--log-level", "loud"], {})).toThrow(/--log-level \(or SWITCHYARD_LOG_LEVEL\): must be one of debug, info, warn, error/);
  });

  it("reads the OpenTelemetry variables: service name, resource attributes, headers (percent-decoded), gzip, endpoints", () => {
    const env = {
      OTEL_SERVICE_NAME: "edge-eu",
      OTEL_RESOURCE_ATTRIBUTES: "deployment.environment=prod, team=net%20ops",
      OTEL_EXPORTER_OTLP_HEADERS: "x-api-key=abc%3D%3D,x-tenant=t1",
      OTEL_EXPORTER_OTLP_COMPRESSION: "gzip",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318",
    };
    expect(run(["--config", "x.yaml"], env)).toMatchObject({
      otlpEndpoint: "http://collector:4318",
      otlp: { serviceName: "edge-eu", resourceAttributes: { "deployment.environment": "prod", team: "net ops" }, headers: { "x-api-key": "abc==", "x-tenant": "t1" }, compression: "gzip" },
    });
    // The traces-specific variables win over the general ones; SWITCHYARD_OTLP_ENDPOINT over both.
    expect(run(["--config", "x.yaml"], { ...env, OTEL_EXPORTER_OTLP_TRACES_HEADERS: "a=1", OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: "none", SWITCHYARD_OTLP_ENDPOINT: "http://mine:4318" })).toMatchObject({
      otlpEndpoint: "http://mine:4318",
      otlp: { headers: { a: "1" }, compression: "none" },
    });
    expect(() => parseCliOptions(["--config", "x.yaml"], { OTEL_EXPORTER_OTLP_COMPRESSION: "zstd" })).toThrow(/OTEL_EXPORTER_OTLP_COMPRESSION: must be gzip or none/);
    expect(() => parseCliOptions(["--config", "x.yaml"], { OTEL_RESOURCE_ATTRIBUTES: "novalue" })).toThrow(/OTEL_RESOURCE_ATTRIBUTES: "novalue" is not key=value/);
  });

  it("--validate needs --config and starts nothing", () => {
    expect(parseCliOptions(["--validate", "--config", "x.yaml"], {})).toEqual({ kind: "validate", configFile: "x.yaml", redisConfigured: false, plugins: null });
    expect(parseCliOptions(["--validate", "--config", "x.yaml", "--redis", "redis://r:6379"], {})).toMatchObject({ redisConfigured: true });
    expect(() => parseCliOptions(["--validate"], {})).toThrow(/--validate needs --config FILE/);
  });

  it("takes --redis or SWITCHYARD_REDIS_URL, flag first, and refuses a non-redis URL", () => {
    expect(run(["--config", "x.yaml", "--redis", "redis://127.0.0.1:6379"])).toMatchObject({ redisUrl: "redis://127.0.0.1:6379" });
    expect(run(["--config", "x.yaml"], { SWITCHYARD_REDIS_URL: "redis://env:6379" })).toMatchObject({ redisUrl: "redis://env:6379" });
    expect(run(["--config", "x.yaml", "--redis", "redis://flag:1"], { SWITCHYARD_REDIS_URL: "redis://env:6379" })).toMatchObject({ redisUrl: "redis://flag:1" });
    expect(() => parseCliOptions(["--config", "x.yaml", "--redis", "http://x"], {})).toThrow(/--redis \(or SWITCHYARD_REDIS_URL\): must be a redis/);
  });

  it("parses --otlp-endpoint (flag or SWITCHYARD_OTLP_ENDPOINT) and --stats-interval-ms, naming the flag on errors", () => {
    expect(run(["--config", "x.yaml", "--otlp-endpoint", "http://127.0.0.1:4318", "--stats-interval-ms", "1000"])).toMatchObject({
      otlpEndpoint: "http://127.0.0.1:4318",
      statsIntervalMs: 1000,
    });
    expect(run(["--config", "x.yaml"], { SWITCHYARD_OTLP_ENDPOINT: "http://collector:4318/v1/traces" })).toMatchObject({
      otlpEndpoint: "http://collector:4318/v1/traces",
    });
    expect(() => parseCliOptions(["--config", "x", "--otlp-endpoint", "grpc://x"], {})).toThrow(/--otlp-endpoint \(or SWITCHYARD_OTLP_ENDPOINT\): must be an http/);
    expect(() => parseCliOptions(["--config", "x", "--stats-interval-ms", "5"], {})).toThrow(/--stats-interval-ms: must be between 100 and 300000/);
  });

  it("parses managed mode from flags and from the environment, flags first", () => {
    const o = run(["--control-plane", "ws://127.0.0.1:3000/api/xds", "--node-id", "n1", "--admin", "0.0.0.0:0"]);
    expect(o).toMatchObject({ mode: "managed", nodeId: "n1", group: "default", token: null, cacheDir: ".data/proxy-cache/n1", admin: { host: "0.0.0.0", port: 0 } });
    const e = run(["--node-id", "flag"], {
      SWITCHYARD_CONTROL_PLANE: "wss://cp.test/api/xds",
      SWITCHYARD_NODE_ID: "env",
      SWITCHYARD_NODE_GROUP: "canary",
      SWITCHYARD_NODE_TOKEN: "secret",
    });
    expect(e).toMatchObject({ mode: "managed", controlPlane: "wss://cp.test/api/xds", nodeId: "flag", group: "canary", token: "secret" });
  });

  it("refuses plain ws:// to a non-loopback control plane unless --insecure-control-plane (issue #15)", () => {
    const node = ["--node-id", "n1"];
    for (const url of ["ws://console:3000/api/xds", "ws://10.0.0.5:3000/api/xds", "ws://[2001:db8::1]:3000/api/xds"]) {
      expect(error(["--control-plane", url, ...node])).toMatch(/plain ws:\/\/ to a non-loopback address.*--insecure-control-plane/);
      expect(run(["--control-plane", url, ...node, "--insecure-control-plane"])).toMatchObject({ insecureControlPlane: true });
      expect(run(["--control-plane", url, ...node], { SWITCHYARD_INSECURE_CONTROL_PLANE: "1" })).toMatchObject({ insecureControlPlane: true });
    }
    for (const url of ["ws://127.0.0.1:3000/api/xds", "ws://localhost:3000/api/xds", "ws://[::1]:3000/api/xds", "ws://127.1.2.3/api/xds"]) {
      expect(run(["--control-plane", url, ...node])).toMatchObject({ insecureControlPlane: false, controlPlaneTls: { caFile: null, certFile: null, keyFile: null } });
    }
    expect(run(["--control-plane", "wss://console:3000/api/xds", ...node, "--control-plane-ca", "ca.pem", "--control-plane-cert", "n.crt", "--control-plane-key", "n.key"])).toMatchObject({
      insecureControlPlane: false,
      controlPlaneTls: { caFile: "ca.pem", certFile: "n.crt", keyFile: "n.key" },
    });
    expect(run(["--control-plane", "wss://console/api/xds", ...node], { SWITCHYARD_CONTROL_PLANE_CA: "/etc/ca.pem" })).toMatchObject({ controlPlaneTls: { caFile: "/etc/ca.pem" } });
    expect(error(["--control-plane", "ws://127.0.0.1/api/xds", ...node, "--control-plane-ca", "ca.pem"])).toMatch(/need a wss:\/\//);
    expect(error(["--control-plane", "wss://console/api/xds", ...node, "--control-plane-cert", "n.crt"])).toMatch(/give both/);
  });

  it("parses repeated --label KEY=VALUE (or SWITCHYARD_NODE_LABELS) and names the flag on a bad one", () => {
    const base = ["--control-plane", "ws://127.0.0.1:3000/api/xds", "--node-id", "n1"];
    expect(run([...base, "--label", "zone=eu-1", "--label", "tier=edge"])).toMatchObject({ labels: { zone: "eu-1", tier: "edge" } });
    expect(run(base, { SWITCHYARD_NODE_LABELS: "zone=us, rack=7" })).toMatchObject({ labels: { zone: "us", rack: "7" } });
    expect(run(base)).toMatchObject({ labels: {} });
    expect(() => run([...base, "--label", "novalue"])).toThrow(/--label \(or SWITCHYARD_NODE_LABELS\): must be KEY=VALUE/);
  });

  it("--workers defaults to every core (DESIGN §4) and takes any count from 1 to 256", () => {
    expect(parseCliOptions(["--config", "x"], {}, 6)).toMatchObject({ options: { workers: 6 } });
    expect(run(["--config", "x", "--workers", "1"])).toMatchObject({ workers: 1 });
    expect(run(["--config", "x", "--workers", "4"])).toMatchObject({ workers: 4 });
  });

  it("answers --help and --version", () => {
    expect(parseCliOptions(["--help"], {})).toEqual({ kind: "help" });
    expect(parseCliOptions(["--version"], {})).toEqual({ kind: "version" });
  });

  it("names the flag in every error", () => {
    expect(error(["--config", "x", "--workers", "0"])).toMatch(/^--workers: must be between 1 and 256/);
    expect(error(["--config", "x", "--workers", "999"])).toMatch(/^--workers: must be between 1 and 256/);
    expect(error(["--config", "x", "--workers", "zero"])).toMatch(/^--workers: must be a positive whole number/);
    expect(error(["--config", "x", "--admin", "9901"])).toMatch(/^--admin: must be HOST:PORT/);
    expect(error(["--control-plane", "http://x"])).toMatch(/--control-plane \(or SWITCHYARD_CONTROL_PLANE\): must be a ws:\/\//);
    expect(error(["--control-plane", "ws://127.0.0.1/api/xds"])).toMatch(/--node-id \(or SWITCHYARD_NODE_ID\): required/);
    expect(error([])).toMatch(/one of --config FILE/);
    expect(error(["--config", "a", "--control-plane", "ws://127.0.0.1"])).toMatch(/mutually exclusive/);
    expect(error(["--nope"])).toMatch(/Unknown option '--nope'/);
  });
});
