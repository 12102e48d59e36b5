/**
 * `node --conditions=@switchyard/source --import tsx bench/tcp-filters.ts`: throughput of
 * one tcp connection through a tcp listener without network filters (piped), with an
 * onConnect-only chain (rbac: piped once dialled) and with a sniRouter (every chunk through
 * the network filter session after the ClientHello). The proxy runs in-process on real
 * sockets (apps/proxy/test/helpers/in-process-proxy.ts), a sink upstream counts the bytes;
 * client, proxy and sink share one process and event loop, so read the figures as a
 * ratio between the three listeners of one run, not as the proxy's capacity. The order
 * of the three rotates each round; the median of BENCH_ROUNDS (default 3) is printed.
 */
import { connect, createServer, type AddressInfo } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { freePort } from "../apps/proxy/test/helpers/free-port.ts";
import { startInProcessProxy } from "../apps/proxy/test/helpers/in-process-proxy.ts";
import { BENCH_ROUNDS } from "./env.ts";

const TOTAL = 512 * 1024 * 1024;
let received = 0;
let done: (() => void) | null = null;
const sink = createServer((s) =>
  s.on("data", (c: Buffer) => {
    received += c.length;
    if (received >= TOTAL && done) {
      done();
      done = null;
    }
  }),
);
await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));

// A real ClientHello naming sink.test, written by node:tls and captured once.
const hello: Buffer = await new Promise((resolve) => {
  const cap = createServer((s) =>
    s.once("data", (c: Buffer) => {
      resolve(c);
      s.destroy();
      cap.close();
    }),
  );
  cap.listen(0, "127.0.0.1", () => tlsConnect({ host: "127.0.0.1", port: (cap.address() as AddressInfo).port, servername: "sink.test", rejectUnauthorized: false }).on("error", () => undefined));
});

const kinds = ["plain", "rbac", "sniRouter"] as const;
const ports = { plain: await freePort(), rbac: await freePort(), sniRouter: await freePort() };
const listener = (name: (typeof kinds)[number], rest: object) => ({ name, address: "127.0.0.1", port: ports[name], protocol: "tcp", ...rest });
const proxy = await startInProcessProxy({
  listeners: [
    listener("plain", { tcp: { cluster: "sink" } }),
    listener("rbac", { tcp: { cluster: "sink" }, networkFilters: [{ type: "rbac", rules: [{ allow: true, principals: [{ sourceIp: "127.0.0.0/8" }] }] }] }),
    listener("sniRouter", { tcp: {}, networkFilters: [{ type: "sniRouter", routes: [{ serverNames: ["sink.test"], cluster: "sink" }] }] }),
  ],
  clusters: [{ name: "sink", endpoints: [{ address: "127.0.0.1", port: (sink.address() as AddressInfo).port }] }],
});

const chunk = Buffer.alloc(64 * 1024, 7);
/** MiB/s of TOTAL bytes (after the hello) from the client to the sink. */
async function run(port: number): Promise<number> {
  received = -hello.length;
  const t0 = process.hrtime.bigint();
  const finished = new Promise<void>((r) => (done = r));
  const c = connect(port, "127.0.0.1");
  await new Promise((r) => c.once("connect", r));
  c.write(hello);
  for (let sent = 0; sent < TOTAL; sent += chunk.length) if (!c.write(chunk)) await new Promise((r) => c.once("drain", r));
  await finished;
  c.destroy();
  return TOTAL / (Number(process.hrtime.bigint() - t0) / 1e9) / 1024 / 1024;
}

const results: Record<string, number[]> = { plain: [], rbac: [], sniRouter: [] };
for (let round = 0; round < BENCH_ROUNDS; round++) {
  for (let j = 0; j < kinds.length; j++) {
    const k = kinds[(round + j) % kinds.length] as (typeof kinds)[number];
    results[k]!.push(await run(ports[k]));
  }
}
console.log("| tcp listener | MiB/s (median) | runs |\n| --- | --- | --- |");
for (const k of kinds) {
  const v = [...results[k]!].sort((a, b) => a - b);
  console.log(`| ${k} | ${v[Math.floor(v.length / 2)]!.toFixed(0)} | ${results[k]!.map((x) => x.toFixed(0)).join(" ")} |`);
}
await proxy.stop();
sink.close();
