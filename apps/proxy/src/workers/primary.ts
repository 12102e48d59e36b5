import cluster, { type Worker } from "node:cluster";
import { CanonicalMemo, ValidationMemo, type TConfig, type TPluginInfo } from "@switchyard/config-model";
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from "prom-client";
import { describeAdminAccess } from "../admin/admin-auth.ts";
import { serverIdentity, startAdminServer, type TAdminClusterView, type TAppliedView } from "../admin/server.ts";
import type { TProxyOptions } from "../cli/options.ts";
import { connectManagedNode, type TApplier, type TManagedNode } from "../control-plane/managed-node.ts";
import type { TLog } from "../observability/log.ts";
import { createMetrics } from "../observability/metrics.ts";
import type { TApplyMeta, TApplyResult } from "../runtime/apply.ts";
import { cacheOf, writeCachedSnapshot } from "../runtime/cache.ts";
import { bootFromCache, startStandalone } from "../runtime/config-source.ts";
import { PROXY_VERSION } from "../version.ts";
import { NodeState } from "./node-state.ts";
import { isFromWorker, type TClusterView, type TToWorker, type TWorkerReply } from "./protocol.ts";
import { isStateMessage, STATE_OWNER_ENV, type TStateFromWorker } from "./state-protocol.ts";

/**
 * The primary of `--workers N` (N > 1), DESIGN §5: it serves no traffic itself.
 *  - forks N workers (node:cluster); they share every listener socket (the primary holds
 *    the handles and deals connections out round-robin);
 *  - holds the config source: the watched file, or the one control-plane connection and the
 *    last-known-good cache; validates each version once and fans it out; a version is
 *    applied (ack) only when every worker applied it, else refused (nack) with the first error;
 *  - serves the admin API once: /stats merges the workers' registries with prom-client's
 *    AggregatorRegistry (counters and histograms summed; per-process state such as
 *    config_version with `max`), /clusters sums the workers' endpoint counters;
 *  - holds the node's one state (node-state.ts): circuit-breaker counts and local
 *    rate-limit buckets leased to the workers, and the state owner's (the first worker's)
 *    health and ejection verdicts relayed to the others;
 *  - replaces a worker that dies (it gets the applied config before it serves) and, on
 *    SIGTERM/SIGINT, turns /ready to 503, tells every worker to drain (stop accepting,
 *    finish in-flight requests up to the grace period) and exits when they have.
 */

/** A worker that does not answer an admin query within this long is left out of the answer. */
const QUERY_TIMEOUT_MS = 5_000;
/** Applying may wait for discovery warm-up (bounded inside the worker) and listener binds. */
const APPLY_TIMEOUT_MS = 60_000;
/** A crashing worker is replaced at most this often, so a crash loop does not spin a core. */
const RESPAWN_MIN_INTERVAL_MS = 1_000;

export type TPrimaryDeps = {
  log: TLog;
  graceMs: number;
  /** The --plugin modules (loaded at start), announced in hello. */
  plugins: readonly TPluginInfo[];
};

/** `owner`: this worker runs the health checks and decides ejections (node-state.ts). */
type TSlot = { worker: Worker; up: Promise<void>; applied: number | null; owner: boolean };

export async function runPrimary(options: TProxyOptions, deps: TPrimaryDeps): Promise<void> {
  const cache = cacheOf(options);
  const { log } = deps;
  const metrics = createMetrics(() => []);
  const slots = new Map<number, TSlot>();
  const pending = new Map<number, { resolve: (r: TWorkerReply) => void; timer: NodeJS.Timeout }>();
  let nextId = 1;
  let stopping = false;
  let lastRespawn = 0;
  let applied: (TAppliedView & { config: TConfig }) | null = null;
  let managed: TManagedNode | null = null;

  const request = (slot: TSlot, msg: TToWorker & { id: number }, timeoutMs: number): Promise<TWorkerReply | null> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(msg.id);
        resolve(null);
      }, timeoutMs);
      pending.set(msg.id, { resolve, timer });
      try {
        slot.worker.send(msg);
      } catch {
        clearTimeout(timer);
        pending.delete(msg.id);
        resolve(null);
      }
    });

  const nodeState = new NodeState(
    (id, m) => {
      const w = slots.get(id)?.worker;
      if (w?.isConnected()) w.send(m);
    },
    () => slots.keys(),
  );

  const fork = (owner: boolean): TSlot => {
    const worker = cluster.fork(owner ? { [STATE_OWNER_ENV]: "1" } : {});
    let markUp: () => void = () => undefined;
    const slot: TSlot = { worker, up: new Promise<void>((r) => (markUp = r)), applied: null, owner };
    slots.set(worker.id, slot);
    if (owner) nodeState.owner = worker.id;
    worker.on("message", (m: unknown) => {
      if (isStateMessage(m)) return nodeState.handle(worker.id, m as TStateFromWorker);
      if (!isFromWorker(m)) return;
      if (m.type === "sy:up") return markUp();
      if (m.type === "sy:telemetry") return void managed?.client.sendTelemetry(m.message);
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      clearTimeout(p.timer);
      p.resolve(m);
    });
    worker.on("exit", (code, signal) => {
      slots.delete(worker.id);
      nodeState.workerGone(worker.id);
      if (stopping) return;
      log("worker_exited", { worker: worker.id, pid: worker.process.pid, code, signal });
      const wait = Math.max(0, lastRespawn + RESPAWN_MIN_INTERVAL_MS - Date.now());
      setTimeout(() => {
        if (stopping) return;
        lastRespawn = Date.now();
        // The owner's replacement owns: health checks pause only while it starts.
        const fresh = fork(owner);
        // The replacement serves only once it has the applied version (it binds its listeners then).
        void fresh.up.then(() => (applied ? applyTo(fresh, applied.config, { version: applied.version, hash: applied.hash, source: applied.source }) : undefined));
      }, wait);
    });
    return slot;
  };

  const applyTo = async (slot: TSlot, config: TConfig, meta: TApplyMeta): Promise<TApplyResult> => {
    nodeState.endpointsTo(slot.worker.id);
    const reply = await request(slot, { type: "sy:apply", id: nextId++, config, meta }, APPLY_TIMEOUT_MS);
    const result: TApplyResult = reply && "result" in reply ? reply.result : { ok: false, error: `worker ${slot.worker.id} did not answer the apply`, issues: [] };
    if (result.ok) {
      slot.applied = meta.version;
      nodeState.replayTo(slot.worker.id);
    }
    return result;
  };

  // One version at a time, like RuntimeManager: the queue keeps workers in the same order.
  let queue: Promise<unknown> = Promise.resolve();
  // As in RuntimeManager: a new version validates and hashes only the resources that changed.
  const validation = new ValidationMemo();
  const canonical = new CanonicalMemo();
  const fanout: TApplier = {
    applyConfig(input, meta) {
      const next = queue.then(async (): Promise<TApplyResult> => {
        const validated = validation.validate(input);
        if (!validated.ok) {
          metrics.configRejected();
          log("config_rejected", { version: meta.version, source: meta.source, error: "invalid config", issues: validated.issues });
          return { ok: false, error: "invalid config", issues: validated.issues };
        }
        const hash = meta.hash ?? canonical.hash(validated.config);
        const fullMeta = { ...meta, hash };
        const live = [...slots.values()];
        await Promise.all(live.map((s) => s.up));
        // The state owner first: its discovery warms the version (DNS, Consul, Kubernetes)
        // and the others start from what it found.
        const owner = live.filter((s) => s.owner);
        const others = live.filter((s) => !s.owner);
        const results = [...(await Promise.all(owner.map((s) => applyTo(s, validated.config, fullMeta)))), ...(await Promise.all(others.map((s) => applyTo(s, validated.config, fullMeta))))];
        const failed = results.find((r): r is Extract<TApplyResult, { ok: false }> => !r.ok);
        if (failed) {
          metrics.configRejected();
          // Workers that took it serve it; the others keep the previous version (node:cluster
          // shares sockets, so a bind failure normally hits every worker alike).
          if (results.some((r) => r.ok)) log("workers_diverged", { version: meta.version, error: failed.error });
          return failed;
        }
        validation.commit();
        applied = { version: meta.version, hash, source: meta.source, appliedAt: new Date().toISOString(), config: validated.config };
        metrics.configApplied(meta.version);
        log("config_applied", {
          version: meta.version,
          hash,
          source: meta.source,
          workers: live.length,
          resources: { validated: validation.stats.parsed, unchanged: validation.stats.reused },
        });
        if (cache) {
          await writeCachedSnapshot(cache, { version: meta.version, hash, config: validated.config, appliedAt: applied.appliedAt, source: meta.source }).catch((err: unknown) =>
            log("config_cache_write_failed", { dir: cache.dir, error: err }),
          );
        }
        return { ok: true, version: meta.version, hash };
      });
      queue = next.catch(() => undefined);
      return next;
    },
  };

  /** Asks every live worker; those that do not answer in time are left out. */
  const askAll = async <T>(make: (id: number) => TToWorker & { id: number }, pick: (r: TWorkerReply) => T | undefined): Promise<T[]> => {
    // The state owner first: its view (discovery source, health) is the node's for the console.
    const ordered = [...slots.values()].sort((a, b) => Number(b.owner) - Number(a.owner));
    const replies = await Promise.all(ordered.map((s) => request(s, make(nextId++), QUERY_TIMEOUT_MS)));
    const out: T[] = [];
    for (const r of replies) {
      const v = r ? pick(r) : undefined;
      if (v !== undefined) out.push(v);
    }
    return out;
  };

  const aggregate = async () => {
    const perWorker = await askAll((id) => ({ type: "sy:metrics", id }), (r) => ("metrics" in r ? r.metrics : undefined));
    // The primary's own registry holds the config_apply_total / config_version it decided.
    const own = (await metrics.registry.getMetricsAsJSON()) as MetricObjectWithValues<MetricValue<string>>[];
    return AggregatorRegistry.aggregate([own, ...perWorker]);
  };

  const clusterViews = () => askAll((id) => ({ type: "sy:clusters", id }), (r) => ("clusters" in r ? r : undefined));

  /** Worker views summed: connections and per-endpoint counters add up; the rest is the same in every worker. */
  const clusterReport = async (): Promise<TAdminClusterView[]> => {
    const views = (await clusterViews()).map((r) => r.admin);
    const merged = new Map<string, TAdminClusterView>();
    for (const view of views) {
      for (const c of view) {
        const seen = merged.get(c.name);
        if (!seen) {
          merged.set(c.name, structuredClone(c));
          continue;
        }
        seen.activeConnections += c.activeConnections;
        seen.activeRequests += c.activeRequests;
        seen.pendingRequests += c.pendingRequests;
        seen.activeRetries += c.activeRetries;
        // Health and ejection are the state owner's verdicts in every worker; a worker may
        // learn of one a moment later, so the merged view is still the worst one.
        seen.availableEndpoints = Math.min(seen.availableEndpoints, c.availableEndpoints);
        seen.panic ||= c.panic;
        for (const e of c.endpoints) {
          const m = seen.endpoints.find((x) => x.address === e.address && x.port === e.port);
          if (!m) continue;
          m.activeRequests += e.activeRequests;
          m.successes += e.successes;
          m.errors += e.errors;
          m.ejections += e.ejections;
          m.ejected ||= e.ejected;
          m.ejectionRemainingMs = Math.max(m.ejectionRemainingMs, e.ejectionRemainingMs);
          if (e.health !== "healthy") m.health = e.health;
        }
      }
    }
    return [...merged.values()];
  };

  for (let i = 0; i < options.workers; i++) fork(i === 0);
  await Promise.all([...slots.values()].map((s) => s.up));
  log("workers_up", { workers: options.workers, pids: [...slots.values()].map((s) => s.worker.process.pid) });

  const admin = await startAdminServer(options.admin.host, options.admin.port, {
    auth: options.adminAuth,
    // LIVE once a version is applied by every worker that serves.
    runtime: () => (applied && [...slots.values()].every((s) => s.applied === applied?.version) ? applied : null),
    clusters: () => [],
    clusterReport,
    registry: {
      contentType: metrics.registry.contentType,
      metrics: async () => (await aggregate()).metrics(),
      getMetricsAsJSON: async () => (await aggregate()).getMetricsAsJSON(),
    },
    // Managed: "not connected" until the client exists (a cached config may serve first).
    readyDetails: () => ({ workers: slots.size, ...(options.mode === "managed" ? { controlPlaneConnected: managed?.client.connected() ?? false } : {}) }),
    serverInfo: () => ({ ...serverIdentity(options), workersRunning: slots.size, ...(options.mode === "managed" ? { controlPlaneConnected: managed?.client.connected() ?? false } : {}) }),
  }).catch((err: unknown) => {
    process.stderr.write(`switchyard-proxy: --admin ${options.admin.host}:${options.admin.port}: cannot listen: ${(err as Error).message}\n`);
    return process.exit(1);
  });
  log("admin_up", { address: options.admin.host, port: admin.port, access: describeAdminAccess(options.adminAuth, options.admin.host), version: PROXY_VERSION, mode: options.mode, workers: options.workers });

  let stopWatching: (() => void) | null = null;
  if (options.mode === "standalone") {
    stopWatching = await startStandalone(options.configFile, fanout, log);
  } else {
    if (cache) await bootFromCache(cache, fanout, log);
    managed = connectManagedNode(options, {
      log,
      metrics,
      adminPort: admin.port,
      applier: fanout,
      getApplied: () => (applied && applied.version !== null ? { version: applied.version, hash: applied.hash } : null),
      // Checked here against the applied config (the answer must be synchronous), then pushed to every worker.
      applyEndpoints: (msg) => {
        const c = applied?.config.clusters.find((x) => x.name === msg.cluster);
        if (!c) return { ok: false, error: `unknown cluster "${msg.cluster}" in the applied config` };
        if (c.discovery !== "eds") return { ok: false, error: `cluster "${msg.cluster}" has discovery ${c.discovery}, not eds` };
        for (const s of slots.values()) s.worker.send({ type: "sy:endpoints", msg } satisfies TToWorker);
        return { ok: true };
      },
      // Every worker holds the same endpoints: the state owner's view (first) is the node's.
      clusterStatus: async () => ((await clusterViews())[0] as { clusters: TClusterView } | undefined)?.clusters,
      // The workers' telemetry passes through this process's send queue: its drops are counted here.
      dropsTakenBy: "timer",
      plugins: deps.plugins,
    });
  }

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    admin.drain();
    log("shutdown", { signal, graceMs: deps.graceMs, workers: slots.size });
    stopWatching?.();
    await managed?.client.close().catch(() => undefined);
    const exits = [...slots.values()].map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.worker.isDead()) return resolve();
          s.worker.once("exit", () => resolve());
          // A worker that outlives the grace period (plus its own pool close) is killed.
          const kill = setTimeout(() => s.worker.process.kill("SIGKILL"), deps.graceMs + 3_000);
          kill.unref();
          try {
            s.worker.send({ type: "sy:drain", graceMs: deps.graceMs } satisfies TToWorker);
          } catch {
            s.worker.process.kill("SIGTERM");
          }
        }),
    );
    await Promise.all(exits);
    await admin.close();
    log("stopped", {});
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}
