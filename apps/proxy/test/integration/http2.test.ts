import { execFile } from "node:child_process";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../helpers/start-proxy.ts";
import { startUpstream, type TEcho, type TUpstream } from "../helpers/start-upstream.ts";

const curl = promisify(execFile);

/**
 * HTTP/2 both ways with real curl: h2c prior knowledge and HTTP/1.1 on ONE port, an
 * HTTP/1.1 upstream behind an h2 client and an h2c-only upstream behind an HTTP/1.1 client.
 */
let h1: TUpstream;
let h2only: http2.Http2Server;
let h2Seen: http2.IncomingHttpHeaders[] = [];
let proxy: TProxyProcess;
let base: string;

beforeAll(async () => {
  h1 = await startUpstream("h1");
  h2only = http2.createServer((req, res) => {
    h2Seen.push(req.headers);
    res.writeHead(200, { "content-type": "application/json", "x-upstream": "h2only" });
    res.end(JSON.stringify({ httpVersion: req.httpVersion, path: req.url, authority: req.headers[":authority"] }));
  });
  // An h2c-only server: an HTTP/1.1 request line would be a protocol error here.
  await new Promise<void>((r) => h2only.listen(0, "127.0.0.1", r));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  proxy = await startProxy({
    config: {
      listeners: [{ name: "public", address: "127.0.0.1", port, routeConfig: "main" }],
      routeConfigs: [
        {
          name: "main",
          virtualHosts: [
            {
              name: "all",
              domains: ["*"],
              routes: [
                { name: "to-h2", match: { prefix: "/h2" }, route: { cluster: "h2only" } },
                { name: "to-h1", match: { prefix: "/" }, route: { cluster: "h1" } },
              ],
            },
          ],
        },
      ],
      clusters: [
        { name: "h1", endpoints: [{ address: "127.0.0.1", port: h1.port }] },
        { name: "h2only", protocol: "http2", endpoints: [{ address: "127.0.0.1", port: (h2only.address() as AddressInfo).port }] },
      ],
    },
  });
});

afterAll(async () => {
  await proxy?.stop();
  await h1?.close();
  h2only?.close();
});

async function curlJson(args: string[]): Promise<{ version: string; status: number; body: string }> {
  const { stdout } = await curl("curl", ["-s", "-w", "\n%{http_version} %{http_code}", ...args], { timeout: 15_000 });
  const nl = stdout.lastIndexOf("\n");
  const [version = "", status = "0"] = stdout.slice(nl + 1).split(" ");
  return { version, status: Number(status), body: stdout.slice(0, nl) };
}

describe("HTTP/2 downstream and upstream", () => {
  it("serves h2c prior knowledge and HTTP/1.1 on the same port", async () => {
    const viaH2 = await curlJson(["--http2-prior-knowledge", `${base}/echo`]);
    expect(viaH2.version).toBe("2");
    expect(viaH2.status).toBe(200);
    const echo = JSON.parse(viaH2.body) as TEcho;
    // The h1 upstream saw a normal HTTP/1.1 request with a Host built from :authority.
    expect(echo.headers.host).toBe(`127.0.0.1:${new URL(base).port}`);
    expect(echo.headers["x-forwarded-proto"]).toBe("http");

    const viaH1 = await curlJson(["--http1.1", `${base}/echo`]);
    expect(viaH1.version).toBe("1.1");
    expect(viaH1.status).toBe(200);
  });

  it("strips connection-specific response headers for h2 clients (the h1 upstream sends Connection and a field it names)", async () => {
    const { stdout } = await curl("curl", ["-s", "-D", "-", "-o", "/dev/null", "--http2-prior-knowledge", `${base}/hop`], { timeout: 15_000 });
    expect(stdout).toMatch(/^HTTP\/2 200/);
    expect(stdout.toLowerCase()).not.toContain("x-hop");
    expect(stdout.toLowerCase()).not.toContain("connection:");
  });

  it("an HTTP/1.1 client reaches an h2c-only upstream (cluster protocol http2), and so does an h2 client", async () => {
    h2Seen = [];
    const r1 = await curlJson(["--http1.1", "-H", "connection: keep-alive, x-drop", "-H", "x-drop: 1", `${base}/h2/a`]);
    expect(r1.status).toBe(200);
    expect(JSON.parse(r1.body)).toMatchObject({ httpVersion: "2.0", path: "/h2/a" });
    expect(h2Seen[0]?.["x-drop"]).toBeUndefined();
    const r2 = await curlJson(["--http2-prior-knowledge", "-d", "payload", `${base}/h2/b`]);
    expect(r2.status).toBe(200);
    expect(r2.version).toBe("2");
    expect(JSON.parse(r2.body)).toMatchObject({ httpVersion: "2.0", path: "/h2/b" });
  });

  it("ignores curl's Upgrade: h2c and answers over HTTP/1.1", async () => {
    const r = await curlJson(["--http2", `${base}/echo`]);
    expect(r.status).toBe(200);
    expect(r.version).toBe("1.1");
  });
});
