import { ZCluster } from "@switchyard/config-model";
import { afterEach, describe, expect, it } from "vitest";
import { ClusterRuntime } from "../../src/upstream/cluster.ts";
import { describeClusters } from "../../src/upstream/discovery/status.ts";
import { NO_UPSTREAM_EVENTS } from "../../src/upstream/events.ts";

const runtimes: ClusterRuntime[] = [];
afterEach(async () => {
  for (const r of runtimes.splice(0)) await r.destroy();
});

function cluster(extra: Record<string, unknown> = {}) {
  const runtime = new ClusterRuntime(
    ZCluster.parse({ name: "users", endpoints: [{ address: "127.0.0.1", port: 9001 }, { address: "127.0.0.1", port: 9002 }], ...extra }),
    NO_UPSTREAM_EVENTS,
  );
  runtimes.push(runtime);
  return runtime;
}

describe("describeClusters (the console's per-cluster endpoint view)", () => {
  it("reports each endpoint's real health and ejection, not a constant", () => {
    const runtime = cluster();
    const [first, second] = runtime.endpoints;
    first!.healthy = false;
    second!.outlier.ejectedUntil = performance.now() + 10_000;
    const [view] = describeClusters([runtime]);
    expect(view!.endpoints.map((e) => [e.port, e.health, e.ejected])).toEqual([
      [9001, "unhealthy", false],
      [9002, "healthy", true],
    ]);
  });

  it("says pending until the first active health check answers", () => {
    const runtime = cluster({ healthCheck: { type: "tcp", intervalMs: 60_000 } });
    const [view] = describeClusters([runtime]);
    expect(view!.endpoints.every((e) => e.health === "pending")).toBe(true);
  });
});
