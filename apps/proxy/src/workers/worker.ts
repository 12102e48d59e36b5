import { describeClustersForAdmin } from "../admin/server.ts";
import type { TMetrics } from "../observability/metrics.ts";
import type { TTelemetrySender } from "../observability/telemetry-reporter.ts";
import type { RuntimeManager } from "../runtime/apply.ts";
import type { ClusterManager } from "../upstream/cluster-manager.ts";
import type { EdsStore } from "../upstream/discovery/eds.ts";
import { describeClusters } from "../upstream/discovery/status.ts";
import type { TFromWorker, TToWorker } from "./protocol.ts";

export type TWorkerDeps = {
  runtime: RuntimeManager;
  clusters: ClusterManager;
  eds: EdsStore;
  metrics: TMetrics;
  /** Graceful stop of this worker (stop accepting, finish in-flight up to graceMs, exit 0). */
  stop: (reason: string, graceMs?: number) => void;
};

/**
 * A worker's side of the IPC: it applies the configs the primary fans out (the primary
 * validated them already; the worker's RuntimeManager validates again, which is cheap and
 * keeps one apply path), answers metric and cluster queries for the primary's admin
 * server, takes EDS pushes, and drains when told. If the primary dies the IPC channel
 * closes: the worker drains too, so no orphan keeps a port.
 */
export function attachWorker(deps: TWorkerDeps): void {
  const send = (m: TFromWorker) => {
    if (process.connected) process.send?.(m);
  };
  process.on("message", (raw: TToWorker) => {
    switch (raw?.type) {
      case "sy:apply":
        void deps.runtime.applyConfig(raw.config, raw.meta).then((result) => send({ type: "sy:reply", id: raw.id, result }));
        return;
      case "sy:metrics":
        void deps.metrics.registry.getMetricsAsJSON().then((metrics) => send({ type: "sy:reply", id: raw.id, metrics }));
        return;
      case "sy:clusters":
        return send({ type: "sy:reply", id: raw.id, clusters: describeClusters(deps.clusters.current()), admin: describeClustersForAdmin(deps.clusters.current()) });
      case "sy:endpoints":
        deps.eds.push(raw.msg.cluster, raw.msg.version, raw.msg.endpoints);
        return;
      case "sy:drain":
        return deps.stop("primary", raw.graceMs);
    }
  });
  process.on("disconnect", () => deps.stop("primary_gone"));
  send({ type: "sy:up" });
}

/**
 * Managed mode with workers: telemetry goes to the primary, which owns the one
 * control-plane socket and forwards it. The console stores stats windows as rows and
 * sums them, so one window per worker per interval adds up to the node's figures.
 * Drops happen in the primary's send queue; the primary counts them in its metrics.
 */
export function telemetryToPrimary(): TTelemetrySender {
  return {
    send: (message) => {
      if (!process.connected) return false;
      process.send?.({ type: "sy:telemetry", message } satisfies TFromWorker);
      return true;
    },
    takeDropped: () => ({ stats: 0, spans: 0, health: 0 }),
  };
}
