import { BENCH_PROXY_CPU } from "../env.ts";
import { freePort, startHaproxy, startNginxProxy, startNodePeer, waitHttp, wrk } from "../lib.ts";
import { runRounds, type TTarget } from "../scenario.ts";
import { smallConfig, startSwitchyard } from "../switchyard.ts";
import type { TScenarioResult } from "./types.ts";

/**
 * HTTP/1.1 keep-alive (wrk, BENCH_CONNECTIONS connections) through every peer to the
 * origin, `path` choosing the body: /small (100 B) or /large (16 KiB). Rows: the origin
 * direct (no proxy), switchyard (features on), the bare node:http + undici reference,
 * @fastify/http-proxy, http-proxy, nginx (1 worker), HAProxy (1 thread).
 */
export async function http1Scenario(originPort: number, path: "/small" | "/large"): Promise<TScenarioResult> {
  const targets: TTarget[] = [{ name: "direct (no proxy)", pid: null, children: [], load: (s) => wrk(`http://127.0.0.1:${originPort}${path}`, s) }];
  const sy = await startSwitchyard((port) => smallConfig(port, originPort));
  targets.push({ name: "switchyard", pid: sy.child.pid ?? null, children: [sy.child], load: (s) => wrk(`http://127.0.0.1:${sy.port}${path}`, s) });
  for (const [name, script] of [["bare node:http + undici", "bare-proxy.ts"], ["@fastify/http-proxy", "fastify-proxy.ts"], ["http-proxy", "http-proxy.ts"]] as const) {
    const port = await freePort();
    const child = startNodePeer(script, port, originPort);
    await waitHttp(`http://127.0.0.1:${port}/small`);
    targets.push({ name, pid: child.pid ?? null, children: [child], load: (s) => wrk(`http://127.0.0.1:${port}${path}`, s) });
  }
  const nginxPort = await freePort();
  const nginx = await startNginxProxy(originPort, `127.0.0.1:${nginxPort}`);
  const haproxyPort = await freePort();
  const haproxy = await startHaproxy(originPort, `127.0.0.1:${haproxyPort}`);
  await Promise.all([waitHttp(`http://127.0.0.1:${nginxPort}/small`), waitHttp(`http://127.0.0.1:${haproxyPort}/small`)]);
  targets.push({ name: "nginx (1 worker)", pid: nginx.pid ?? null, children: [nginx], load: (s) => wrk(`http://127.0.0.1:${nginxPort}${path}`, s) });
  targets.push({ name: "HAProxy (1 thread)", pid: haproxy.pid ?? null, children: [haproxy], load: (s) => wrk(`http://127.0.0.1:${haproxyPort}${path}`, s) });
  const rows = await runRounds(targets);
  return { rows, note: `wrk -t1 on CPU(s) other than the proxies' (${BENCH_PROXY_CPU}), GET ${path}` };
}
