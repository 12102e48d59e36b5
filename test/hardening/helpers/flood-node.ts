/**
 * A hostile node in its own process (so its own sending does not stall the console under
 * test): connects to /api/xds with a node token, says hello, sends `frames` copies of one
 * stats frame of `entries` entries at once (after "go" on stdin), and after 4 s prints the console's error
 * frames and what the console has not read yet as JSON, and exits.
 * Usage: node --import tsx flood-node.ts <wsUrl> <token> <nodeId> <frames> <entries>
 */
import WebSocket from "ws";
import { LATENCY_BOUNDS_MS, latencyBucket } from "@switchyard/config-model";

const [wsUrl, token, nodeId, frames, entries] = process.argv.slice(2) as [string, string, string, string, string];
const counts = new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0);
counts[latencyBucket(3)] = 1;
const windowStart = Date.now() - 5_000;
const frame = JSON.stringify({
  type: "stats",
  windowStart,
  windowEnd: windowStart + 5_000,
  entries: Array.from({ length: Number(entries) }, (_, i) => ({
    kind: "route",
    name: `r${i}`,
    listener: "l",
    cluster: "c",
    requests: 1,
    codeClasses: { "1xx": 0, "2xx": 1, "3xx": 0, "4xx": 0, "5xx": 0 },
    bytesIn: 0,
    bytesOut: 0,
    latency: { bounds: LATENCY_BOUNDS_MS, counts, sum: 3, count: 1 },
  })),
});
const errors: string[] = [];
const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` } });
ws.on("message", (d) => {
  const m = JSON.parse(String(d)) as { type: string; code?: string };
  if (m.type === "error") errors.push(m.code ?? "");
});
ws.once("open", () => {
  ws.send(JSON.stringify({ type: "hello", nodeId, group: "default" }));
  // Connected and started: the test starts its measurement, then says go.
  process.stdout.write("ready\n");
  process.stdin.once("data", () => {
    // Queued at once; the console reads them as fast as it chooses to.
    for (let i = 0; i < Number(frames); i++) ws.send(frame);
    setTimeout(() => {
      process.stdout.write(JSON.stringify({ errors, frameBytes: frame.length, unsentBytes: ws.bufferedAmount }));
      ws.terminate();
      process.exit(0);
    }, 4_000);
  });
});
ws.once("error", (err) => {
  process.stderr.write(String(err));
  process.exit(1);
});
