import { describe, expect, it } from "vitest";
import { newSpanId, newTraceId } from "../../src/observability/tracing/ids.ts";

describe("trace and span ids", () => {
  it("are lower-case hex of the right length, not all zero, and unique across pool refills", () => {
    const seen = new Set<string>();
    // 4 KiB pool: 3000 x (16 + 8) bytes refills it ~17 times.
    for (let i = 0; i < 3000; i++) {
      const t = newTraceId();
      const s = newSpanId();
      expect(t).toMatch(/^[0-9a-f]{32}$/);
      expect(s).toMatch(/^[0-9a-f]{16}$/);
      expect(t).not.toMatch(/^0+$/);
      expect(s).not.toMatch(/^0+$/);
      seen.add(t);
      seen.add(s);
    }
    expect(seen.size).toBe(6000);
  });
});
