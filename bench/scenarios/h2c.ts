import { freePort, h2load, startHaproxy, startNginxProxy, waitHttp } from "../lib.ts";
import { runRounds } from "../scenario.ts";
import { smallConfig, startSwitchyard } from "../switchyard.ts";
import type { TScenarioResult } from "./types.ts";

/** h2c prior knowledge (h2load: 16 connections x 10 streams) -> proxy -> HTTP/1.1 origin, 100 B bodies. The Node peers speak no h2c. */
export async function h2cScenario(originPort: number): Promise<TScenarioResult> {
  const sy = await startSwitchyard((port) => smallConfig(port, originPort));
  const nginxPort = await freePort();
  const nginx = await startNginxProxy(originPort, `127.0.0.1:${nginxPort} http2`);
  const haproxyPort = await freePort();
  const haproxy = await startHaproxy(originPort, `127.0.0.1:${haproxyPort} proto h2`);
  await waitHttp(`http://127.0.0.1:${haproxyPort}/small`).catch(() => undefined); // h2-only: fetch cannot speak it, any answer or refusal is fine
  await new Promise((r) => setTimeout(r, 500));
  const rows = await runRounds([
    { name: "switchyard", pid: sy.child.pid ?? null, children: [sy.child], load: (s) => h2load(`http://127.0.0.1:${sy.port}/small`, s) },
    { name: "nginx (1 worker)", pid: nginx.pid ?? null, children: [nginx], load: (s) => h2load(`http://127.0.0.1:${nginxPort}/small`, s) },
    { name: "HAProxy (1 thread)", pid: haproxy.pid ?? null, children: [haproxy], load: (s) => h2load(`http://127.0.0.1:${haproxyPort}/small`, s) },
  ]);
  return { rows, note: "h2load -c16 -m10 -t1, h2c prior knowledge, GET /small; p50/p99 from h2load's per-request log" };
}
