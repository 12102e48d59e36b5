import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, h2load, startNginx, startOrigin, startSwitchyard, waitReady, type TRow } from "../lib.ts";

/** h2c prior knowledge (h2load, 16 connections x 10 streams) -> proxy -> HTTP/1.1 origin; nginx `listen ... http2`. */
export async function h2cScenario(): Promise<TRow[]> {
  const origin = await startOrigin();
  const [proxyPort, adminPort, nginxPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const dir = await mkdtemp(join(tmpdir(), "bench-h2c-"));
  const file = join(dir, "switchyard.json");
  await writeFile(
    file,
    JSON.stringify({
      listeners: [{ name: "h2c", address: "127.0.0.1", port: proxyPort, routeConfig: "main" }],
      routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "all", match: { prefix: "/" }, route: { cluster: "origin" } }] }] }],
      clusters: [{ name: "origin", endpoints: [{ address: "127.0.0.1", port: origin.port }] }],
    }),
  );
  const proxy = startSwitchyard(file, adminPort);
  const nginx = await startNginx(origin.port, `server { listen 127.0.0.1:${nginxPort} http2; location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; } }`);
  try {
    await waitReady(adminPort);
    return [
      { target: "switchyard", ...(await h2load(`http://127.0.0.1:${proxyPort}/`)) },
      { target: "nginx", ...(await h2load(`http://127.0.0.1:${nginxPort}/`)) },
    ];
  } finally {
    proxy.kill("SIGTERM");
    nginx.kill("SIGTERM");
    origin.close();
  }
}
