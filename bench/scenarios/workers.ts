import { BENCH_PROXY_CPU, BENCH_WORKERS_CPU } from "../env.ts";
import { wrk } from "../lib.ts";
import { runRounds, type TTarget } from "../scenario.ts";
import { smallConfig, startSwitchyard } from "../switchyard.ts";
import type { TScenarioResult } from "./types.ts";

/**
 * `--workers 1` against `--workers 2` (issue #17: >= 1.7x the req/s): the same config and
 * load (wrk, HTTP/1.1 100 B). One worker runs on BENCH_PROXY_CPU; two on
 * BENCH_WORKERS_CPU (default "0,1"). On a 2-core machine the load generator and the
 * origin share those cores with the second worker, so the ratio here is a floor of what
 * a machine with a core for the origin shows; the note says so and gives the load.
 */
export async function workersScenario(originPort: number): Promise<TScenarioResult> {
  const one = await startSwitchyard((port) => smallConfig(port, originPort), 1);
  const two = await startSwitchyard((port) => smallConfig(port, originPort), 2, ".", BENCH_WORKERS_CPU);
  const targets: TTarget[] = [
    { name: `switchyard --workers 1 (CPU ${BENCH_PROXY_CPU})`, pid: one.child.pid ?? null, children: [one.child], load: (s) => wrk(`http://127.0.0.1:${one.port}/small`, s) },
    { name: `switchyard --workers 2 (CPUs ${BENCH_WORKERS_CPU})`, pid: two.child.pid ?? null, children: [two.child], load: (s) => wrk(`http://127.0.0.1:${two.port}/small`, s) },
  ];
  const rows = await runRounds(targets);
  const [r1, r2] = rows;
  const ratio = r1 && r2 && r1.rps > 0 ? r2.rps / r1.rps : null;
  return {
    rows,
    note: `wrk -t1, GET /small; the load generator and the origin are not given a core of their own here (BENCH_WORKERS_CPU=${BENCH_WORKERS_CPU})`,
    extra: [`req/s --workers 2 / --workers 1: ${ratio === null ? "-" : ratio.toFixed(2)}x`],
    workersRatio: ratio,
  };
}
