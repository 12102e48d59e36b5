/** The only place the bench reads the environment. Every knob has a default that keeps `npm run bench` under 10 minutes on 2 cores. */
const env = process.env;
/** Seconds per measured run (each target, each round); default 4. */
export const BENCH_SECONDS = Number(env.BENCH_SECONDS ?? 4);
/** Interleaved rounds per scenario (target A, B, C, A, B, C, ...); the median round is reported. Default 3. */
export const BENCH_ROUNDS = Number(env.BENCH_ROUNDS ?? 3);
/** Seconds of unmeasured warm-up per target before the first round (JIT, pools); default 2. */
export const BENCH_WARMUP_SECONDS = Number(env.BENCH_WARMUP_SECONDS ?? 2);
/** Downstream connections for HTTP/1.1 runs (wrk -c); default 50, the p99 target's load. */
export const BENCH_CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 50);
/** CPU the proxies are pinned to, and the CPU(s) the load generator and origin share (taskset -c lists). */
export const BENCH_PROXY_CPU = env.BENCH_PROXY_CPU ?? "0";
export const BENCH_LOAD_CPU = env.BENCH_LOAD_CPU ?? "1";
/** `workers` scenario: the CPUs `--workers 2` runs on (taskset -c list); default "0,1". */
export const BENCH_WORKERS_CPU = env.BENCH_WORKERS_CPU ?? "0,1";
/** `filter-chain` scenario: a checkout of the proxy before the filter pipeline (issue #14), run beside this one; unset = this checkout only. */
export const BENCH_BASELINE_DIR = env.BENCH_BASELINE_DIR ?? null;
export const APT_ENV = { ...env, DEBIAN_FRONTEND: "noninteractive" };
/** bench/startup.ts: rounds per mode, and this process's environment without the source condition (the child adds it per mode). */
export const STARTUP_ROUNDS = Number(env.STARTUP_ROUNDS ?? 5);
export const CHILD_NODE_OPTIONS = (env.NODE_OPTIONS ?? "").split(/\s+/).filter((o) => o && !o.includes("@switchyard/source"));
export const CHILD_ENV = { ...env };
/** bench/control-plane.ts: the console's SWITCHYARD_SECRET_KEY when the bench starts its own (any fixed key: the data is thrown away). */
export const CP_BENCH_SECRET_KEY = env.CP_BENCH_SECRET_KEY ?? "0000000000000000000000000000000000000000000000000000000000bec4ed";
/** Stats interval of the simulated nodes, ms (the proxy's default, 5 000). */
export const CP_BENCH_STATS_INTERVAL_MS = Number(env.CP_BENCH_STATS_INTERVAL_MS ?? 5_000);
/** bench/control-plane.ts: print the first simulated node's control-plane log (CP_BENCH_DEBUG=1). */
export const CP_BENCH_DEBUG = Boolean(env.CP_BENCH_DEBUG);
/** bench/upstream-pools.ts: requests per measured run (each pool, each round); default 20 000. */
export const POOLS_BENCH_REQUESTS = Number(env.BENCH_REQUESTS ?? 20_000);
/** bench/apply-scale.ts: rounds (the median is reported; default 3) and NODE_OPTIONS for the measured proxies (e.g. --cpu-prof). */
export const APPLY_ROUNDS = Number(env.APPLY_ROUNDS ?? 3);
export const APPLY_NODE_OPTIONS = env.APPLY_NODE_OPTIONS ?? "";
/** Child processes inherit this environment: apply-scale hands its proxies exactly APPLY_NODE_OPTIONS (never the bench's own tsx options). */
export function setChildNodeOptions(options: string): void {
  env.NODE_OPTIONS = options;
}
