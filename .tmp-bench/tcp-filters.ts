import { createServer, connect, type AddressInfo } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { startInProcessProxy } from "../apps/proxy/test/helpers/in-process-proxy.ts";
import { freePort } from "../apps/proxy/test/helpers/free-port.ts";

const TOTAL = 512 * 1024 * 1024;
let received = 0;
let done: (() => void) | null = null;
const sink = createServer((s) => s.on("data", (c: Buffer) => { received += c.length; if (received >= TOTAL && done) { done(); done = null; } }));
await new Promise<void>((r) => sink.listen(0, "127.0.0.1", r));
const sinkPort = (sink.address() as AddressInfo).port;

// A real ClientHello naming sink.test, captured once.
const hello: Buffer = await new Promise((resolve) => {
  const cap = createServer((s) => s.once("data", (c: Buffer) => { resolve(c); s.destroy(); cap.close(); }));
  cap.listen(0, "127.0.0.1", () => { const c = tlsConnect({ host: "127.0.0.1", port: (cap.address() as AddressInfo).port, servername: "sink.test", rejectUnauthorized: false }); c.on("error", () => undefined); });
});

const ports = { plain: await freePort(), rbac: await freePort(), sni: await freePort() };
const proxy = await startInProcessProxy({
  listeners: [
    { name: "plain", address: "127.0.0.1", port: ports.plain, protocol: "tcp", tcp: { cluster: "sink" } },
    { name: "rbac", address: "127.0.0.1", port: ports.rbac, protocol: "tcp", tcp: { cluster: "sink" }, networkFilters: [{ type: "rbac", rules: [{ allow: true, principals: [{ sourceIp: "127.0.0.0/8" }] }] }] },
    { name: "sni", address: "127.0.0.1", port: ports.sni, protocol: "tcp", tcp: {}, networkFilters: [{ type: "sniRouter", routes: [{ serverNames: ["sink.test"], cluster: "sink" }] }] },
  ],
  clusters: [{ name: "sink", endpoints: [{ address: "127.0.0.1", port: sinkPort }] }],
});

const chunk = Buffer.alloc(64 * 1024, 7);
async function run(port: number): Promise<number> {
  received = 0;
  const t0 = process.hrtime.bigint();
  const finished = new Promise<void>((r) => (done = r));
  const c = connect(port, "127.0.0.1");
  await new Promise((r) => c.once("connect", r));
  c.write(hello);
  received -= hello.length;
  let sent = 0;
  while (sent < TOTAL) {
    sent += chunk.length;
    if (!c.write(chunk)) await new Promise((r) => c.once("drain", r));
  }
  await finished;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  c.destroy();
  return TOTAL / s / 1024 / 1024;
}
for (let round = 0; round < 3; round++) {
  for (const k of ["plain", "rbac", "sni"] as const) console.log(round, k, (await run(ports[k])).toFixed(0), "MiB/s");
}
await proxy.stop();
sink.close();
