/**
 * The pure parts of stepped rollouts (#19 item 7): which nodes a step picks (cutFor /
 * inStep / stepPosition, packages/db/src/rollout-steps.ts) and when a step has baked
 * (bakeDecision, apps/web/src/server/rollout/guard.ts). The end-to-end behaviour is in
 * rollout-steps.test.ts.
 */
import { describe, expect, it } from "vitest";
import { cutFor, inStep, stepPosition, type TRollout } from "@switchyard/db";
import { bakeDecision, type TGuardVerdict } from "../src/server/rollout/guard.ts";

const ids = Array.from({ length: 20 }, (_, i) => `node-${i}`);

describe("step assignment", () => {
  it("picks ceil(p %) of the nodes, at least one, by position; a later step keeps every node of the earlier one", () => {
    const step10 = cutFor(10, ids);
    const step50 = cutFor(50, ids, step10);
    expect(ids.filter((id) => inStep(id, step10))).toHaveLength(2);
    expect(ids.filter((id) => inStep(id, step50))).toHaveLength(10);
    for (const id of ids) if (inStep(id, step10)) expect(inStep(id, step50)).toBe(true);
    expect(ids.filter((id) => inStep(id, cutFor(1, ids)))).toHaveLength(1);
    expect(cutFor(100, ids)).toBeNull();
    expect(ids.every((id) => inStep(id, null))).toBe(true);
  });

  it("is stable per node id: the same position on every call, spread over [0, 1)", () => {
    expect(stepPosition("web-1")).toBe(stepPosition("web-1"));
    const positions = ids.map(stepPosition);
    expect(Math.min(...positions)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...positions)).toBeLessThan(1);
    expect(new Set(positions).size).toBe(ids.length);
  });

  it("never moves the cut down when nodes left between steps", () => {
    const first = cutFor(50, ids)!;
    // Left: the 4 lowest of the step's 10 nodes and the highest node; 60 % of them alone would cut after the 3rd.
    const sorted = [...ids].sort((a, b) => stepPosition(a) - stepPosition(b));
    const left = [...sorted.slice(0, 4), sorted.at(-1)!];
    expect(cutFor(60, left)!).toBeLessThan(first);
    expect(cutFor(60, left, first)).toBe(first);
  });
});

describe("bake", () => {
  const now = Date.parse("2026-12-06T12:00:00Z");
  const rollout = (over: Partial<TRollout> = {}): TRollout => ({
    id: 1,
    version: 2,
    previousVersion: 1,
    group: "web",
    state: "canary",
    guard: { windowMs: 60_000 },
    baseline: null,
    reason: null,
    createdBy: "t",
    startedAt: new Date(now - 600_000),
    finishedAt: null,
    steps: [10, 50, 100],
    stepIndex: 0,
    bakeMs: 300_000,
    stepStartedAt: new Date(now - 100_000),
    pausedAt: null,
    pausedBy: null,
    ...over,
  });
  const verdict = (v: TGuardVerdict["verdict"]): TGuardVerdict => ({ verdict: v, reasons: v === "ok" ? [] : ["3 requests in the window, 20 needed"], current: { requests: 3, errors5xx: 0, errorRatio: 0, p99Ms: null }, baseline: null });

  it("waits for the bake time, then for a healthy verdict; promotes without a guard on time alone", () => {
    expect(bakeDecision(rollout(), verdict("ok"), now)).toMatchObject({ promote: false, remainingMs: 200_000, step: 1, percent: 10 });
    const baked = rollout({ stepStartedAt: new Date(now - 300_000) });
    expect(bakeDecision(baked, verdict("ok"), now)).toMatchObject({ promote: true, waiting: null });
    expect(bakeDecision(baked, verdict("insufficient"), now)).toMatchObject({ promote: false, waiting: expect.stringContaining("no verdict yet") });
    expect(bakeDecision(baked, null, now)).toMatchObject({ promote: true });
  });

  it("never promotes a paused, finished or plain canary rollout", () => {
    const baked = { stepStartedAt: new Date(now - 400_000) };
    expect(bakeDecision(rollout({ ...baked, pausedAt: new Date(now), pausedBy: "ops" }), verdict("ok"), now)).toMatchObject({ promote: false, waiting: "paused by ops" });
    expect(bakeDecision(rollout({ ...baked, state: "rolled_back" }), verdict("ok"), now)).toBeNull();
    expect(bakeDecision(rollout({ ...baked, steps: null }), verdict("ok"), now)).toBeNull();
  });
});
