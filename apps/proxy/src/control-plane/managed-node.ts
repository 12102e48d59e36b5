import type { TEndpointsMessage, TPluginInfo } from "@switchyard/config-model";
import type { TProxyOptions } from "../cli/options.ts";
import type { TLog } from "../observability/log.ts";
import type { TMetrics } from "../observability/metrics.ts";
import type { TTelemetrySender } from "../observability/telemetry-reporter.ts";
import type { TApplyMeta, TApplyResult } from "../runtime/apply.ts";
import type { TClusterView } from "../workers/protocol.ts";
import { PROXY_VERSION } from "../version.ts";
import { startControlPlaneClient, type TControlPlaneClient, type TDroppedCounts } from "./client.ts";
import { controlPlaneTls } from "./tls.ts";

/** clusterStatus frames go out at most this often after a change, and at least this often while connected. */
const CLUSTER_STATUS_MIN_INTERVAL_MS = 1_000;
const CLUSTER_STATUS_REFRESH_MS = 10_000;
/** How often the primary, whose workers report through it, counts the send queue's drops. */
const DROPS_COUNT_INTERVAL_MS = 5_000;

export type TManagedOptions = Extract<TProxyOptions, { mode: "managed" }>;
export type TApplier = { applyConfig(input: unknown, meta: TApplyMeta): Promise<TApplyResult> };

export type TManagedNode = {
  client: TControlPlaneClient;
  /** The telemetry reporter's way to the console; the queue's drops land in the metrics as they are taken. */
  telemetry: TTelemetrySender;
  /** Something the console's endpoints view shows changed: a clusterStatus frame follows (at most one a second). */
  clusterStatusChanged(): void;
};

/**
 * Managed mode's control-plane wiring, the same in a single process (main.ts) and in the
 * primary of `--workers N` (workers/primary.ts): the client, with snapshots applied
 * through `applier` (the runtime, or the fan-out to the workers) and acked or nacked with
 * its issues; clusterStatus frames, throttled after changes and refreshed every 10 s; and
 * the telemetry send queue's drops counted in the metrics (by the reporter that takes
 * them, or every 5 s when the workers' reporters send through this process).
 */
export function connectManagedNode(
  options: TManagedOptions,
  deps: {
    log: TLog;
    metrics: Pick<TMetrics, "telemetryDropped">;
    applier: TApplier;
    /** The applied version reported in hello. */
    getApplied: () => { version: number; hash: string } | null;
    applyEndpoints: (msg: TEndpointsMessage) => { ok: true } | { ok: false; error: string };
    /** What the clusterStatus frame reports now (undefined: nothing to report). */
    clusterStatus: () => TClusterView | undefined | Promise<TClusterView | undefined>;
    /** "timer": nobody in this process takes the drops (the workers report through it). */
    dropsTakenBy: "reporter" | "timer";
    /** The --plugin modules (loaded at start), announced in hello. */
    plugins: readonly TPluginInfo[];
  },
): TManagedNode {
  let statusTimer: NodeJS.Timeout | null = null;
  const sendClusterStatus = async () => {
    if (statusTimer) clearTimeout(statusTimer);
    statusTimer = null;
    const clusters = await deps.clusterStatus();
    if (clusters) client.send({ type: "clusterStatus", clusters });
  };
  const clusterStatusChanged = () => {
    statusTimer ??= setTimeout(() => void sendClusterStatus(), CLUSTER_STATUS_MIN_INTERVAL_MS);
  };
  if (options.insecureControlPlane) {
    deps.log("control_plane_insecure", {
      url: options.controlPlane,
      message: "plain ws:// to a non-loopback control plane (--insecure-control-plane): snapshots, TLS private keys included, travel in clear",
    });
  }
  const tls = controlPlaneTls(options);
  const client = startControlPlaneClient({
    url: options.controlPlane,
    ...(tls ? { tls } : {}),
    nodeId: options.nodeId,
    group: options.group,
    labels: options.labels,
    ...(options.token ? { token: options.token } : {}),
    proxyVersion: PROXY_VERSION,
    capabilities: { redis: options.redisUrl !== null, plugins: [...deps.plugins] },
    getApplied: deps.getApplied,
    apply: async (snapshot) => {
      const result = await deps.applier.applyConfig(snapshot.config, { version: snapshot.version, hash: snapshot.hash, source: "control-plane" });
      if (!result.ok) return { ok: false, error: result.error, issues: result.issues };
      clusterStatusChanged();
      return { ok: true };
    },
    applyEndpoints: (msg) => {
      const result = deps.applyEndpoints(msg);
      if (result.ok) clusterStatusChanged();
      return result;
    },
    onConnected: () => void sendClusterStatus(),
    log: deps.log,
  });
  setInterval(clusterStatusChanged, CLUSTER_STATUS_REFRESH_MS).unref();

  const takeDropped = (): TDroppedCounts => {
    const d = client.takeDropped();
    deps.metrics.telemetryDropped("stats_window", d.stats);
    deps.metrics.telemetryDropped("span", d.spans);
    deps.metrics.telemetryDropped("health_event", d.health);
    return d;
  };
  if (deps.dropsTakenBy === "timer") setInterval(takeDropped, DROPS_COUNT_INTERVAL_MS).unref();
  return { client, telemetry: { send: (m) => client.sendTelemetry(m), takeDropped, pace: () => client.statsPace() }, clusterStatusChanged };
}
