import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { z } from "zod";
import { LOG_LEVELS, type TLogLevel } from "@switchyard/config-model";
import { SERVICE_ACCOUNT_DIR, type TKubeAccessSpec } from "../upstream/discovery/kube-config.ts";
import { PROXY_VERSION } from "../version.ts";
import type { TAdminAuth } from "../admin/admin-auth.ts";

/**
 * The CLI/env edge of the proxy: the ONLY module that reads process.argv and process.env.
 * Flags are parsed with node:util parseArgs and validated with zod; every error names the
 * flag (or variable) and the reason.
 */

export const USAGE = `switchyard-proxy ${PROXY_VERSION} — the Switchyard data plane

Usage:
  switchyard-proxy --config FILE [options]                       standalone mode
  switchyard-proxy --control-plane URL --node-id ID [options]    managed mode
  switchyard-proxy --validate --config FILE [--redis URL]        check a config file and exit: 0 valid, 1 with the errors
  switchyard-proxy plugin new NAME [--dir DIR]                   write a filter plugin package skeleton (docs/filters.md)

Modes (exactly one):
  --config FILE            YAML or JSON config; watched and re-applied on change
                           (a bad file is refused with its errors logged; the running config stays)
  --control-plane URL      console WebSocket, e.g. wss://console.example:3000/api/xds  [env SWITCHYARD_CONTROL_PLANE]
                           (snapshots carry TLS private keys: ws:// only to a loopback address,
                           or with --insecure-control-plane)
  --node-id ID             this node's id (managed mode)                          [env SWITCHYARD_NODE_ID]
  --group G                node group for canary roll-outs, default "default"     [env SWITCHYARD_NODE_GROUP]
  --token T                bearer token for the control plane                     [env SWITCHYARD_NODE_TOKEN]
  --label KEY=VALUE        node label shown in the console; repeatable            [env SWITCHYARD_NODE_LABELS=k=v,k2=v2]
  --control-plane-ca FILE  PEM CA bundle the console's certificate is verified against (wss://);
                           default: the system's CAs and Node's bundled ones    [env SWITCHYARD_CONTROL_PLANE_CA]
  --control-plane-cert FILE, --control-plane-key FILE
                           client certificate and key this node presents to the console (wss://)
                                                  [env SWITCHYARD_CONTROL_PLANE_CERT, SWITCHYARD_CONTROL_PLANE_KEY]
  --insecure-control-plane allow a plain ws:// control plane on a non-loopback address (snapshots,
                           private keys included, travel in clear; logged at start)
                                                  [env SWITCHYARD_INSECURE_CONTROL_PLANE=1]

Options:
  --cache-dir DIR          last-known-good snapshot cache; managed mode default .data/proxy-cache/<node-id>,
                           standalone default none
  --admin HOST:PORT        admin server, default 127.0.0.1:9901 (port 0 = any free port); beyond
                           loopback its POST endpoints are refused unless --admin-token is set
  --admin-token T          admin POST endpoints need Authorization: Bearer T     [env SWITCHYARD_ADMIN_TOKEN]
  --admin-token-reads      admin GET endpoints need it too (/ready stays open for health checks)
  --workers N              worker processes sharing the listeners (node:cluster), default: every core;
                           1 = one process, no primary
  --access-log FILE        JSON access log file, default stdout
  --plugin MODULE          a filter plugin this proxy may load (package name, absolute path or file: URL);
                           repeatable. Announced to the console (name, version, config schema). When given,
                           configs naming other modules are refused; managed mode loads only these (none
                           without the flag), standalone any                [env SWITCHYARD_PLUGINS, comma-separated]
  --redis URL              Redis for global rate limits, e.g. redis://127.0.0.1:6379  [env SWITCHYARD_REDIS_URL]
  --consul URL             Consul HTTP API for discovery: consul clusters, default http://127.0.0.1:8500
                                                                                  [env SWITCHYARD_CONSUL_URL]
  --consul-token T         Consul ACL token (X-Consul-Token)                      [env SWITCHYARD_CONSUL_TOKEN]
  --kubeconfig FILE        kubeconfig for discovery: kubernetes clusters; default: the in-cluster
                           service account when KUBERNETES_SERVICE_HOST is set    [env KUBECONFIG]
  --outbound-allow X       where a config may make this proxy connect: a CIDR (10.0.0.0/8, 127.0.0.1) or a
                           host (consul.internal, *.svc.cluster.local); repeatable; default: anywhere.
                           Configs naming other destinations are refused, discovered endpoints outside
                           are dropped (docs/outbound-calls.md)    [env SWITCHYARD_OUTBOUND_ALLOW, comma-separated]
  --otlp-endpoint URL      export sampled spans over OTLP/HTTP JSON, e.g. http://127.0.0.1:4318
                           (a URL without a path gets /v1/traces), default: no export  [env SWITCHYARD_OTLP_ENDPOINT]
  --stats-interval-ms MS   stats window reported to the console, default 5000 (managed mode)
  --log-level LEVEL        event log on stderr: debug, info (default), warn or error   [env SWITCHYARD_LOG_LEVEL]
  --validate               with --config FILE: check the file (every issue with its path and line), start nothing
  --help                   show this help
  --version                print the version
`;

export class CliError extends Error {
  readonly code = "SWY_ERR_CLI";
  constructor(message: string) {
    super(message);
    this.name = "CliError";
  }
}

const ZHostPort = z.string().transform((value, ctx) => {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) {
    ctx.addIssue({ code: "custom", message: `must be HOST:PORT (e.g. 127.0.0.1:9901), got "${value}"` });
    return z.NEVER;
  }
  return { host: (m[1] as string).replace(/^\[|\]$/g, ""), port };
});

const ZRawOptions = z.object({
  config: z.string().min(1, "must name a file").optional(),
  "control-plane": z
    .string()
    .refine((s) => /^wss?:\/\/[^\s]+$/.test(s), "must be a ws:// or wss:// URL, e.g. ws://127.0.0.1:3000/api/xds")
    .optional(),
  "node-id": z.string().min(1, "must not be empty").max(200, "must be at most 200 characters").optional(),
  group: z.string().min(1, "must not be empty").max(100, "must be at most 100 characters").default("default"),
  token: z.string().min(1, "must not be empty").optional(),
  "control-plane-ca": z.string().min(1, "must name a file").optional(),
  "control-plane-cert": z.string().min(1, "must name a file").optional(),
  "control-plane-key": z.string().min(1, "must name a file").optional(),
  "insecure-control-plane": z.boolean().default(false),
  label: z
    .array(z.string().regex(/^[A-Za-z0-9._/-]{1,63}=[^,]{0,200}$/, "must be KEY=VALUE (key: letters, digits, . _ / -; value without commas)"))
    .default([]),
  "cache-dir": z.string().min(1, "must name a directory").optional(),
  plugin: z.array(z.string().min(1, "must name a module").refine((m) => !/^\.\.?[/\\]/.test(m), "must be a package name, an absolute path or a file: URL")).optional(),
  "outbound-allow": z.array(z.string().regex(/^[A-Za-z0-9.:*/_-]{1,253}$/, "must be a CIDR (10.0.0.0/8) or a host name (api.internal, *.internal)")).default([]),
  admin: ZHostPort.default({ host: "127.0.0.1", port: 9901 }),
  "admin-token": z.string().min(16, "must be at least 16 characters").optional(),
  "admin-token-reads": z.boolean().default(false),
  workers: z
    .string()
    .regex(/^\d+$/, "must be a positive whole number")
    .transform(Number)
    .refine((n) => n >= 1 && n <= 256, "must be between 1 and 256")
    .optional(),
  "access-log": z.string().min(1, "must name a file").optional(),
  redis: z
    .string()
    .refine((s) => /^rediss?:\/\/[^\s]+$/.test(s), "must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379")
    .optional(),
  consul: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL, e.g. http://127.0.0.1:8500" }).default("http://127.0.0.1:8500"),
  "consul-token": z.string().min(1, "must not be empty").optional(),
  kubeconfig: z.string().min(1, "must name a file").optional(),
  "otlp-endpoint": z
    .string()
    .refine((s) => /^https?:\/\/[^\s]+$/.test(s) && URL.canParse(s), "must be an http:// or https:// URL, e.g. http://127.0.0.1:4318")
    .optional(),
  "stats-interval-ms": z
    .string()
    .regex(/^\d+$/, "must be a whole number of milliseconds")
    .transform(Number)
    .refine((n) => n >= 100 && n <= 300_000, "must be between 100 and 300000")
    .default(5_000),
  "log-level": z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }).default("info"),
});

export type TProxyOptions = {
  admin: { host: string; port: number };
  /** Admin server access (admin/admin-auth.ts). */
  adminAuth: TAdminAuth;
  workers: number;
  /** null = stdout. */
  accessLog: string | null;
  /** Redis for global rate limits; null = none (global policies are refused). */
  redisUrl: string | null;
  /** OTLP/HTTP collector for sampled spans; null = no export. */
  otlpEndpoint: string | null;
  /** The OpenTelemetry SDK variables that apply to the export (service name, resource, headers, gzip). */
  otlp: TOtlpSettings;
  /** Stats window reported to the console (managed mode); default 5000. */
  statsIntervalMs: number;
  /** Event log threshold (--log-level / SWITCHYARD_LOG_LEVEL), default info. */
  logLevel: TLogLevel;
  cacheDir: string | null;
  /** --outbound-allow entries (CIDRs, hosts); empty = any destination. */
  outboundAllow: string[];
  /** --plugin modules: announced in hello and the only ones a config may name; null = not given (standalone: any; managed: none). */
  plugins: string[] | null;
  /** Service discovery: the Consul agent and the Kubernetes API server (null: none configured). */
  discovery: { consulUrl: string; consulToken: string | null; kubernetes: TKubeAccessSpec | null };
} & (
  | { mode: "standalone"; configFile: string }
  | {
      mode: "managed";
      controlPlane: string;
      nodeId: string;
      group: string;
      token: string | null;
      labels: Record<string, string>;
      /** wss:// only: PEM files (null = the system's and Node's bundled CAs; no client certificate). */
      controlPlaneTls: { caFile: string | null; certFile: string | null; keyFile: string | null };
      /** A plain ws:// control plane off loopback was allowed explicitly (--insecure-control-plane). */
      insecureControlPlane: boolean;
    }
);

export type TOtlpSettings = {
  /** OTEL_SERVICE_NAME, default switchyard-proxy. */
  serviceName: string;
  /** OTEL_RESOURCE_ATTRIBUTES (key=value,... percent-decoded). */
  resourceAttributes: Record<string, string>;
  /** OTEL_EXPORTER_OTLP_TRACES_HEADERS, else OTEL_EXPORTER_OTLP_HEADERS. */
  headers: Record<string, string>;
  /** OTEL_EXPORTER_OTLP_TRACES_COMPRESSION, else OTEL_EXPORTER_OTLP_COMPRESSION: gzip | none (default). */
  compression: "gzip" | "none";
};

/** The W3C-baggage-like list the OpenTelemetry SDKs read: `k=v,k2=v2`, percent-encoded. Throws CliError naming the variable. */
export function parseOtelList(name: string, raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (raw ?? "").split(",")) {
    if (part.trim() === "") continue;
    const eq = part.indexOf("=");
    const key = eq > 0 ? part.slice(0, eq).trim() : "";
    if (!key) throw new CliError(`${name}: "${part.trim()}" is not key=value (the list is key=value,key2=value2)`);
    try {
      out[decodeURIComponent(key)] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      throw new CliError(`${name}: "${part.trim()}" has a bad percent-encoding`);
    }
  }
  return out;
}

function readOtlpSettings(env: Readonly<Record<string, string | undefined>>): TOtlpSettings {
  const compressionVar = env.OTEL_EXPORTER_OTLP_TRACES_COMPRESSION ? "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION" : "OTEL_EXPORTER_OTLP_COMPRESSION";
  const compression = (env[compressionVar] || "none").trim().toLowerCase();
  if (compression !== "gzip" && compression !== "none") throw new CliError(`${compressionVar}: must be gzip or none, got "${env[compressionVar]}"`);
  const headersVar = env.OTEL_EXPORTER_OTLP_TRACES_HEADERS ? "OTEL_EXPORTER_OTLP_TRACES_HEADERS" : "OTEL_EXPORTER_OTLP_HEADERS";
  return {
    serviceName: env.OTEL_SERVICE_NAME?.trim() || "switchyard-proxy",
    resourceAttributes: parseOtelList("OTEL_RESOURCE_ATTRIBUTES", env.OTEL_RESOURCE_ATTRIBUTES),
    headers: parseOtelList(headersVar, env[headersVar]),
    compression,
  };
}

export type TCliCommand =
  | { kind: "help" }
  | { kind: "version" }
  /** --validate: the checks a version goes through before anything is built; nothing starts. */
  | { kind: "validate"; configFile: string; redisConfigured: boolean; plugins: string[] | null }
  /** `plugin new NAME`: writes a plugin package skeleton to DIR (default ./NAME). */
  | { kind: "plugin-new"; name: string; dir: string }
  | { kind: "run"; options: TProxyOptions };

/** Pure: parses argv (without node and script) and the environment. Throws CliError. */
export function parseCliOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, cores = availableParallelism()): TCliCommand {
  if (argv[0] === "plugin") return parsePluginCommand(argv.slice(1));
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        config: { type: "string" },
        "control-plane": { type: "string" },
        "node-id": { type: "string" },
        group: { type: "string" },
        token: { type: "string" },
        "control-plane-ca": { type: "string" },
        "control-plane-cert": { type: "string" },
        "control-plane-key": { type: "string" },
        "insecure-control-plane": { type: "boolean" },
        label: { type: "string", multiple: true },
        "outbound-allow": { type: "string", multiple: true },
        plugin: { type: "string", multiple: true },
        "cache-dir": { type: "string" },
        admin: { type: "string" },
        "admin-token": { type: "string" },
        "admin-token-reads": { type: "boolean" },
        workers: { type: "string" },
        "access-log": { type: "string" },
        redis: { type: "string" },
        consul: { type: "string" },
        "consul-token": { type: "string" },
        kubeconfig: { type: "string" },
        "otlp-endpoint": { type: "string" },
        "stats-interval-ms": { type: "string" },
        "log-level": { type: "string" },
        validate: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
    }));
  } catch (err) {
    throw new CliError(`${(err as Error).message}\nRun switchyard-proxy --help for the flags.`);
  }
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };

  // Flags win over the environment.
  const fromEnv: Record<string, string | undefined> = {
    "control-plane": env.SWITCHYARD_CONTROL_PLANE || undefined,
    "node-id": env.SWITCHYARD_NODE_ID || undefined,
    group: env.SWITCHYARD_NODE_GROUP || undefined,
    token: env.SWITCHYARD_NODE_TOKEN || undefined,
    "control-plane-ca": env.SWITCHYARD_CONTROL_PLANE_CA || undefined,
    "control-plane-cert": env.SWITCHYARD_CONTROL_PLANE_CERT || undefined,
    "control-plane-key": env.SWITCHYARD_CONTROL_PLANE_KEY || undefined,
    redis: env.SWITCHYARD_REDIS_URL || undefined,
    consul: env.SWITCHYARD_CONSUL_URL || undefined,
    "consul-token": env.SWITCHYARD_CONSUL_TOKEN || undefined,
    // kubectl's convention; a list (a:b) means the first file here.
    kubeconfig: env.KUBECONFIG?.split(":")[0] || undefined,
    // The OpenTelemetry SDKs' variables too: the traces URL as it is, or a base URL.
    "log-level": env.SWITCHYARD_LOG_LEVEL || undefined,
    "admin-token": env.SWITCHYARD_ADMIN_TOKEN || undefined,
    "otlp-endpoint": env.SWITCHYARD_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
  };
  const envLabels = env.SWITCHYARD_NODE_LABELS ? env.SWITCHYARD_NODE_LABELS.split(",").map((l) => l.trim()).filter(Boolean) : undefined;
  const merged: Record<string, unknown> = { ...values };
  for (const [k, v] of Object.entries(fromEnv)) if (merged[k] === undefined && v !== undefined) merged[k] = v;
  if (merged["insecure-control-plane"] === undefined && /^(1|true|yes)$/i.test(env.SWITCHYARD_INSECURE_CONTROL_PLANE ?? "")) merged["insecure-control-plane"] = true;
  if (merged.label === undefined && envLabels) merged.label = envLabels;
  if (merged["outbound-allow"] === undefined && env.SWITCHYARD_OUTBOUND_ALLOW) merged["outbound-allow"] = env.SWITCHYARD_OUTBOUND_ALLOW.split(",").map((e) => e.trim()).filter(Boolean);
  if (merged.plugin === undefined && env.SWITCHYARD_PLUGINS) merged.plugin = env.SWITCHYARD_PLUGINS.split(",").map((e) => e.trim()).filter(Boolean);
  const validate = merged.validate === true;
  delete merged.help;
  delete merged.version;
  delete merged.validate;

  const parsed = ZRawOptions.safeParse(merged);
  if (!parsed.success) {
    throw new CliError(
      parsed.error.issues
        .map((i) => {
          const flag = String(i.path[0] ?? "");
          const envName = ENV_OF[flag];
          return `--${flag}${envName ? ` (or ${envName})` : ""}: ${i.message}`;
        })
        .join("\n"),
    );
  }
  const o = parsed.data;
  // Kubernetes: an explicit kubeconfig wins; else the pod's service account when the
  // kubelet's KUBERNETES_SERVICE_HOST/PORT are set; else none (kubernetes clusters say so).
  const inCluster = env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT;
  const kubernetes: TKubeAccessSpec | null = o.kubeconfig
    ? { kind: "kubeconfig", path: o.kubeconfig }
    : inCluster
      ? { kind: "inCluster", host: env.KUBERNETES_SERVICE_HOST as string, port: env.KUBERNETES_SERVICE_PORT as string, dir: SERVICE_ACCOUNT_DIR }
      : null;
  if (o["admin-token-reads"] && o["admin-token"] === undefined) throw new CliError("--admin-token-reads needs --admin-token T (or SWITCHYARD_ADMIN_TOKEN)");
  const common = {
    admin: o.admin,
    adminAuth: { token: o["admin-token"] ?? null, protectReads: o["admin-token-reads"] },
    // DESIGN §4: every core by default. 1 = a single process (no primary/worker split).
    workers: o.workers ?? cores,
    accessLog: o["access-log"] ?? null,
    redisUrl: o.redis ?? null,
    discovery: { consulUrl: o.consul, consulToken: o["consul-token"] ?? null, kubernetes },
    outboundAllow: o["outbound-allow"],
    plugins: o.plugin ?? null,
    otlpEndpoint: o["otlp-endpoint"] ?? null,
    otlp: readOtlpSettings(env),
    statsIntervalMs: o["stats-interval-ms"],
    logLevel: o["log-level"],
  };

  if (validate) {
    if (o.config === undefined) throw new CliError("--validate needs --config FILE (the file to check)");
    return { kind: "validate", configFile: o.config, redisConfigured: o.redis !== undefined, plugins: o.plugin ?? null };
  }
  if (o.config !== undefined && o["control-plane"] !== undefined) {
    throw new CliError("--config and --control-plane are mutually exclusive: pick standalone or managed mode");
  }
  if (o.config !== undefined) {
    return { kind: "run", options: { ...common, mode: "standalone", configFile: o.config, cacheDir: o["cache-dir"] ?? null } };
  }
  if (o["control-plane"] !== undefined) {
    const nodeId = o["node-id"];
    if (nodeId === undefined) throw new CliError("--node-id (or SWITCHYARD_NODE_ID): required with --control-plane");
    const transport = controlPlaneTransport(o["control-plane"], {
      caFile: o["control-plane-ca"] ?? null,
      certFile: o["control-plane-cert"] ?? null,
      keyFile: o["control-plane-key"] ?? null,
      insecure: o["insecure-control-plane"],
    });
    return {
      kind: "run",
      options: {
        ...common,
        mode: "managed",
        controlPlane: o["control-plane"],
        nodeId,
        group: o.group,
        token: o.token ?? null,
        ...transport,
        labels: Object.fromEntries(o.label.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)])),
        cacheDir: o["cache-dir"] ?? `.data/proxy-cache/${nodeId.replace(/[^A-Za-z0-9._-]/g, "_")}`,
      },
    };
  }
  throw new CliError("one of --config FILE (standalone) or --control-plane URL (managed, or SWITCHYARD_CONTROL_PLANE) is required");
}

/**
 * The control plane's transport rules. Snapshots hold TLS private keys, so the stream must
 * be wss:// (verified) unless the console is on this machine (a loopback address) or the
 * operator said --insecure-control-plane. Throws CliError naming the flag.
 */
export function controlPlaneTransport(
  url: string,
  o: { caFile: string | null; certFile: string | null; keyFile: string | null; insecure: boolean },
): { controlPlaneTls: { caFile: string | null; certFile: string | null; keyFile: string | null }; insecureControlPlane: boolean } {
  const secure = url.startsWith("wss://");
  if ((o.certFile === null) !== (o.keyFile === null)) throw new CliError("--control-plane-cert and --control-plane-key: give both (the client certificate and its key) or neither");
  if (!secure && (o.caFile || o.certFile)) {
    throw new CliError("--control-plane-ca / --control-plane-cert: need a wss:// --control-plane URL (they configure TLS)");
  }
  if (!secure && !o.insecure && !isLoopbackHost(new URL(url).hostname)) {
    throw new CliError(
      `--control-plane (or SWITCHYARD_CONTROL_PLANE): ${url} is plain ws:// to a non-loopback address; snapshots (TLS private keys included) would travel in clear. Use wss:// (with --control-plane-ca FILE for a private CA), or pass --insecure-control-plane to accept the risk`,
    );
  }
  return { controlPlaneTls: { caFile: o.caFile, certFile: o.certFile, keyFile: o.keyFile }, insecureControlPlane: !secure && !isLoopbackHost(new URL(url).hostname) };
}

/** localhost, 127.0.0.0/8 and ::1 (URL.hostname keeps IPv6 brackets). */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

const ENV_OF: Record<string, string> = {
  "control-plane": "SWITCHYARD_CONTROL_PLANE",
  "node-id": "SWITCHYARD_NODE_ID",
  group: "SWITCHYARD_NODE_GROUP",
  token: "SWITCHYARD_NODE_TOKEN",
  "control-plane-ca": "SWITCHYARD_CONTROL_PLANE_CA",
  "control-plane-cert": "SWITCHYARD_CONTROL_PLANE_CERT",
  "control-plane-key": "SWITCHYARD_CONTROL_PLANE_KEY",
  "insecure-control-plane": "SWITCHYARD_INSECURE_CONTROL_PLANE",
  redis: "SWITCHYARD_REDIS_URL",
  consul: "SWITCHYARD_CONSUL_URL",
  "consul-token": "SWITCHYARD_CONSUL_TOKEN",
  kubeconfig: "KUBECONFIG",
  label: "SWITCHYARD_NODE_LABELS",
  "outbound-allow": "SWITCHYARD_OUTBOUND_ALLOW",
  plugin: "SWITCHYARD_PLUGINS",
  "otlp-endpoint": "SWITCHYARD_OTLP_ENDPOINT",
  "log-level": "SWITCHYARD_LOG_LEVEL",
  "admin-token": "SWITCHYARD_ADMIN_TOKEN",
};

/** `plugin new NAME [--dir DIR]`. */
function parsePluginCommand(argv: readonly string[]): TCliCommand {
  let values: { dir?: string | undefined };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...argv], strict: true, allowPositionals: true, options: { dir: { type: "string" } } }));
  } catch (err) {
    throw new CliError(`plugin: ${(err as Error).message}\nUsage: switchyard-proxy plugin new NAME [--dir DIR]`);
  }
  const [verb, name, ...rest] = positionals;
  if (verb !== "new" || name === undefined || rest.length) throw new CliError("plugin: usage: switchyard-proxy plugin new NAME [--dir DIR]");
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(name)) throw new CliError(`plugin new: NAME "${name}" must be lower-case letters, digits, '.', '_' or '-' (it names the package and the filter)`);
  return { kind: "plugin-new", name, dir: values.dir ?? name };
}

/** The process's own argv and environment. */
export function readCliOptions(): TCliCommand {
  return parseCliOptions(process.argv.slice(2), process.env);
}
