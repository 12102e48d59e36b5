import { existsSync } from "node:fs";
import { defaultServerConditions } from "vite";
import { defineConfig } from "vitest/config";

// One run for the whole monorepo: unit, integration (real sockets), database (real
// PostgreSQL: DATABASE_URL when set, else an embedded server started once by the global
// setup), whole-system and browser tests. Long timeouts are for the process-level tests.
const dbGlobalSetup = "packages/db/test/global-setup.ts";
// First in the list, so its teardown runs last: it fails the run when a process a test
// started is still running after every file (and the database) has stopped.
const leftoverCheck = "test/global/leftover-processes.ts";
// SWITCHYARD_GATE_PROBE=1 runs only the deliberately failing probe, through the same
// global setups as the real suite: the gate check expects `npm test` to exit non-zero.
const gateProbe = process.env.SWITCHYARD_GATE_PROBE === "1";

// Tests run the TypeScript sources: the workspace packages export src/ under this
// condition (dist/ otherwise). NODE_OPTIONS carries it to every process a test starts
// (proxies, consoles, scripts), which inherit vitest's environment.
const SOURCE_CONDITION = "@switchyard/source";
if (!(process.env.NODE_OPTIONS ?? "").includes(`--conditions=${SOURCE_CONDITION}`)) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ""} --conditions=${SOURCE_CONDITION}`.trim();
}

// Every event-log line of the proxies and consoles tests start (tests wait for debug
// events such as control_plane_snapshot_received); a test that checks filtering passes
// --log-level itself.
process.env.SWITCHYARD_LOG_LEVEL ??= "debug";

export default defineConfig({
  resolve: { conditions: [SOURCE_CONDITION] },
  ssr: { resolve: { conditions: [...defaultServerConditions, SOURCE_CONDITION], externalConditions: [SOURCE_CONDITION] } },
  test: {
    include: gateProbe
      ? ["test/gate/failing-probe.ts"]
      : ["packages/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/.next/**"],
    globalSetup: [leftoverCheck, ...(existsSync(dbGlobalSetup) ? [dbGlobalSetup] : [])],
    testTimeout: 30_000,
    hookTimeout: 240_000,
    pool: "forks",
    // No retries: a flaky test is fixed at its cause (issue #13), never retried away.
    retry: 0,
    reporters: ["default"],
  },
});
