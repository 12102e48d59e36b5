import { readFile } from "node:fs/promises";
import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../helpers/free-port.ts";
import { startProxy, type TProxyProcess } from "../helpers/start-proxy.ts";
import { answer, ep, proxyConfig, sleep, startScripted, waitFor, type TClustersBody, type TScripted } from "../helpers/traffic.ts";

/** Back pressure with a huge body through a slow reader (RSS watched), and 50 live reconfigurations under load. */

const MiB = 1024 * 1024;

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : 0;
}

describe("back pressure", () => {
  let up: TScripted;
  let proxy: TProxyProcess;
  let port: number;

  beforeAll(async () => {
    up = await startScripted((req, res) => {
      if (req.url?.startsWith("/download")) {
        const total = Number(new URL(req.url, "http://x").searchParams.get("bytes"));
        const chunk = Buffer.alloc(256 * 1024, "x");
        res.writeHead(200, { "content-length": total });
        let left = total;
        const pump = () => {
          while (left > 0) {
            const n = Math.min(left, chunk.length);
            left -= n;
            if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once("drain", pump);
          }
          res.end();
        };
        return pump();
      }
      // Upload: read slowly (pause 1 s at the start), count bytes.
      let bytes = 0;
      req.pause();
      setTimeout(() => {
        req.on("data", (c: Buffer) => (bytes += c.length));
        req.on("end", () => answer(res, 200, "up", { bytes }));
        req.resume();
      }, 1_500);
    });
    port = await freePort();
    proxy = await startProxy({ config: proxyConfig(port, [{ name: "all", match: { prefix: "/" }, route: { cluster: "up", timeoutMs: 0 } }], [{ name: "up", endpoints: [ep(up.port)] }]) });
  });

  afterAll(async () => {
    await proxy?.stop();
    await up?.close();
  });

  // What back pressure bounds is what the proxy holds while the slow side is stalled:
  // without it, a 512 MiB answer would pile up in the proxy during the stall. Once bytes
  // flow again, RSS also carries garbage not yet collected (more of it on a loaded
  // machine), which is not buffering: that phase only gets a sanity bound, far below
  // what an unbounded buffer would hold.
  const STALLED_MAX_MIB = 48;
  const FLOWING_MAX_MIB = 192;

  it("a 512 MiB download through a client that stops reading keeps the proxy's RSS bounded", async () => {
    const pid = proxy.child.pid as number;
    const baseline = await rssMiB(pid);
    const total = 512 * MiB;
    let received = 0;
    let stalledPeak = baseline;
    let flowingPeak = baseline;
    let flowing = false;
    const watch = setInterval(
      () =>
        void rssMiB(pid).then((r) => {
          if (flowing) flowingPeak = Math.max(flowingPeak, r);
          else stalledPeak = Math.max(stalledPeak, r);
        }),
      100,
    );
    try {
      await new Promise<void>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path: `/download?bytes=${total}` }, (res) => {
          res.pause();
          // Deliberately slow: nothing read for 2 s, while the upstream could send 512 MiB.
          setTimeout(() => {
            flowing = true;
            res.on("data", (c: Buffer) => (received += c.length));
            res.on("end", () => resolve());
            res.resume();
          }, 2_000);
        });
        req.on("error", reject);
        req.end();
      });
    } finally {
      clearInterval(watch);
    }
    expect(received).toBe(total);
    console.info(
      `[back pressure] download 512 MiB: proxy RSS baseline ${baseline.toFixed(0)} MiB, peak +${(stalledPeak - baseline).toFixed(1)} MiB while the client stalled, +${(flowingPeak - baseline).toFixed(1)} MiB while it read`,
    );
    expect(stalledPeak - baseline).toBeLessThan(STALLED_MAX_MIB);
    expect(flowingPeak - baseline).toBeLessThan(FLOWING_MAX_MIB);
  }, 60_000);

  it("a 256 MiB upload to an upstream that reads late keeps the proxy's RSS bounded", async () => {
    const pid = proxy.child.pid as number;
    const baseline = await rssMiB(pid);
    const total = 256 * MiB;
    let stalledPeak = baseline;
    let flowingPeak = baseline;
    // The upstream reads nothing for its first 1.5 s; the first second is surely stalled.
    const started = Date.now();
    const watch = setInterval(
      () =>
        void rssMiB(pid).then((r) => {
          if (Date.now() - started < 1_000) stalledPeak = Math.max(stalledPeak, r);
          else flowingPeak = Math.max(flowingPeak, r);
        }),
      100,
    );
    let body: string;
    try {
      body = await new Promise<string>((resolve, reject) => {
        const req = request({ host: "127.0.0.1", port, path: "/upload", method: "POST", headers: { "content-length": total } }, (res) => {
          let text = "";
          res.setEncoding("utf8").on("data", (d: string) => (text += d));
          res.on("end", () => resolve(text));
        });
        req.on("error", reject);
        const chunk = Buffer.alloc(256 * 1024, "y");
        let left = total;
        const pump = () => {
          while (left > 0) {
            left -= chunk.length;
            if (!req.write(chunk)) return void req.once("drain", pump);
          }
          req.end();
        };
        pump();
      });
    } finally {
      clearInterval(watch);
    }
    expect((JSON.parse(body) as { bytes: number }).bytes).toBe(total);
    console.info(
      `[back pressure] upload 256 MiB: proxy RSS baseline ${baseline.toFixed(0)} MiB, peak +${(stalledPeak - baseline).toFixed(1)} MiB while the upstream stalled, +${(flowingPeak - baseline).toFixed(1)} MiB while it read`,
    );
    expect(stalledPeak - baseline).toBeLessThan(STALLED_MAX_MIB);
    expect(flowingPeak - baseline).toBeLessThan(FLOWING_MAX_MIB);
  }, 60_000);
});

describe("live reconfiguration under load", () => {
  let stable: TScripted;
  let other: TScripted;
  let proxy: TProxyProcess;
  let port: number;

  beforeAll(async () => {
    stable = await startScripted((req, res) => {
      req.resume();
      answer(res, 200, "stable");
    });
    other = await startScripted((req, res) => {
      req.resume();
      answer(res, 200, "other");
    });
    port = await freePort();
  });

  afterAll(async () => {
    await proxy?.stop();
    await Promise.all([stable?.close(), other?.close()]);
  });

  /** Version i: the stable route/cluster always; extra routes and clusters that come and go and change. */
  function version(i: number) {
    const routes: unknown[] = [];
    const clusters: unknown[] = [
      {
        name: "stable",
        endpoints: [ep(stable.port)],
        healthCheck: { type: "http", path: "/h", intervalMs: 200, timeoutMs: 100 },
        outlierDetection: { consecutive5xx: 5 },
      },
    ];
    for (let k = 0; k < (i % 5) + 1; k++) {
      routes.push({ name: `extra-${k}`, match: { prefix: `/extra-${k}/` }, route: { cluster: `c${k}`, timeoutMs: 1_000 + i } });
      clusters.push({ name: `c${k}`, endpoints: [ep(other.port, (i % 3) + 1)], lbPolicy: i % 2 ? "random" : "roundRobin" });
    }
    routes.push({ name: "stable", match: { prefix: "/" }, route: { cluster: "stable", retryPolicy: i % 2 ? { retryOn: ["reset"] } : undefined } });
    return proxyConfig(port, routes, clusters);
  }

  it("applies 50 versions while traffic flows: no request to the stable route fails; the unchanged cluster keeps its runtime and health", async () => {
    proxy = await startProxy({ config: version(0) });
    const clusterOf = async () => ((await (await proxy.admin("/clusters")).json()) as TClustersBody).clusters.find((c) => c.name === "stable")!;
    const first = await waitFor(async () => {
      const c = await clusterOf();
      return c.endpoints[0]!.health === "healthy" ? c : null;
    }, 10_000, "stable healthy");

    let running = true;
    const failures: string[] = [];
    let ok = 0;
    // 4 concurrent clients in a loop on keep-alive connections.
    const clients = [0, 1, 2, 3].map(async () => {
      while (running) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/stable`);
          const body = (await res.json()) as { upstream: string };
          if (res.status !== 200 || body.upstream !== "stable") failures.push(`${res.status} ${JSON.stringify(body)}`);
          else ok++;
        } catch (err) {
          failures.push(String(err));
        }
      }
    });

    for (let i = 1; i <= 50; i++) {
      await proxy.writeConfig(version(i));
      await proxy.waitForEvent((e) => e.event === "config_applied" && e.version === i + 1, 10_000);
      // The extra routes of this version work too.
      const r = await fetch(`http://127.0.0.1:${port}/extra-0/x`);
      expect(r.status).toBe(200);
      await r.text();
    }
    await sleep(200);
    running = false;
    await Promise.all(clients);
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(100);
    const last = await clusterOf();
    expect(last.runtimeId).toBe(first.runtimeId);
    expect(last.endpoints[0]!.health).toBe("healthy");
    expect(proxy.events().filter((e) => e.event === "config_rejected")).toEqual([]);
  }, 120_000);
});
