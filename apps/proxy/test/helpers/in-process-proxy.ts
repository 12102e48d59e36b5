import type { THttpFilter } from "../../src/filters/api.ts";
import { compileChain, type TFilterChain } from "../../src/filters/chain.ts";
import { RateLimitManager } from "../../src/filters/rate-limit/manager.ts";
import { ListenerManager, type TListenerPlan } from "../../src/listener/listener-manager.ts";
import type { TNetworkFilter } from "../../src/filters/network/api.ts";
import type { TAccessLog, TAccessLogEntry } from "../../src/observability/access-log.ts";
import { createMetrics } from "../../src/observability/metrics.ts";
import { StatsWindow } from "../../src/observability/stats-window.ts";
import type { TSpan } from "@switchyard/config-model";
import { handleRequest, handleUpgrade } from "../../src/pipeline/connection-manager.ts";
import type { TPipelineDeps } from "../../src/pipeline/active-request.ts";
import { RuntimeManager } from "../../src/runtime/apply.ts";
import type { TCompiledListener } from "../../src/runtime/types.ts";
import { ClusterManager } from "../../src/upstream/cluster-manager.ts";

/**
 * The proxy's real runtime (apply pipeline, listeners on real sockets, cluster manager,
 * connection manager) in the test's process, so a test can read what a process would
 * only report: access-log entries, the stats window, spans, outlier ejections, metrics;
 * and so it can put filters of its own (the filter API, as a user's filter sees it) at
 * the end of a route's chain with `extraFilters` (route name -> filters; "" = no route).
 * `networkFilters` does the same for tcp listeners: it gets a listener's name and its
 * built network filters and returns the chain to run (e.g. a test filter before them).
 */
export type TInProcessProxy = {
  readonly accessLog: TAccessLogEntry[];
  readonly spans: TSpan[];
  readonly stats: StatsWindow;
  readonly metrics: ReturnType<typeof createMetrics>;
  /** "cluster endpoint ejected|returned", in order. */
  readonly ejections: string[];
  readonly logs: { event: string; fields: Record<string, unknown> }[];
  apply(config: unknown): Promise<{ ok: boolean; error?: string; issues?: unknown[] }>;
  stop(): Promise<void>;
};

export type TNetworkChainHook = (listener: string, builtIn: readonly TNetworkFilter[]) => readonly TNetworkFilter[];

/** Hands tcp listeners the chain the test's hook makes of their built-in network filters. */
class HookedListenerManager extends ListenerManager {
  readonly #hook: TNetworkChainHook;
  constructor(hook: TNetworkChainHook, ...args: ConstructorParameters<typeof ListenerManager>) {
    super(...args);
    this.#hook = hook;
  }
  override prepare(listeners: readonly TCompiledListener[]): Promise<TListenerPlan> {
    return super.prepare(listeners.map((l) => (l.tcp ? { ...l, tcp: { ...l.tcp, filters: this.#hook(l.name, l.tcp.filters) } } : l)));
  }
}

export async function startInProcessProxy(
  config: unknown,
  extraFilters: Record<string, THttpFilter[]> = {},
  networkFilters: TNetworkChainHook = (_l, builtIn) => builtIn,
): Promise<TInProcessProxy> {
  const accessLog: TAccessLogEntry[] = [];
  const spans: TSpan[] = [];
  const ejections: string[] = [];
  const logs: TInProcessProxy["logs"] = [];
  const log = (event: string, fields: Record<string, unknown> = {}) => void logs.push({ event, fields });
  const clusters = new ClusterManager({
    log,
    healthTransition: () => undefined,
    outlierEjected: (cluster, endpoint, ejected) => ejections.push(`${cluster} ${endpoint} ${ejected ? "ejected" : "returned"}`),
  });
  const metrics = createMetrics(() => clusters.current());
  const stats = new StatsWindow();
  const sink: TAccessLog = { write: (e) => void accessLog.push(e), flushSync: () => undefined, close: async () => undefined };
  const deps: TPipelineDeps = { accessLog: sink, metrics, log, stats, spans: (s) => void spans.push(s) };
  const withExtra = new WeakMap<TCompiledListener, TCompiledListener>();
  const extended = (l: TCompiledListener): TCompiledListener => {
    let out = withExtra.get(l);
    if (out) return out;
    const extend = (chain: TFilterChain, route: string) => (extraFilters[route] ? compileChain([...chain.filters, ...(extraFilters[route] as THttpFilter[])], chain.bufferLimitBytes) : chain);
    const byRoute = new Map([...l.chains.byRoute].map(([r, c]) => [r, extend(c, r.name)] as const));
    out = { ...l, chains: { byRoute, noRoute: extend(l.chains.noRoute, "") } };
    withExtra.set(l, out);
    return out;
  };
  const listeners = new HookedListenerManager(
    networkFilters,
    {
      request: (l, req, res) => handleRequest(extended(l), req, res, deps),
      upgrade: (l, req, socket, head) => handleUpgrade(extended(l), req, socket, head, deps),
      tcpStats: metrics,
    },
    log,
  );
  const rateLimits = new RateLimitManager(null, { log, redisError: metrics.redisError });
  const runtime = new RuntimeManager({ listeners, clusters, rateLimits, metrics, log, cache: null });
  const apply = (c: unknown) => runtime.applyConfig(c, { version: null, source: "test" });
  const first = await apply(config);
  if (!first.ok) throw new Error(`config refused: ${first.error}`);
  return {
    accessLog,
    spans,
    stats,
    metrics,
    ejections,
    logs,
    apply,
    async stop() {
      await listeners.close(0);
      await clusters.close(0);
      rateLimits.close();
    },
  };
}
