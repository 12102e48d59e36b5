/**
 * `npm run bench:shared-state`: what the node-wide state of `--workers N` costs a request
 * (issue #17). A real primary/worker pair: this process is the primary (workers/node-state.ts
 * answering over the real IPC channel), bench/shared-state-child.ts the worker
 * (workers/state-link.ts). The child measures, CPU time per operation:
 *   - one try's breaker admission and release (maxRequests + maxPendingRequests) with the
 *     one-process counters (LocalSlots) and with leased slots (no IPC while the worker holds
 *     a lease: the common case);
 *   - a local rate-limit check, one-process bucket vs leased tokens (one round trip per lease);
 *   - the round trip itself (a limit of 1: every acquire asks the primary), wall time.
 * BENCH_ROUNDS samples, fresh child each; the median is printed as a Markdown table.
 */
import { fork } from "node:child_process";
import { resolve } from "node:path";
import { NodeState } from "../apps/proxy/src/workers/node-state.ts";
import { isStateMessage, type TStateFromWorker } from "../apps/proxy/src/workers/state-protocol.ts";
import { BENCH_ROUNDS } from "./env.ts";

type TSample = Record<string, number>;
/** Asks in the child's run: the round-trip loop plus one per token lease (1e6 / 125000 leases). */
const ROUND_TRIPS = 5_000 + 8 + 3;

function sample(): Promise<TSample> {
  return new Promise((done, fail) => {
    const child = fork(resolve(import.meta.dirname, "shared-state-child.ts"), [], { execArgv: ["--conditions=@switchyard/source", "--import", "tsx"], stdio: ["ignore", "pipe", "inherit", "ipc"] });
    const state = new NodeState((_id, m) => child.send(m), () => [1]);
    let out = "";
    child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
    child.on("message", (m: unknown) => {
      if (isStateMessage(m)) state.handle(1, m as TStateFromWorker);
    });
    // The primary's CPU over the child's whole run, per round trip of the last measurement.
    const t = process.cpuUsage();
    child.on("exit", (code) => {
      if (code !== 0) return fail(new Error(`child exited ${code}`));
      const d = process.cpuUsage(t);
      const s = JSON.parse(out) as TSample;
      s["primary CPU for the whole run, per round trip (upper bound)"] = ((d.user + d.system) * 1000) / ROUND_TRIPS;
      done(s);
    });
  });
}

const samples: TSample[] = [];
const startedAt = new Date();
for (let i = 0; i < BENCH_ROUNDS; i++) samples.push(await sample());
const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
console.log(`# shared-state cost, ${startedAt.toISOString()}; ${BENCH_ROUNDS} rounds\n`);
console.log("| operation | ns per operation (median) | samples |\n| --- | --- | --- |");
for (const key of Object.keys(samples[0] ?? {})) {
  const v = samples.map((s) => s[key] as number);
  console.log(`| ${key} | ${median(v).toFixed(0)} | ${v.map((x) => x.toFixed(0)).join(" ")} |`);
}
