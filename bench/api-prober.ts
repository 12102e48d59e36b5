/**
 * bench/control-plane.ts's API prober, in a process of its own so the simulated nodes'
 * work never delays a timing: GET /api/v1/metrics/routes?window=300 and GET /api/v1/nodes
 * back to back (500 ms apart) for --seconds, then one JSON line with the latencies (ms).
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { url: { type: "string" }, token: { type: "string", default: "" }, seconds: { type: "string" } } });
const url = values.url!;
const deadline = performance.now() + Number(values.seconds) * 1000;
const out = { routes: [] as number[], nodes: [] as number[], errors: [] as string[] };

async function timed(path: string): Promise<number | string> {
  const t0 = performance.now();
  try {
    const res = await fetch(`${url}/api/v1${path}`, { headers: { authorization: `Bearer ${values.token}` } });
    await res.arrayBuffer();
    return res.status === 200 ? performance.now() - t0 : `${path} ${res.status}`;
  } catch (err) {
    return `${path} ${(err as Error).message}`;
  }
}

while (performance.now() < deadline) {
  const a = await timed("/metrics/routes?window=300");
  if (typeof a === "number") out.routes.push(a);
  else out.errors.push(a);
  const b = await timed("/nodes");
  if (typeof b === "number") out.nodes.push(b);
  else out.errors.push(b);
  await new Promise((r) => setTimeout(r, 500));
}
console.log(JSON.stringify(out));
