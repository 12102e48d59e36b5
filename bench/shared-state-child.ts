/** The worker side of `npm run bench:shared-state` (see bench/shared-state.ts); prints JSON. */
import { LeasedRateLimiter } from "../apps/proxy/src/filters/rate-limit/leased.ts";
import { LocalRateLimiter } from "../apps/proxy/src/filters/rate-limit/local.ts";
import { LocalSlots, type TSlotGate } from "../apps/proxy/src/upstream/shared-state.ts";
import { StateLink } from "../apps/proxy/src/workers/state-link.ts";

const N = 1_000_000;
const link = new StateLink(false, 2);

const cpuNs = (f: () => void): number => {
  const t = process.cpuUsage();
  f();
  const d = process.cpuUsage(t);
  return (d.user + d.system) * 1000;
};

/** One try: two gates taken, two given back (sync path only). */
const tries = (requests: TSlotGate, pending: TSlotGate) => () => {
  for (let i = 0; i < N; i++) {
    requests.acquire();
    pending.acquire();
    pending.release();
    requests.release();
  }
};

// Leased: the first acquire asks the primary for a batch; then the worker holds spares.
const leasedRq = link.slots("bench:requests", 1024);
const leasedPd = link.slots("bench:pending", 1024);
await leasedRq.acquire();
await leasedPd.acquire();
const policy = { name: "p", scope: "local", requests: 1_000_000, per: "second", burst: 1_000_000, key: "none", failOpen: false } as const;
const local = new LocalRateLimiter(policy, "k");
const leased = new LeasedRateLimiter(policy, "k", link);

const out: Record<string, number> = {};
out["breakers, one process (LocalSlots x2)"] = cpuNs(tries(new LocalSlots(1024), new LocalSlots(1024))) / N;
out["breakers, leased (no IPC while a lease is held)"] = cpuNs(tries(leasedRq, leasedPd)) / N;
out["rate limit, one-process bucket"] = cpuNs(() => {
  for (let i = 0; i < N; i++) local.check("");
}) / N;
{
  // Leased tokens: sync while the lease lasts, one round trip per lease (awaited here).
  const t = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < N; i++) {
    const d = leased.check("");
    if (d instanceof Promise) await d;
  }
  const d = process.cpuUsage(t);
  out["rate limit, leased tokens (CPU, this process)"] = ((d.user + d.system) * 1000) / N;
  out["rate limit, leased tokens (wall)"] = ((performance.now() - started) * 1e6) / N;
}
{
  // A limit of 1: every acquire is a round trip to the primary and back.
  const one = link.slots("bench:one", 1);
  const M = 5_000;
  const started = performance.now();
  const t = process.cpuUsage();
  for (let i = 0; i < M; i++) {
    await one.acquire();
    one.release();
  }
  const d = process.cpuUsage(t);
  out["IPC round trip (limit 1: ask per acquire), worker CPU"] = ((d.user + d.system) * 1000) / M;
  out["IPC round trip (limit 1: ask per acquire), wall"] = ((performance.now() - started) * 1e6) / M;
}
process.stdout.write(JSON.stringify(out));
process.disconnect();
