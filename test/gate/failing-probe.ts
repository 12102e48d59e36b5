import { expect, it } from "vitest";

/**
 * The test gate's probe (issue #13): run only when SWITCHYARD_GATE_PROBE=1 (see
 * vitest.config.ts and scripts/check-test-gate.sh). It must fail, and `npm test` must
 * then exit non-zero; `.ci/run` checks both before it runs the real suite.
 */
it("fails on purpose: a red test must fail the run", () => {
  expect(1).toBe(2);
});
