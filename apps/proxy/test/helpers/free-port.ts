import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A TCP port that is free now on `host` and stays ours, for ports that must be written
 * into a config file before the process that binds them starts.
 *
 * Why not "bind port 0, read it, close": the kernel hands out ephemeral ports to every
 * process, so between our close and the proxy's bind another test could be given the
 * same port. Instead each vitest worker takes ports from its own slice of 20000-31999,
 * below Linux's ephemeral range (32768-60999) so no outgoing connection is ever given
 * one, starting at a random offset and moving on, and checks each by binding it.
 *
 * Slices are per worker of one run, and every run on a machine has the same workers:
 * two runs at once (CI beside a developer, or two worktrees) used to hand out the same
 * ports, and a test that needed a dead address once reached another run's console
 * there (issue #13). So a port is also reserved machine-wide, by a file named after it
 * in a shared folder holding the owning process id: a reservation lasts as long as the
 * test process that made it, and one left by a dead process is taken over.
 */
const SLICE = 1000;
const BASE = 20_000;
const SLICES = 12;
const poolId = Number(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? 0) || 0;
const sliceStart = BASE + (poolId % SLICES) * SLICE;
const RESERVATIONS = join(tmpdir(), "switchyard-test-ports");
let next = Math.floor(Math.random() * SLICE);

function candidate(): number {
  const port = sliceStart + (next % SLICE);
  next += 1;
  return port;
}

function tryBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function ownerOf(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, "utf8"));
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Creates the reservation atomically (link fails when it exists); takes over a dead owner's. */
function reserve(port: number): boolean {
  mkdirSync(RESERVATIONS, { recursive: true, mode: 0o1777 });
  const target = join(RESERVATIONS, String(port));
  const mine = join(RESERVATIONS, `.${process.pid}.${port}.${Math.random().toString(36).slice(2)}`);
  writeFileSync(mine, String(process.pid));
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        linkSync(mine, target);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      }
      const owner = ownerOf(target);
      if (owner === process.pid) return false; // handed out already by this process
      if (owner !== null && pidAlive(owner)) return false;
      // Dead owner: move its file aside (only one process wins the rename), then retry.
      const aside = `${mine}.stale`;
      try {
        renameSync(target, aside);
        unlinkSync(aside);
      } catch {
        // someone else took it over first
      }
    }
    return false;
  } finally {
    unlinkSync(mine);
  }
}

export async function freePort(host = "127.0.0.1"): Promise<number> {
  for (let i = 0; i < SLICE; i++) {
    const port = candidate();
    if (reserve(port) && (await tryBind(host, port))) return port;
  }
  throw new Error(`no free port in ${sliceStart}-${sliceStart + SLICE - 1} on ${host} (reservations in ${RESERVATIONS})`);
}
