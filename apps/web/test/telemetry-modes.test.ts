/**
 * Pure pieces of the telemetry modes: quantiles read the way PromQL's histogram_quantile
 * reads them (the topology and the SLO guard merge Prometheus buckets themselves), and
 * the scrape address the service discovery gives a node.
 */
import { describe, expect, it } from "vitest";
import { emptyHistogram, LATENCY_BOUNDS_MS, latencyBucket, percentileMs, ZHelloMessage } from "@switchyard/config-model";
import { histogramQuantile, histogramQuantileMs } from "../src/server/telemetry/aggregate.ts";
import { scrapeAddress } from "../src/server/services/prometheus-targets.ts";

const BOUNDS = [1, 2.5, 5, 10, 25, 50, 100];

describe("histogramQuantileMs (PromQL histogram_quantile over non-cumulative counts)", () => {
  it("interpolates linearly inside the bucket holding the rank", () => {
    // 10 in (0,1], 10 in (25,50]: rank 10 (q 0.5) is the last of the first bucket; rank 15 is half into (25, 50].
    const counts = [10, 0, 0, 0, 0, 10, 0, 0];
    expect(histogramQuantileMs(BOUNDS, counts, 0.5)).toBe(1);
    expect(histogramQuantileMs(BOUNDS, counts, 0.75)).toBeCloseTo(37.5, 9);
    expect(histogramQuantileMs(BOUNDS, counts, 0.25)).toBeCloseTo(0.5, 9);
  });

  it("answers the highest finite bound when the rank falls in +Inf, and null without observations", () => {
    expect(histogramQuantileMs(BOUNDS, [0, 0, 0, 0, 0, 0, 1, 9], 0.99)).toBe(100);
    expect(histogramQuantileMs(BOUNDS, [0, 0, 0, 0, 0, 0, 0, 0], 0.5)).toBeNull();
  });

  it("histogramQuantile picks the reading by layout: the shared log layout keeps its nearest rank", () => {
    const h = emptyHistogram();
    h.counts[latencyBucket(40)] = 100;
    expect(histogramQuantile(h, 0.99)).toBe(percentileMs(h.counts, 0.99));
    expect(LATENCY_BOUNDS_MS.length).toBeGreaterThan(100);
    expect(histogramQuantile({ bounds: BOUNDS, counts: [0, 0, 0, 0, 0, 4, 0, 0] }, 0.5)).toBeCloseTo(37.5, 9);
  });
});

describe("scrapeAddress (Prometheus service discovery)", () => {
  it("keeps a concrete admin host and replaces a wildcard by the address the node connected from", () => {
    expect(scrapeAddress("127.0.0.1:9901", "10.0.0.7")).toBe("127.0.0.1:9901");
    expect(scrapeAddress("0.0.0.0:9901", "::ffff:10.0.0.7")).toBe("10.0.0.7:9901");
    expect(scrapeAddress("[::]:9901", "fd00::7")).toBe("[fd00::7]:9901");
    expect(scrapeAddress("[fd00::1]:9901", "fd00::7")).toBe("[fd00::1]:9901");
    expect(scrapeAddress("proxy-1.internal:9901", null)).toBe("proxy-1.internal:9901");
  });
});

describe("hello `admin` (what the service discovery lists)", () => {
  it("takes host:port and refuses anything else with the field's path", () => {
    for (const admin of ["127.0.0.1:9901", "[::1]:9901", "0.0.0.0:0", "proxy-1.internal:9901"]) {
      expect(ZHelloMessage.safeParse({ type: "hello", nodeId: "n", admin }).success, admin).toBe(true);
    }
    for (const admin of ["http://x:1", "x", "x:", "a b:1"]) {
      const r = ZHelloMessage.safeParse({ type: "hello", nodeId: "n", admin });
      expect(r.success, admin).toBe(false);
      expect(r.error?.issues[0]?.path).toEqual(["admin"]);
    }
  });
});
