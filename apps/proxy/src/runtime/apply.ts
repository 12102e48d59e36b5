import { CanonicalMemo, ValidationMemo, type TConfigIssue } from "@switchyard/config-model";
import type { ListenerManager, TListenerPlan } from "../listener/listener-manager.ts";
import { ListenerBindError } from "../listener/listener-manager.ts";
import type { TLog } from "../observability/log.ts";
import type { TMetrics } from "../observability/metrics.ts";
import type { ClusterManager, TClusterPlan } from "../upstream/cluster-manager.ts";
import type { ClusterRuntime } from "../upstream/cluster.ts";
import { RouteCompileCache } from "../router/compile.ts";
import type { RateLimitManager } from "../filters/rate-limit/manager.ts";
import { writeCachedSnapshot, type TSnapshotCache } from "./cache.ts";
import { compileListeners, secretMap } from "./compile.ts";
import { ConfigCompileError } from "./compile-error.ts";
import type { TRuntime } from "./types.ts";
import type { TOutboundAllow } from "../upstream/outbound-allow.ts";
import { checkConfig } from "./check.ts";
import { loadFilterCode } from "../filters/code/index.ts";
import { YoungGenerationTrim } from "./young-generation.ts";

export type TApplyMeta = {
  /** Snapshot version (managed) or local counter (standalone); null when unknown. */
  version: number | null;
  /** Where the config came from, e.g. "file:/etc/switchyard.yaml", "control-plane", "cache". */
  source: string;
  /** Hash announced by the control plane; defaults to config-model's hash of the validated config. */
  hash?: string;
};

export type TApplyResult =
  | { ok: true; version: number | null; hash: string }
  | { ok: false; error: string; issues: TConfigIssue[] };

export type TRuntimeDeps = {
  listeners: ListenerManager;
  clusters: ClusterManager;
  rateLimits: RateLimitManager;
  metrics: TMetrics;
  log: TLog;
  /** When set, every applied snapshot is written there (last-known-good cache). */
  cache: TSnapshotCache | null;
  /** Called right after every swap (telemetry: endpoint membership transitions). Must not throw. */
  onApplied?: (previous: TRuntime | null, next: TRuntime) => void;
  /** --outbound-allow: configs naming other destinations are refused; null = any. */
  outbound?: TOutboundAllow | null;
  /** Managed mode: the plugin modules a config may name (--plugin); null = any (standalone). */
  allowedPlugins?: ReadonlySet<string> | null;
};

/**
 * The apply pipeline (DESIGN §2.4), one version at a time:
 *   validateConfig (schema, consistency, header values, unsupported combinations) -> PEM in use
 *   loads (the console runs both) -> what this process can enforce (Redis)
 *   -> filter code (plugins: import, configSchema, create(); wasm: compile, configure; filters/code) -> prepare clusters (reuse unchanged)
 *   -> warm new clusters (first discovery answer, bounded)
 *   -> compile route tables -> bind new listeners (all or nothing)
 *   -> swap (one synchronous step: runtime reference + every listener's compiled version)
 *   -> close removed listeners, drain removed clusters -> write the cache.
 * Any failure before the swap undoes what this version opened; the running version keeps serving.
 */
export class RuntimeManager {
  readonly #deps: TRuntimeDeps;
  #current: TRuntime | null = null;
  /** Validated resources of the applied version by content: a new version validates what changed. */
  readonly #validation = new ValidationMemo();
  /** Compiled routes by validated route object: a new version compiles the routes that changed. */
  readonly #routes = new RouteCompileCache<ClusterRuntime>();
  /** Canonical JSON of the applied resources, so a config without an announced hash is hashed at the cost of what changed. */
  readonly #canonical = new CanonicalMemo();
  /** Shrinks V8's nursery back once an apply's burst of allocations is over (young-generation.ts). */
  readonly #trim = new YoungGenerationTrim();
  /** Applies run strictly one after another. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(deps: TRuntimeDeps) {
    this.#deps = deps;
  }

  /** The applied version, or null before the first successful apply. */
  current(): TRuntime | null {
    return this.#current;
  }

  applyConfig(input: unknown, meta: TApplyMeta): Promise<TApplyResult> {
    const run = this.#queue.then(() => this.#apply(input, meta).finally(() => this.#trim.schedule()));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #apply(input: unknown, meta: TApplyMeta): Promise<TApplyResult> {
    const { listeners, clusters, rateLimits, metrics, log } = this.#deps;
    const refuse = (error: string, issues: TConfigIssue[]): TApplyResult => {
      metrics.configRejected();
      log("config_rejected", { version: meta.version, source: meta.source, error, issues });
      return { ok: false, error, issues };
    };

    // Phase timings go out with config_applied: the bench reads them (10k-route swap target).
    const t0 = performance.now();
    const checked = checkConfig(input, { redisConfigured: rateLimits.redisConfigured, outbound: this.#deps.outbound ?? null, memo: this.#validation });
    if (!checked.ok) return refuse(checked.error, checked.issues);
    const config = checked.config;
    const code = await loadFilterCode(config, this.#current?.filterCode ?? null, {
      log,
      counter: metrics.pluginCounter,
      filterFailed: (filter, err) => {
        metrics.filterError(filter);
        log("filter_failed", { filter, phase: "onDone", error: err });
      },
      allowedModules: this.#deps.allowedPlugins ?? null,
    });
    if (!code.ok) return refuse(code.error, code.issues);

    let clusterPlan: TClusterPlan | null = null;
    let listenerPlan: TListenerPlan | null = null;
    const t1 = performance.now();
    try {
      clusterPlan = clusters.prepare(config.clusters, secretMap(config));
      await clusters.warm(clusterPlan);
      const t2 = performance.now();
      const limiters = rateLimits.prepare(config.rateLimitPolicies);
      this.#routes.stats = { compiled: 0, reused: 0 };
      const compiled = compileListeners(
        config,
        clusterPlan.clusters,
        limiters,
        { rateLimited: metrics.rateLimited, sniHello: metrics.sniHello, sniRouted: metrics.sniRouted, code: code.code },
        this.#routes,
      );
      const t3 = performance.now();
      listenerPlan = await listeners.prepare(compiled);
      const t4 = performance.now();
      const runtime: TRuntime = Object.freeze({
        version: meta.version,
        hash: meta.hash ?? this.#canonical.hash(config),
        source: meta.source,
        appliedAt: new Date().toISOString(),
        config,
        listeners: Object.freeze(compiled),
        clusters: clusterPlan.clusters,
        filterCode: code.code,
      });
      // The swap: no await between these lines, so no request sees half of it.
      const previous = this.#current;
      this.#current = runtime;
      listeners.commit(listenerPlan);
      clusters.commit(clusterPlan);
      rateLimits.commit(limiters);
      this.#validation.commit();
      const t5 = performance.now();
      this.#deps.onApplied?.(previous, runtime);

      for (const c of config.clusters) metrics.touchCluster(c.name);
      for (const p of config.rateLimitPolicies) metrics.touchPolicy(p.name);
      metrics.configApplied(meta.version);
      log("config_applied", {
        version: runtime.version,
        hash: runtime.hash,
        source: meta.source,
        listeners: listeners.list(),
        clusters: config.clusters.map((c) => c.name),
        ...(code.code.modules.length ? { plugins: code.code.modules.map((m) => `${m.name}@${m.version}`) } : {}),
        durationMs: round(t5 - t0),
        timings: { validateMs: round(t1 - t0), clustersMs: round(t2 - t1), compileMs: round(t3 - t2), listenersMs: round(t4 - t3), swapMs: round(t5 - t4) },
        // Resources that went through their schemas, and those unchanged since the applied version.
        resources: { validated: this.#validation.stats.parsed, unchanged: this.#validation.stats.reused },
        routes: { compiled: this.#routes.stats.compiled, reused: this.#routes.stats.reused },
      });
      if (this.#deps.cache) {
        try {
          await writeCachedSnapshot(this.#deps.cache, { version: runtime.version, hash: runtime.hash, config, appliedAt: runtime.appliedAt, source: meta.source });
        } catch (err) {
          // The version is serving; a failed cache write only costs a cold boot later.
          log("config_cache_write_failed", { dir: this.#deps.cache.dir, error: err });
        }
      }
      return { ok: true, version: runtime.version, hash: runtime.hash };
    } catch (err) {
      if (clusterPlan) clusters.discard(clusterPlan);
      if (err instanceof ListenerBindError) return refuse(err.message, [{ path: err.path, message: err.message }]);
      if (err instanceof ConfigCompileError) return refuse(`invalid config: ${err.message}`, [{ path: err.path, message: err.message.slice(err.path.length + 2) }]);
      return refuse(`cannot apply config: ${(err as Error).message}`, []);
    }
  }
}

const round = (ms: number): number => Math.round(ms * 100) / 100;
