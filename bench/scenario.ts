import type { ChildProcess } from "node:child_process";
import { BENCH_ROUNDS, BENCH_WARMUP_SECONDS } from "./env.ts";
import { measure, stop, type TLoad, type TRow } from "./lib.ts";

/** One side-by-side contender of a scenario: how to load it, and the pid whose process tree is the proxy (null: none, the direct run). */
export type TTarget = { name: string; load: (seconds?: number) => Promise<TLoad>; pid: number | null; children: ChildProcess[] };

/**
 * Interleaved rounds: every target gets an unmeasured warm-up, then rounds go
 * A, B, C, A, B, C, ... so a burst of load from elsewhere on a shared machine hits every
 * target rather than one. Each figure reported is the median over the rounds.
 */
export async function runRounds(targets: readonly TTarget[]): Promise<TRow[]> {
  const rounds = new Map<string, Omit<TRow, "target">[]>();
  try {
    for (const t of targets) await t.load(BENCH_WARMUP_SECONDS);
    for (let r = 0; r < BENCH_ROUNDS; r++) {
      for (const t of targets) {
        const row = await measure(t.pid, () => t.load());
        rounds.set(t.name, [...(rounds.get(t.name) ?? []), row]);
      }
    }
  } finally {
    for (const t of targets) for (const c of t.children) await stop(c);
  }
  return targets.map((t) => ({ target: t.name, ...medianRow(rounds.get(t.name) ?? []) }));
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return 0;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function medianRow(rows: Omit<TRow, "target">[]): Omit<TRow, "target"> {
  const cpu = rows.map((r) => r.cpuSeconds).filter((c): c is number => c !== null);
  // CPU per request is taken per round (cpu / requests) before the median, so it pairs each round's figures.
  const perReq = rows.filter((r) => r.cpuSeconds !== null && r.requests > 0).map((r) => (r.cpuSeconds as number) / r.requests);
  const requests = median(rows.map((r) => r.requests));
  return {
    requests,
    rps: median(rows.map((r) => r.rps)),
    p50: median(rows.map((r) => r.p50)),
    p99: median(rows.map((r) => r.p99)),
    errors: rows.reduce((a, r) => a + r.errors, 0),
    cpuSeconds: cpu.length ? (perReq.length ? median(perReq) * requests : median(cpu)) : null,
  };
}
