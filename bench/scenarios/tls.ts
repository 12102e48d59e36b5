import { readFile } from "node:fs/promises";
import { freePort, h2load, makeCert, startHaproxy, startNginxProxy, wrk } from "../lib.ts";
import { runRounds } from "../scenario.ts";
import { smallConfig, startSwitchyard } from "../switchyard.ts";
import type { TScenarioResult } from "./types.ts";

/**
 * TLS termination with the same throwaway ECDSA P-256 certificate everywhere, 100 B
 * bodies: HTTPS/1.1 keep-alive (wrk) or h2 over TLS (h2load, ALPN), -> HTTP/1.1 origin.
 */
export async function tlsScenario(originPort: number, mode: "https1" | "h2"): Promise<TScenarioResult> {
  const c = await makeCert();
  const [cert, key] = await Promise.all([readFile(c.cert, "utf8"), readFile(c.key, "utf8")]);
  const sy = await startSwitchyard((port) =>
    smallConfig(port, originPort, {
      listener: { protocol: "https", tls: { certificates: ["site"] } },
      secrets: [{ name: "site", type: "tlsCertificate", certificate: cert, privateKey: key }],
    }),
  );
  const nginxPort = await freePort();
  const nginx = await startNginxProxy(originPort, `127.0.0.1:${nginxPort} ssl http2`, `ssl_certificate ${c.cert}; ssl_certificate_key ${c.key}; ssl_protocols TLSv1.2 TLSv1.3;`);
  const haproxyPort = await freePort();
  const haproxy = await startHaproxy(originPort, `127.0.0.1:${haproxyPort} ssl crt ${c.combined} alpn h2,http/1.1`);
  await new Promise((r) => setTimeout(r, 700));
  const load = mode === "h2" ? h2load : wrk;
  const rows = await runRounds([
    { name: "switchyard", pid: sy.child.pid ?? null, children: [sy.child], load: (s) => load(`https://127.0.0.1:${sy.port}/small`, s) },
    { name: "nginx (1 worker)", pid: nginx.pid ?? null, children: [nginx], load: (s) => load(`https://127.0.0.1:${nginxPort}/small`, s) },
    { name: "HAProxy (1 thread)", pid: haproxy.pid ?? null, children: [haproxy], load: (s) => load(`https://127.0.0.1:${haproxyPort}/small`, s) },
  ]);
  return { rows, note: mode === "h2" ? "h2 over TLS (ALPN), h2load -c16 -m10 -t1, GET /small" : "HTTPS/1.1 keep-alive, wrk -t1, GET /small" };
}
