import { existsSync } from "node:fs";
import { defineConfig } from "vitest/config";

// One run for the whole monorepo: unit, integration (real sockets), database (real
// PostgreSQL: DATABASE_URL when set, else an embedded server started once by the global
// setup), whole-system and browser tests. Long timeouts are for the process-level tests.
const dbGlobalSetup = "packages/db/test/global-setup.ts";

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts", "apps/*/test/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "**/.next/**"],
    globalSetup: existsSync(dbGlobalSetup) ? [dbGlobalSetup] : [],
    testTimeout: 30_000,
    hookTimeout: 240_000,
    pool: "forks",
    reporters: ["default"],
  },
});
