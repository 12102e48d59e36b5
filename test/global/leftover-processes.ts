import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";

/**
 * vitest globalSetup (listed first, so its teardown runs last): tests own their
 * children. Every process a test run starts inherits SWITCHYARD_TEST_RUN from here
 * (vitest's workers, and through them proxies, consoles, browsers, dnsmasq...). After
 * the run, when every test file has closed what it started, any process still
 * carrying this run's marker is a leftover: it is listed, killed, and the run fails.
 *
 * Linux only (/proc); elsewhere the check says so and passes.
 */
const MARKER = "SWITCHYARD_TEST_RUN";
/** Children given SIGTERM in a test's last line may take a moment to finish exiting. */
const GRACE_MS = 5_000;

export default function setup(): () => Promise<void> {
  const runId = randomBytes(8).toString("hex");
  process.env[MARKER] = runId;
  return async () => {
    if (process.platform !== "linux") {
      console.warn(`[leftover-processes] not checked: needs /proc (platform ${process.platform})`);
      return;
    }
    let left = await processesOfRun(runId);
    const deadline = Date.now() + GRACE_MS;
    while (left.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      left = await processesOfRun(runId);
    }
    if (left.length === 0) return;
    for (const p of left) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    const list = left.map((p) => `  pid ${p.pid} (parent ${p.ppid}): ${p.command}`).join("\n");
    // vitest reports an error thrown here ("error during close") but keeps exit status 0.
    process.exitCode = 1;
    throw new Error(`${left.length} process(es) started by this test run were still running after it (killed now):\n${list}`);
  };
}

type TProcess = { pid: number; ppid: number; command: string };

/** Processes other than this one whose environment carries this run's marker. */
async function processesOfRun(runId: string): Promise<TProcess[]> {
  const needle = `${MARKER}=${runId}`;
  const found: TProcess[] = [];
  for (const entry of await readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = await readFile(`/proc/${pid}/environ`, "latin1");
      if (!environ.split("\0").includes(needle)) continue;
      const stat = await readFile(`/proc/${pid}/stat`, "latin1");
      // Zombies are already dead; their parent just has not reaped them yet.
      const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (state === "Z") continue;
      const command = (await readFile(`/proc/${pid}/cmdline`, "latin1")).split("\0").join(" ").trim().slice(0, 300);
      found.push({ pid, ppid: Number(ppid), command });
    } catch {
      // exited while we looked, or not ours to read
    }
  }
  return found;
}
