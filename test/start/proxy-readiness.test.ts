import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proxyReadiness } from "../../scripts/lib/proxy-readiness.ts";
import { checkPorts } from "../../scripts/lib/ports.ts";
import { freePort } from "../system/free-port.ts";

/** `npm start`'s wait for its proxy (scripts/lib/proxy-readiness.ts) against a real admin-like server. */
let server: Server;
let readyUrl = "";
let ready = false;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(ready ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify({ state: ready ? "LIVE" : "PRE_INITIALIZING" }));
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  readyUrl = `http://127.0.0.1:${port}/ready`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("npm start: a proxy that does not become ready says why", () => {
  it("a NACK ends the wait at once, with the version, the error and its issues", async () => {
    ready = false;
    const r = proxyReadiness({ timeoutMs: 20_000, pollMs: 20 });
    const started = Date.now();
    const waiting = r.wait(readyUrl);
    r.onLine("not json: ignored");
    r.onLine(JSON.stringify({ event: "config_rejected", version: 3, error: "cannot bind listeners", issues: [{ path: "listeners[0].port", message: "EADDRINUSE: 0.0.0.0:8080 is in use" }] }));
    const why = await waiting;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(why).toBe("the proxy did not become ready: it refused version 3 (NACK): cannot bind listeners\n    listeners[0].port: EADDRINUSE: 0.0.0.0:8080 is in use");
  });

  it("without a NACK, the timeout names the last control-plane problem, else the /ready answer", async () => {
    ready = false;
    const refusedNode = proxyReadiness({ timeoutMs: 300, pollMs: 20 });
    refusedNode.onLine(JSON.stringify({ event: "control_plane_unauthorized", status: 401, hint: "the console refused the node token (check SWITCHYARD_NODE_TOKEN)" }));
    expect(await refusedNode.wait(readyUrl)).toBe("the proxy did not become ready within 0 s: the console refused the node (HTTP 401): the console refused the node token (check SWITCHYARD_NODE_TOKEN)");
    const silent = proxyReadiness({ timeoutMs: 300, pollMs: 20 });
    expect(await silent.wait(readyUrl)).toMatch(/it never received a config \(.*\/ready: 503 \{"state":"PRE_INITIALIZING"\}\)/);
  });

  it("resolves null once /ready answers 200", async () => {
    ready = true;
    expect(await proxyReadiness({ timeoutMs: 5_000, pollMs: 20 }).wait(readyUrl)).toBeNull();
  });
});

describe("npm start: port checks", () => {
  it("lists every problem with the variable that moves it: a port asked for twice, and one in use", async () => {
    const [a, b] = [await freePort(), await freePort()];
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(b, "127.0.0.1", r));
    try {
      const problems = await checkPorts([
        { what: "console", host: "127.0.0.1", port: a, variable: "PORT" },
        { what: "proxy admin", host: "127.0.0.1", port: a, variable: "SWITCHYARD_DEMO_ADMIN_PORT" },
        { what: "demo users service", host: "127.0.0.1", port: b, variable: "SWITCHYARD_DEMO_USERS_PORT" },
      ]);
      expect(problems).toEqual([
        `PORT and SWITCHYARD_DEMO_ADMIN_PORT both ask for port ${a} (console, proxy admin): set one of them to another port`,
        `port 127.0.0.1:${b} (demo users service) is in use: start with SWITCHYARD_DEMO_USERS_PORT=<another port> to move it (\`ss -ltnp 'sport = :${b}'\` shows by whom)`,
      ]);
    } finally {
      await new Promise((r) => holder.close(r));
    }
    expect(await checkPorts([{ what: "console", host: "127.0.0.1", port: a, variable: "PORT" }])).toEqual([]);
  });
});
