/**
 * runtime/young-generation.ts: after an apply, an idle proxy gives back the garbage the
 * apply left (the replaced version). V8 collects nothing in an idle process by itself, so
 * the same burst without the trim is the control: its garbage is still on the heap.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { expect, it } from "vitest";

const CHILD = fileURLToPath(new URL("../fixtures/apply-burst.ts", import.meta.url));
type TFigures = { afterBurst: number; idle: number; gcGlobal: string };

async function run(mode: "trim" | "none"): Promise<TFigures> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", CHILD, mode], { timeout: 30_000 });
  return JSON.parse(stdout) as TFigures;
}

it("frees an apply's garbage once the process is idle, without leaving a gc global behind", async () => {
  const [trimmed, control] = await Promise.all([run("trim"), run("none")]);
  const MiB = 1024 * 1024;
  // The burst leaves well over 100 MiB of garbage in both.
  expect(trimmed.afterBurst).toBeGreaterThan(100 * MiB);
  expect(control.afterBurst).toBeGreaterThan(100 * MiB);
  // Without the trim an idle process keeps it; with it the heap is back to its size at start.
  expect(control.idle, "control: an idle process collects nothing by itself").toBeGreaterThan(100 * MiB);
  expect(trimmed.idle).toBeLessThan(30 * MiB);
  // gc() is fetched with --expose-gc set only for that, then unset: no code sees a gc global.
  expect(trimmed.gcGlobal).toBe("undefined");
}, 60_000);
