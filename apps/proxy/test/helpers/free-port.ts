import { createServer } from "node:net";

/**
 * A TCP port that is free now on `host`, for ports that must be written into a config
 * file before the process that binds them starts.
 *
 * Why not "bind port 0, read it, close": the kernel hands out ephemeral ports to every
 * process, so between our close and the proxy's bind another test file running in
 * parallel could be given the same port (seen as rare EADDRINUSE flakes). Instead each
 * vitest worker takes ports from its own slice of 20000-31999, below Linux's ephemeral
 * range (32768-60999) so no outgoing connection is ever given one, starting at a random
 * offset and moving on, and checks each by binding it.
 */
const SLICE = 1000;
const BASE = 20_000;
const SLICES = 12;
const poolId = Number(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? 0) || 0;
const sliceStart = BASE + (poolId % SLICES) * SLICE;
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

export async function freePort(host = "127.0.0.1"): Promise<number> {
  for (let i = 0; i < SLICE; i++) {
    const port = candidate();
    if (await tryBind(host, port)) return port;
  }
  throw new Error(`no free port in ${sliceStart}-${sliceStart + SLICE - 1} on ${host}`);
}
