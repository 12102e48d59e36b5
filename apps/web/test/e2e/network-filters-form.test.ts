/**
 * A tcp listener with an SNI router made in the listener form (issue #14 item 4), in a real
 * browser against the real console, published to a real proxy node: TLS clients with two
 * server names reach two TLS upstreams through it, each verifying its upstream's own
 * self-signed certificate (so the proxy passed TLS through). A route without a cluster is
 * flagged at its row before saving.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect, createServer as createTlsServer, type Server } from "node:tls";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, artifactsDir, eventually, freePort, logIn, openBrowser, seedConfig, startConsole, startManagedProxy, type TConsoleHandle, type TManagedProxy, gotoHydrated } from "./fixtures.ts";

const ARTIFACTS = artifactsDir();

let app: TConsoleHandle;
let proxy: TManagedProxy;
let browser: Browser;
let page: Page;
let dir: string;
let listenerPort: number;
const upstreams: Server[] = [];
const certs: Record<string, string> = {};

/** A self-signed certificate for one name, and a TLS server with it that greets with the name. */
async function tlsUpstream(name: string): Promise<number> {
  const key = join(dir, `${name}.key`);
  const cert = join(dir, `${name}.crt`);
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", `/CN=${name}`, "-addext", `subjectAltName=DNS:${name}`], { stdio: "ignore" });
  certs[name] = readFileSync(cert, "utf8");
  const server = createTlsServer({ key: readFileSync(key), cert: certs[name] }, (s) => {
    s.end(`hello from ${name}\n`);
    s.on("error", () => undefined);
  });
  server.on("tlsClientError", () => undefined);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  upstreams.push(server);
  return (server.address() as AddressInfo).port;
}

/** The greeting of a TLS connection through the proxy that trusts only `name`'s certificate. */
function greeting(name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = tlsConnect({ host: "127.0.0.1", port: listenerPort, servername: name, ca: certs[name] });
    let text = "";
    c.setEncoding("utf8");
    c.on("data", (d: string) => (text += d));
    c.on("end", () => resolve(text.trim()));
    c.on("error", reject);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "swy-sni-form-"));
  const [pa, pb] = [await tlsUpstream("a.example.test"), await tlsUpstream("b.example.test")];
  listenerPort = await freePort();
  app = await startConsole();
  await seedConfig(app, {
    clusters: [
      { name: "tls-a", endpoints: [{ address: "127.0.0.1", port: pa }] },
      { name: "tls-b", endpoints: [{ address: "127.0.0.1", port: pb }] },
    ],
  });
  proxy = await startManagedProxy(app, "sni-1");
  ({ browser, page } = await openBrowser());
  await logIn(page, app);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.stop();
  await app?.stop();
  await Promise.all(upstreams.map((s) => new Promise((r) => s.close(r))));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("network filters in the listener form", () => {
  it("creates a tcp listener with an SNI router, publishes it, and the node passes TLS through by server name", async () => {
    await gotoHydrated(page, `${app.url}/listeners/new`);
    await page.getByLabel("Name", { exact: true }).fill("passthrough");
    await page.getByLabel("Address").fill("127.0.0.1");
    await page.getByLabel("Port", { exact: true }).fill(String(listenerPort));
    await page.getByLabel("Protocol", { exact: true }).selectOption("tcp");
    await page.getByRole("button", { name: "Add SNI router (TLS passthrough) filter" }).click();
    await expect(page.getByLabel("Hello timeout (ms)").getAttribute("placeholder")).resolves.toBe("15000");
    await page.getByLabel("SNI route 1 server names").fill("a.example.test");
    await page.getByLabel("SNI route 1 cluster").selectOption("tls-a");
    await page.getByRole("button", { name: "Add SNI route", exact: true }).click();
    await page.getByLabel("SNI route 2 server names").fill("b.example.test, *.b.example.test");
    // Route 2 has no cluster yet: refused in the browser, at its row.
    await page.getByRole("button", { name: "Create listener" }).click();
    await expect.poll(() => page.locator('[data-row="nf-0-routes-1"]').getAttribute("class"), { timeout: 15_000 }).toContain("row-invalid");
    expect(page.url()).toMatch(/\/listeners\/new$/);
    await page.screenshot({ path: join(ARTIFACTS, "listener-sni-router-error.png"), fullPage: true });
    await page.getByLabel("SNI route 2 cluster").selectOption("tls-b");
    await page.getByRole("button", { name: "Create listener" }).click();
    await page.waitForURL(/\/listeners$/);
    await page.getByTestId("toast").getByText('Created listener "passthrough"').waitFor();

    const stored = await api(app, "/config");
    expect((stored.body as { listeners: unknown[] }).listeners).toContainEqual(
      expect.objectContaining({
        name: "passthrough",
        protocol: "tcp",
        tcp: { idleTimeoutMs: 3_600_000 },
        networkFilters: [
          {
            type: "sniRouter",
            routes: [
              { serverNames: ["a.example.test"], cluster: "tls-a" },
              { serverNames: ["b.example.test", "*.b.example.test"], cluster: "tls-b" },
            ],
            helloTimeoutMs: 15_000,
            maxHelloBytes: 65_536,
          },
        ],
      }),
    );
    expect((await api(app, "/versions", { method: "POST", json: { message: "sni passthrough" } })).status).toBe(201);
    await eventually(
      "the node to serve the passthrough listener",
      async () => ((await greeting("a.example.test").catch(() => "")) === "hello from a.example.test" ? true : undefined),
      60_000,
      () => proxy.log.slice(-20).join("\n"),
    );
    expect(await greeting("b.example.test")).toBe("hello from b.example.test");

    // The edit page shows what was stored.
    await page.goto(`${app.url}/listeners/passthrough`);
    await expect(page.getByLabel("SNI route 2 server names").inputValue()).resolves.toBe("b.example.test, *.b.example.test");
    await expect(page.getByLabel("SNI route 2 cluster").inputValue()).resolves.toBe("tls-b");
    await page.screenshot({ path: join(ARTIFACTS, "listener-sni-router.png"), fullPage: true });
  }, 300_000);
});
