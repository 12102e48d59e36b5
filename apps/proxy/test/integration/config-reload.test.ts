import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent, request } from "undici";
import { freePort } from "../helpers/free-port.ts";
import { createPki } from "../helpers/certs.ts";
import { PROXY_BIN, startProxy, type TProxyProcess } from "../helpers/start-proxy.ts";
import { startUpstream, type TUpstream } from "../helpers/start-upstream.ts";

/** Standalone mode: the config file is watched and re-applied; bad versions are refused without harm. */

let a: TUpstream;
let b: TUpstream;
let port: number;

beforeAll(async () => {
  [a, b] = await Promise.all([startUpstream("a"), startUpstream("b")]);
  port = await freePort();
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

type TOpts = { tag: string; cluster?: "a" | "b"; connectTimeoutMs?: number; extraListenerPort?: number; route?: Record<string, unknown> };

/**
 * The one combination this build still refuses (config-model servable.ts): an http2 cluster
 * with logicalDns discovery (the h2 pool resolves host names by itself).
 */
function withH2LogicalDns<T>(c: T): T {
  const copy = structuredClone(c) as { clusters: { discovery?: string; protocol?: string; endpoints: { address: string }[] }[] };
  const cluster = copy.clusters[0]!;
  cluster.discovery = "logicalDns";
  cluster.protocol = "http2";
  for (const e of cluster.endpoints) e.address = "localhost";
  return copy as T;
}

function config(o: TOpts) {
  const listeners: unknown[] = [{ name: "public", address: "127.0.0.1", port, routeConfig: "main" }];
  if (o.extraListenerPort) listeners.push({ name: "second", address: "127.0.0.1", port: o.extraListenerPort, routeConfig: "main" });
  return {
    listeners,
    routeConfigs: [
      {
        name: "main",
        virtualHosts: [
          {
            name: "all",
            domains: ["*"],
            routes: [
              {
                name: "all",
                match: { prefix: "/" },
                route: { cluster: o.cluster ?? "a", ...o.route },
                responseHeaders: { add: [{ name: "x-config", value: o.tag }], remove: [] },
              },
            ],
          },
        ],
      },
    ],
    clusters: [
      { name: "a", connectTimeoutMs: o.connectTimeoutMs ?? 5000, endpoints: [{ address: "127.0.0.1", port: a.port }] },
      { name: "b", endpoints: [{ address: "127.0.0.1", port: b.port }] },
    ],
  };
}

async function tagOf(url: string): Promise<string> {
  const res = await request(url);
  await res.body.dump();
  return res.headers["x-config"] as string;
}

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined as T);
    if (v !== undefined && ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms (last: ${String(v)})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("config file hot reload", () => {
  let proxy: TProxyProcess;
  beforeAll(async () => {
    proxy = await startProxy({ config: config({ tag: "v1" }) });
  });
  afterAll(async () => {
    await proxy?.stop();
  });

  it("applies valid versions without failing a single request under concurrent load", async () => {
    const url = `http://127.0.0.1:${port}/load`;
    const agent = new Agent({ connections: 8 });
    let stop = false;
    const failures: string[] = [];
    const tags = new Set<string>();
    let total = 0;
    const loop = async () => {
      while (!stop) {
        try {
          const res = await request(url, { dispatcher: agent, headers: { "x-upstream-delay-ms": "5" } });
          await res.body.dump();
          total++;
          tags.add(res.headers["x-config"] as string);
          if (res.statusCode !== 200) failures.push(`status ${res.statusCode} flags ${String(res.headers["x-switchyard-response-flags"])}`);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    };
    const loops = Array.from({ length: 6 }, loop);
    // v2: new header; v3: cluster "a" changes (new pools, old ones drain); v4: traffic moves to "b".
    const versions: TOpts[] = [
      { tag: "v2" },
      { tag: "v3", connectTimeoutMs: 2000 },
      { tag: "v4", cluster: "b" },
    ];
    for (const v of versions) {
      await new Promise((r) => setTimeout(r, 300));
      await proxy.writeConfig(config(v));
      await until(() => tagOf(url), (t) => t === v.tag);
    }
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(loops);
    await agent.close();
    expect(failures).toEqual([]);
    expect(total).toBeGreaterThan(100);
    expect([...tags].sort()).toEqual(["v1", "v2", "v3", "v4"]);
    const ready = (await (await proxy.admin("/ready")).json()) as { version: number };
    expect(ready.version).toBe(4);
    expect(b.seen.some((s) => s.url === "/load")).toBe(true);
  });

  it("ignores an invalid file, logging each issue with its path, and keeps serving", async () => {
    const before = await tagOf(`http://127.0.0.1:${port}/`);
    const bad = config({ tag: "bad" }) as { routeConfigs: { virtualHosts: { routes: { route: { cluster: string } }[] }[] }[] };
    bad.routeConfigs[0]!.virtualHosts[0]!.routes[0]!.route.cluster = "nope";
    await proxy.writeConfig(bad);
    const event = await proxy.waitForEvent((e) => e.event === "config_rejected" && JSON.stringify(e).includes("nope"));
    expect(event.issues).toEqual([
      expect.objectContaining({ path: "routeConfigs[0].virtualHosts[0].routes[0].route.cluster", message: 'unknown cluster "nope"' }),
    ]);
    expect(await tagOf(`http://127.0.0.1:${port}/`)).toBe(before);

    // A YAML syntax error is refused the same way, with its line.
    await proxy.writeConfig("listeners: [\n  - { name: x,\n");
    await proxy.waitForEvent((e) => e.event === "config_rejected" && e.error === "cannot parse config file");
    expect(await tagOf(`http://127.0.0.1:${port}/`)).toBe(before);

    // An empty file (an editor mid-save) would mean "no listeners": refused too.
    await proxy.writeConfig("");
    await proxy.waitForEvent((e) => e.event === "config_rejected" && JSON.stringify(e.issues).includes("is empty"));
    expect(await tagOf(`http://127.0.0.1:${port}/`)).toBe(before);
  });

  it("refuses a version using an unsupported field, naming its path", async () => {
    // http2 + logicalDns is still refused (grpc health checks and DNS discovery, the examples before, are served now).
    await proxy.writeConfig(withH2LogicalDns(config({ tag: "retry" })));
    const event = await proxy.waitForEvent((e) => e.event === "config_rejected" && JSON.stringify(e).includes("clusters[0].protocol"));
    expect(event.issues).toEqual([{ path: "clusters[0].protocol", message: "not supported yet by this proxy build" }]);
    expect(await tagOf(`http://127.0.0.1:${port}/`)).not.toBe("retry");
  });

  it("opens a listener added by a new version and closes it when a later version removes it", async () => {
    const second = await freePort();
    await proxy.writeConfig(config({ tag: "two-listeners", extraListenerPort: second }));
    expect(await until(() => tagOf(`http://127.0.0.1:${second}/`), (t) => t === "two-listeners")).toBe("two-listeners");
    await proxy.writeConfig(config({ tag: "one-listener" }));
    await until(() => tagOf(`http://127.0.0.1:${port}/`), (t) => t === "one-listener");
    await proxy.waitForEvent((e) => e.event === "listener_down" && e.listener === "second");
    await expect(request(`http://127.0.0.1:${second}/`)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    // The unchanged listener kept its socket: it came up exactly once.
    expect(proxy.events().filter((e) => e.event === "listener_up" && e.listener === "public")).toHaveLength(1);
  });

  it("refuses a whole version when one of its ports cannot be bound, changing nothing", async () => {
    const blocker: Server = createServer();
    const taken = await freePort();
    await new Promise<void>((r) => blocker.listen({ host: "127.0.0.1", port: taken }, r));
    try {
      await proxy.writeConfig(config({ tag: "blocked", extraListenerPort: taken }));
      const event = await proxy.waitForEvent((e) => e.event === "config_rejected" && JSON.stringify(e).includes("EADDRINUSE"));
      expect(event.issues).toEqual([expect.objectContaining({ path: "listeners[1].port" })]);
      expect(await tagOf(`http://127.0.0.1:${port}/`)).toBe("one-listener");
    } finally {
      blocker.close();
    }
  });
});

describe("bad config at start", () => {
  it("prints every issue with its path and exits non-zero", async () => {
    const bad = config({ tag: "x", route: { mirror: [{ cluster: "b" }] } }) as { clusters: { endpoints: { port: number }[] }[] };
    bad.clusters[1]!.endpoints[0]!.port = 70000;
    const proxy = await startProxy({ config: bad, waitReady: false });
    expect(await proxy.exited).not.toBe(0);
    expect(proxy.stderr()).toContain("clusters[1].endpoints[0].port");
    await proxy.stop();

    const unsupported = await startProxy({ config: withH2LogicalDns(config({ tag: "x" })), waitReady: false });
    expect(await unsupported.exited).not.toBe(0);
    expect(unsupported.stderr()).toMatch(/clusters\[0\]\.protocol \(line \d+\): not supported yet by this proxy build/);
    await unsupported.stop();
  });
});

describe("the PEM material in use is checked before anything is built (config-model/tls, the console's check too)", () => {
  it("switchyard-proxy --validate refuses a certificate served with another certificate's key, naming the listener field", async () => {
    const pki = await createPki();
    const dir = await mkdtemp(join(tmpdir(), "swy-tls-check-"));
    try {
      const [a, b] = await Promise.all([pki.issue("a", ["DNS:a.test"]), pki.issue("b", ["DNS:b.test"])]);
      const file = join(dir, "config.json");
      const config = (privateKey: string) => ({
        listeners: [{ name: "tls", address: "127.0.0.1", port: 8443, protocol: "https", routeConfig: "main", tls: { certificates: ["site"] } }],
        routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "ok", match: { prefix: "/" }, directResponse: { status: 200 } }] }] }],
        secrets: [{ name: "site", type: "tlsCertificate", certificate: a.cert, privateKey }],
      });
      await writeFile(file, JSON.stringify(config(b.key)));
      const refused = await runValidate(file);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/listeners\[0\]\.tls\.certificates\[0\].*secret "site": unusable certificate\/key/);
      await writeFile(file, JSON.stringify(config(a.key)));
      expect((await runValidate(file)).code).toBe(0);
    } finally {
      await pki.cleanup();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function runValidate(file: string): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [PROXY_BIN, "--validate", "--config", file], { encoding: "utf8" }, (err, _stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stderr }));
  });
}
