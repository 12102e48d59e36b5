import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort } from "../helpers/free-port.ts";
import { startProxy } from "../helpers/start-proxy.ts";

/**
 * Graceful stop with sockets that never sent a byte (a load generator closing idle
 * connections at the end of a run, a port scanner, a half-closed client): before the
 * fix the listener's connection count kept them forever and SIGTERM hung until SIGKILL.
 */
describe("drain with silent sockets", () => {
  it("exits promptly on SIGTERM although clients connected, sent nothing, and half-closed or stayed silent", async () => {
    const port = await freePort();
    const proxy = await startProxy({
      config: {
        listeners: [{ name: "l", address: "127.0.0.1", port, routeConfig: "r" }],
        routeConfigs: [{ name: "r", virtualHosts: [{ name: "v", domains: ["*"], routes: [{ name: "ok", match: { prefix: "/" }, directResponse: { status: 200, body: "ok" } }] }] }],
        clusters: [],
      },
    });
    const sockets = await Promise.all(
      Array.from({ length: 6 }, (_, i) => new Promise<ReturnType<typeof connect>>((resolve) => {
        const s = connect(port, "127.0.0.1", () => {
          // Half of them send FIN without a byte; the other half stay open and silent.
          if (i % 2 === 0) s.end();
          resolve(s);
        });
        s.on("error", () => undefined);
      })),
    );
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    const code = await proxy.stop("SIGTERM");
    expect(code).toBe(0);
    // Well under the 10 s drain grace: nothing was in flight.
    expect(Date.now() - started).toBeLessThan(5_000);
    for (const s of sockets) s.destroy();
  }, 30_000);
});
