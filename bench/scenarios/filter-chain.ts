import { resolve } from "node:path";
import { compileWat, minimalFilterWat, wasmSecret } from "../../apps/proxy/test/helpers/wasm-modules.ts";
import { BENCH_BASELINE_DIR, BENCH_PROXY_CPU } from "../env.ts";
import { wrk } from "../lib.ts";
import { runRounds, type TTarget } from "../scenario.ts";
import { smallConfig, startSwitchyard } from "../switchyard.ts";
import type { TScenarioResult } from "./types.ts";

/** The plugin `npm run bench:pipeline` measures (synchronous phases). */
const BENCH_PLUGIN = { type: "plugin", name: "bench", module: resolve(import.meta.dirname, "../plugins/bench-plugin.mjs"), config: { async: false } };

/**
 * The cost of the filter pipeline (issue #14): switchyard with an empty filter chain (the
 * small config without its virtual-host request header) and with a one-filter chain (the
 * header becomes a headerMutation filter), HTTP/1.1 100 B. With BENCH_BASELINE_DIR (a
 * checkout from before the pipeline) the same two configs run on it too, interleaved with
 * this checkout's rounds, so the difference in µs of proxy CPU per request is the
 * pipeline's cost. This checkout also runs one TypeScript plugin (bench/plugins/bench-plugin.mjs)
 * and one proxy-wasm filter (the tests' minimal module: adds a request header) per request.
 */
export async function filterChainScenario(originPort: number): Promise<TScenarioResult> {
  const targets: TTarget[] = [];
  const roots: [string, string][] = [["this checkout", "."]];
  if (BENCH_BASELINE_DIR) roots.unshift(["baseline", BENCH_BASELINE_DIR]);
  const add = async (label: string, chain: string, root: string, extra: Parameters<typeof smallConfig>[2]) => {
    const sy = await startSwitchyard((port) => smallConfig(port, originPort, extra), 1, root);
    targets.push({ name: `switchyard, ${label}, ${chain}`, pid: sy.child.pid ?? null, children: [sy.child], load: (s) => wrk(`http://127.0.0.1:${sy.port}/small`, s) });
  };
  for (const [label, root] of roots) {
    await add(label, "empty chain", root, { noHeader: true });
    await add(label, "1 filter (vhost request header)", root, { noHeader: false });
  }
  // A baseline from before plugins and proxy-wasm cannot run these two.
  await add("this checkout", "1 TypeScript plugin", ".", { noHeader: true, listener: { httpFilters: [BENCH_PLUGIN] } });
  const module = wasmSecret("bench-wasm", await compileWat(minimalFilterWat()));
  await add("this checkout", "1 proxy-wasm filter", ".", { noHeader: true, listener: { httpFilters: [{ type: "wasm", name: "wasm", module: { secret: module.name } }] }, secrets: [module] });
  const rows = await runRounds(targets);
  return { rows, note: `wrk -t1 on CPU(s) other than the proxies' (${BENCH_PROXY_CPU}), GET /small; baseline: ${BENCH_BASELINE_DIR ?? "(not set)"}` };
}
