import { describe, expect, it } from "vitest";
import { ZStatsMessage, statsSamples } from "@switchyard/config-model";
import { StatsWindow } from "../../src/observability/stats-window.ts";
import { startTelemetryReporter } from "../../src/observability/telemetry-reporter.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("telemetry reporter under statsPace", () => {
  it("merges windows on the node while the console asks for a longer interval, then goes back to its own", async () => {
    const window = new StatsWindow();
    const sent: Record<string, unknown>[] = [];
    let pace = 600;
    const reporter = startTelemetryReporter(
      window,
      { send: (m) => (sent.push(m), true), takeDropped: () => ({ stats: 0, spans: 0, health: 0 }), pace: () => pace },
      50,
    );
    try {
      const requests = (m: Record<string, unknown>) => {
        const d = statsSamples(ZStatsMessage.parse(m));
        if ("error" in d) throw new Error(d.error);
        return d.samples.filter((s) => s.kind === "route").reduce((a, s) => a + s.requests, 0);
      };
      const until = async (what: string, ok: () => boolean) => {
        const deadline = Date.now() + 5_000;
        while (!ok()) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
          await sleep(10);
        }
      };
      // The console asked for 600 ms windows; the node's own interval is 50 ms.
      const t0 = Date.now();
      for (let i = 0; i < 6; i++) window.record("l", "r", "c", 200, 5, 0, 0);
      await until("the paced window", () => sent.length > 0);
      const firstAt = Date.now();
      // Not before the asked interval (less half a tick), and one window with every request: nothing dropped.
      expect(firstAt - t0).toBeGreaterThanOrEqual(575);
      expect(sent).toHaveLength(1);
      expect(requests(sent[0]!)).toBe(6);
      expect((sent[0]!.windowEnd as number) - (sent[0]!.windowStart as number)).toBeGreaterThanOrEqual(575);
      // Back to the node's own interval.
      pace = 0;
      window.record("l", "r", "c", 200, 5, 0, 0);
      await until("the next window", () => sent.length > 1);
      expect(requests(sent[1]!)).toBe(1);
    } finally {
      reporter.close();
    }
  });
});
