/**
 * What the issue #14 built-in filters cost per request, end to end through the proxy's
 * real runtime in this process: one keep-alive client sends requests one at a time (300
 * warm-up rounds, then N rounds, default 2000; the first argument) for a 10.6 KB JSON
 * answer, the cases taking turns: no filter,
 * compression (gzip / br / zstd), extAuthz against a local authorization service. Prints
 * median and p90 latency. `npm run bench:builtin-filters`.
 */
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { freePort } from "../apps/proxy/test/helpers/free-port.ts";
import { startInProcessProxy } from "../apps/proxy/test/helpers/in-process-proxy.ts";

const N = Number(process.argv[2] ?? 2000);
const body = JSON.stringify({ items: Array.from({ length: 300 }, (_, i) => ({ id: i, name: `item number ${i}` })) });
const up = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
});
let checks = 0;
const authz = createServer((_req, res) => {
  checks++;
  res.writeHead(200, { "x-user": "a" });
  res.end();
});
await Promise.all([new Promise<void>((r) => up.listen(0, "127.0.0.1", r)), new Promise<void>((r) => authz.listen(0, "127.0.0.1", r))]);
const port = await freePort();
const app = { cluster: "app" };
const off = (...names: string[]) => Object.fromEntries(names.map((n) => [n, { disabled: true }]));
const proxy = await startInProcessProxy({
  listeners: [
    {
      name: "web",
      address: "127.0.0.1",
      port,
      routeConfig: "main",
      httpFilters: [
        { type: "compression" },
        { type: "extAuthz", url: `http://127.0.0.1:${(authz.address() as AddressInfo).port}/`, allowedUpstreamHeaders: ["x-user"] },
      ],
    },
  ],
  routeConfigs: [
    {
      name: "main",
      virtualHosts: [
        {
          name: "all",
          domains: ["*"],
          routes: [
            { name: "none", match: { prefix: "/none" }, route: app, filterOverrides: off("compression", "extAuthz") },
            { name: "compress", match: { prefix: "/compress" }, route: app, filterOverrides: off("extAuthz") },
            { name: "authz", match: { prefix: "/authz" }, route: app, filterOverrides: off("compression") },
          ],
        },
      ],
    },
  ],
  clusters: [{ name: "app", endpoints: [{ address: "127.0.0.1", port: (up.address() as AddressInfo).port }] }],
});
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const once = (path: string, acceptEncoding: string) =>
  new Promise<number>((resolve, reject) => {
    const t0 = performance.now();
    request({ host: "127.0.0.1", port, path, agent, headers: { "accept-encoding": acceptEncoding } }, (res) => {
      res.resume();
      res.on("end", () => resolve(performance.now() - t0));
    })
      .on("error", reject)
      .end();
  });
const cases = [
  ["no filter", "/none", "gzip"],
  ["compression gzip", "/compress", "gzip"],
  ["compression br", "/compress", "br"],
  ["compression zstd", "/compress", "zstd"],
  ["extAuthz (local service)", "/authz", "identity"],
] as const;
console.log(`load average ${(await import("node:os")).loadavg().map((x) => x.toFixed(1)).join(" ")}, ${N} requests per case, body ${Buffer.byteLength(body)} bytes`);
// Cases take turns request by request, so a change in the machine's load hits them alike.
for (let i = 0; i < 300; i++) for (const [, path, ae] of cases) await once(path, ae);
const times: number[][] = cases.map(() => []);
for (let i = 0; i < N; i++) for (const [k, [, path, ae]] of cases.entries()) (times[k] as number[]).push(await once(path, ae));
for (const [k, [name]] of cases.entries()) {
  const xs = (times[k] as number[]).sort((a, b) => a - b);
  console.log(`${name.padEnd(26)} median ${(xs[Math.floor(N / 2)] as number).toFixed(3)} ms   p90 ${(xs[Math.floor(N * 0.9)] as number).toFixed(3)} ms`);
}
console.log(`authorization checks: ${checks}`);
await proxy.stop();
agent.destroy();
up.close();
authz.close();
