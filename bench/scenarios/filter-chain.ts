import { BENCH_BASELINE_DIR, BENCH_PROXY_CPU } from "../env.ts";
import { wrk } from "../lib.ts";
import { runRounds, type TTarget } from "../scenario.ts";
import { smallConfig, startSwitchyard } from "../switchyard.ts";
import type { TScenarioResult } from "./types.ts";

/**
 * The cost of the filter pipeline (issue #14): switchyard with an empty filter chain (the
 * small config without its virtual-host request header) and with a one-filter chain (the
 * header becomes a headerMutation filter), HTTP/1.1 100 B. With BENCH_BASELINE_DIR (a
 * checkout from before the pipeline) the same two configs run on it too, interleaved with
 * this checkout's rounds, so the difference in µs of proxy CPU per request is the
 * pipeline's cost.
 */
export async function filterChainScenario(originPort: number): Promise<TScenarioResult> {
  const targets: TTarget[] = [];
  const roots: [string, string][] = [["this checkout", "."]];
  if (BENCH_BASELINE_DIR) roots.unshift(["baseline", BENCH_BASELINE_DIR]);
  for (const [label, root] of roots) {
    for (const [chain, noHeader] of [["empty chain", true], ["1 filter (vhost request header)", false]] as const) {
      const sy = await startSwitchyard((port) => smallConfig(port, originPort, { noHeader }), 1, root);
      targets.push({ name: `switchyard, ${label}, ${chain}`, pid: sy.child.pid ?? null, children: [sy.child], load: (s) => wrk(`http://127.0.0.1:${sy.port}/small`, s) });
    }
  }
  const rows = await runRounds(targets);
  return { rows, note: `wrk -t1 on CPU(s) other than the proxies' (${BENCH_PROXY_CPU}), GET /small; baseline: ${BENCH_BASELINE_DIR ?? "(not set)"}` };
}
