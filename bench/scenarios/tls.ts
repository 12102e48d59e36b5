import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, h2load, run, startNginx, startOrigin, startSwitchyard, waitReady, wrk, type TRow } from "../lib.ts";

/**
 * TLS termination: HTTPS/1.1 keep-alive (wrk) and h2 over TLS (h2load, ALPN) -> proxy ->
 * HTTP/1.1 origin, against nginx with the same throwaway ECDSA P-256 certificate.
 */
export async function tlsScenario(): Promise<TRow[]> {
  const origin = await startOrigin();
  const [proxyPort, adminPort, nginxPort] = await Promise.all([freePort(), freePort(), freePort()]);
  const dir = await mkdtemp(join(tmpdir(), "bench-tls-"));
  await run("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", join(dir, "k.pem"), "-out", join(dir, "c.pem"), "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"]);
  const [cert, key] = await Promise.all([readFile(join(dir, "c.pem"), "utf8"), readFile(join(dir, "k.pem"), "utf8")]);
  const file = join(dir, "switchyard.json");
  await writeFile(
    file,
    JSON.stringify({
      listeners: [{ name: "tls", address: "127.0.0.1", port: proxyPort, protocol: "https", routeConfig: "main", tls: { certificates: ["site"] } }],
      routeConfigs: [{ name: "main", virtualHosts: [{ name: "all", domains: ["*"], routes: [{ name: "all", match: { prefix: "/" }, route: { cluster: "origin" } }] }] }],
      clusters: [{ name: "origin", endpoints: [{ address: "127.0.0.1", port: origin.port }] }],
      secrets: [{ name: "site", type: "tlsCertificate", certificate: cert, privateKey: key }],
    }),
  );
  const proxy = startSwitchyard(file, adminPort);
  const nginx = await startNginx(
    origin.port,
    `server { listen 127.0.0.1:${nginxPort} ssl http2; ssl_certificate ${dir}/c.pem; ssl_certificate_key ${dir}/k.pem; ssl_protocols TLSv1.2 TLSv1.3;
      location / { proxy_pass http://origin; proxy_http_version 1.1; proxy_set_header Connection ""; } }`,
  );
  try {
    await waitReady(adminPort);
    return [
      { target: "switchyard https/1.1 (wrk)", ...(await wrk(`https://127.0.0.1:${proxyPort}/`)) },
      { target: "nginx", ...(await wrk(`https://127.0.0.1:${nginxPort}/`)) },
      { target: "switchyard h2 (h2load)", ...(await h2load(`https://127.0.0.1:${proxyPort}/`)) },
      { target: "nginx h2 (h2load)", ...(await h2load(`https://127.0.0.1:${nginxPort}/`)) },
    ];
  } finally {
    proxy.kill("SIGTERM");
    nginx.kill("SIGTERM");
    origin.close();
  }
}
