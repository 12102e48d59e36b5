/**
 * Sockets that never send a byte. An http listener sniffs the first bytes to tell
 * HTTP/1.1 from h2c; before that a socket belongs to no protocol server, and node:http's
 * allowHalfOpen would keep one whose peer closed at once half-open forever — found as a
 * proxy that did not exit on SIGTERM after a wrk run.
 */
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../helpers/start-proxy.ts";

let proxy: TProxyProcess | undefined;
afterEach(async () => {
  if (proxy) await proxy.stop("SIGKILL").catch(() => undefined);
  proxy = undefined;
});

function config(port: number, headersTimeoutMs: number) {
  return {
    listeners: [{ name: "l", address: "127.0.0.1", port, routeConfig: "main", limits: { headersTimeoutMs } }],
    routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "ok", match: { prefix: "/" }, directResponse: { status: 200, body: "ok" } }] }] }],
  };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port }, () => resolve(socket));
    socket.once("error", reject);
  });
}

describe("sockets that never send a byte", () => {
  it("a peer that connects and closes at once does not hold up a graceful stop", async () => {
    const port = await freePort();
    proxy = await startProxy({ config: config(port, 60_000) });
    for (let i = 0; i < 5; i++) (await open(port)).end();
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    const code = await proxy.stop("SIGTERM");
    proxy = undefined;
    expect(code).toBe(0);
    // The grace period is 10 s; without the fix the process waited on the half-open sockets forever.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("a silent connection is closed after the listener's headersTimeoutMs, and traffic still flows", async () => {
    const port = await freePort();
    proxy = await startProxy({ config: config(port, 500) });
    const silent = await open(port);
    const closed = new Promise<number>((resolve) => {
      const t0 = Date.now();
      silent.once("close", () => resolve(Date.now() - t0));
    });
    silent.resume();
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(await res.text()).toBe("ok");
    const after = await closed;
    expect(after).toBeGreaterThanOrEqual(400);
    expect(after).toBeLessThan(5_000);
  });
});
