import { writeFile } from "node:fs/promises";
import { rssMiB, wrk } from "../lib.ts";
import { runRounds } from "../scenario.ts";
import { ROUTING_PATH, routingConfig, smallConfig, startSwitchyard, waitReady } from "../switchyard.ts";
import type { TScenarioResult } from "./types.ts";

/**
 * Routing cost and config scale. One proxy boots on the small config; the 10,000-route /
 * 1,000-cluster config is then written over its file and hot-applied: the proxy's own
 * `config_applied` event gives the apply time (validate + compile + swap), the wall time
 * to /ready on the new version adds the file watcher's 150 ms debounce. RSS is read after
 * the swap and again after the load. The load then compares the 10k-route proxy with a
 * second proxy on the small config, same request shape.
 */
export async function routingScenario(originPort: number): Promise<TScenarioResult> {
  const big = await startSwitchyard((port) => smallConfig(port, originPort));
  const rssBefore = rssMiB(big.child.pid as number);
  const started = performance.now();
  await writeFile(big.file, JSON.stringify(routingConfig(big.port, originPort)));
  await waitReady(big.adminPort, 2);
  const wallMs = performance.now() - started;
  const applied = big.events.find((e) => e.event === "config_applied" && e.version === 2);
  const rssLoaded = rssMiB(big.child.pid as number);
  const small = await startSwitchyard((port) => smallConfig(port, originPort));
  let rssAfterLoad = 0;
  const rows = await runRounds([
    {
      name: "switchyard, 10k routes + 1k clusters",
      pid: big.child.pid ?? null,
      children: [big.child],
      load: async (s) => {
        const r = await wrk(`http://127.0.0.1:${big.port}${ROUTING_PATH}`, s);
        rssAfterLoad = Math.max(rssAfterLoad, rssMiB(big.child.pid as number));
        return r;
      },
    },
    { name: "switchyard, 10 routes", pid: small.child.pid ?? null, children: [small.child], load: (s) => wrk(`http://127.0.0.1:${small.port}${ROUTING_PATH}`, s) },
  ]);
  const timings = (applied?.timings ?? {}) as Record<string, number>;
  const phase = Object.entries(timings).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(", ");
  return {
    rows,
    note: `wrk -t1, GET ${ROUTING_PATH} (matches route 9998 of 10,001)`,
    extra: [
      `10k-route config hot swap: apply ${typeof applied?.durationMs === "number" ? applied.durationMs.toFixed(1) : "?"} ms inside the proxy (${phase || "no phase timings"}); ${wallMs.toFixed(0)} ms from file write to /ready on the new version (includes the 150 ms watch debounce)`,
      `RSS: ${rssBefore.toFixed(1)} MiB on the small config, ${rssLoaded.toFixed(1)} MiB with 10k routes + 1k clusters loaded, ${rssAfterLoad.toFixed(1)} MiB max during load`,
    ],
    rss: { loaded: rssLoaded, afterLoad: rssAfterLoad },
    applyMs: typeof applied?.durationMs === "number" ? applied.durationMs : null,
  };
}
