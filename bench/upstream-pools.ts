import { fork, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createSecureServer } from "node:http2";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { Pool } from "undici";
import type { TDispatchOptions, TUpstreamHandler } from "../apps/proxy/src/upstream/dispatch.ts";
import { H1Pool } from "../apps/proxy/src/upstream/h1-pool.ts";
import { H2Pool } from "../apps/proxy/src/upstream/h2-pool.ts";
import { BENCH_ROUNDS, POOLS_BENCH_REQUESTS } from "./env.ts";
import { loadAverage, makeCert } from "./lib.ts";

/**
 * The upstream half alone (issue #17 item 2): CPU of THIS process per request through
 * each upstream pool, against an origin in a child process (its CPU not counted), 100 B
 * bodies, 32 requests in flight. Answers two questions: what the H1Pool saves over
 * undici's Pool for HTTP/1.1 (cleartext and TLS), and whether `auto` clusters (ALPN over
 * TLS) lose anything by staying on undici (its h1 and h2 vs our H1Pool and H2Pool).
 *
 *   npm run bench:upstream-pools            (BENCH_REQUESTS=20000, BENCH_ROUNDS=3)
 */

type TPool = { dispatch(o: TDispatchOptions, h: TUpstreamHandler): boolean; close(): Promise<void> };

const BODY = "x".repeat(100);

if (process.argv[2] === "origin") {
  const [cert, key] = [readFileSync(process.argv[3] as string), readFileSync(process.argv[4] as string)];
  const answer = (_req: unknown, res: { writeHead(s: number, h: Record<string, string>): unknown; end(b: string): unknown }): void => {
    res.writeHead(200, { "content-type": "text/plain", "content-length": "100" });
    res.end(BODY);
  };
  const servers = [createHttpServer((q, r) => answer(q, r)), createHttpsServer({ cert, key }, (q, r) => answer(q, r)), createSecureServer({ cert, key }, (q, r) => answer(q, r))];
  let ready = 0;
  const ports: number[] = [];
  servers.forEach((s, i) =>
    s.listen(0, "127.0.0.1", () => {
      ports[i] = (s.address() as AddressInfo).port;
      if (++ready === servers.length) process.send?.(ports);
    }),
  );
} else await main();

async function main(): Promise<void> {
  const total = POOLS_BENCH_REQUESTS;
  const rounds = BENCH_ROUNDS;
  const c = await makeCert();
  const origin: ChildProcess = fork(new URL(import.meta.url).pathname, ["origin", c.cert, c.key]);
  const [h1, tls1, tls2] = await new Promise<number[]>((r) => origin.once("message", (m) => r(m as number[])));
  const ca = readFileSync(c.cert, "utf8");
  const tls = { ca, servername: "localhost", rejectUnauthorized: true, minVersion: "TLSv1.2" as const };
  const undiciPool = (port: number, https: boolean): Pool =>
    new Pool(`${https ? "https" : "http"}://127.0.0.1:${port}`, {
      ...(https ? { allowH2: true, connect: tls } : {}),
      pipelining: 1,
      connections: 32,
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  const h1Pool = (port: number, https: boolean): H1Pool =>
    new H1Pool({ address: "127.0.0.1", port, hostPort: `127.0.0.1:${port}`, tls: https ? tls : null, connections: 32, connectTimeoutMs: 5000, idleTimeoutMs: 60_000 });
  const cases: [string, () => TPool][] = [
    ["HTTP/1.1 cleartext: undici Pool", () => undiciPool(h1 as number, false) as unknown as TPool],
    ["HTTP/1.1 cleartext: H1Pool", () => h1Pool(h1 as number, false)],
    ["TLS, origin speaks http/1.1: undici Pool (allowH2, ALPN)", () => undiciPool(tls1 as number, true) as unknown as TPool],
    ["TLS, origin speaks http/1.1: H1Pool", () => h1Pool(tls1 as number, true)],
    ["TLS, origin speaks h2: undici Pool (allowH2, ALPN)", () => undiciPool(tls2 as number, true) as unknown as TPool],
    ["TLS, origin speaks h2: H2Pool", () => new H2Pool({ origin: `https://127.0.0.1:${tls2}`, connectTimeoutMs: 5000, idleTimeoutMs: 60_000, tls })],
  ];
  console.log(`# upstream pools: ${total} requests x ${rounds} rounds, 32 in flight, 100 B; load average ${loadAverage()}`);
  console.log("| pool | µs CPU/request (best of rounds) | req/s |\n| --- | --- | --- |");
  for (const [name, make] of cases) {
    let best = Infinity;
    let rate = 0;
    for (let r = 0; r < rounds; r++) {
      const pool = make();
      await run(pool, 2000); // warm-up: connections, JIT
      const cpu = process.cpuUsage();
      const t0 = performance.now();
      await run(pool, total);
      const used = process.cpuUsage(cpu);
      const us = (used.user + used.system) / total;
      if (us < best) {
        best = us;
        rate = total / ((performance.now() - t0) / 1000);
      }
      await pool.close();
    }
    console.log(`| ${name} | ${best.toFixed(1)} | ${Math.round(rate)} |`);
  }
  console.log(`load average at end ${loadAverage()}`);
  origin.kill();
}

/** `n` GETs, 32 at a time; rejects on the first error. */
function run(pool: TPool, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let started = 0;
    let done = 0;
    const next = (): void => {
      if (started >= n) return;
      started++;
      let bytes = 0;
      pool.dispatch(
        { method: "GET", path: "/", headers: ["host", "localhost", "x-request-id", "abc"], body: null },
        {
          onConnect: () => undefined,
          onHeaders: (s) => s === 200,
          onData: (d) => ((bytes += d.length), true),
          onComplete: () => {
            if (bytes !== 100) return reject(new Error(`short body ${bytes}`));
            if (++done === n) resolve();
            else next();
          },
          onError: reject,
        },
      );
    };
    for (let i = 0; i < 32; i++) next();
  });
}
