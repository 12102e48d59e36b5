import type { TSecret, TUpstreamTls } from "@switchyard/config-model";
import type { ConnectionOptions } from "node:tls";

/**
 * Client-side TLS options for a cluster's `tls` block: SNI (default: the endpoint
 * address, sent only when it is a host name, as TLS forbids IP literals in SNI), CA
 * validation against a caBundle secret (default: Node's bundled roots), and a client
 * certificate for mTLS to the upstream. Verification is always on (TLS 1.2+).
 */
export function upstreamTlsOptions(tls: TUpstreamTls, secrets: ReadonlyMap<string, TSecret>, address: string): ConnectionOptions {
  const out: ConnectionOptions = { rejectUnauthorized: true, minVersion: "TLSv1.2" };
  const sni = tls.sni ?? (isIpLiteral(address) ? undefined : address);
  if (sni !== undefined) out.servername = sni;
  else if (isIpLiteral(address)) {
    // No SNI to check against: verify the certificate names the IP (checkServerIdentity default does).
    out.servername = "";
  }
  if (tls.caSecret !== undefined) {
    const ca = secrets.get(tls.caSecret);
    if (ca && ca.type !== "wasmModule") out.ca = ca.certificate;
  }
  if (tls.clientCertificate !== undefined) {
    const cert = secrets.get(tls.clientCertificate);
    if (cert && cert.type === "tlsCertificate") {
      out.cert = cert.certificate;
      out.key = cert.privateKey;
    }
  }
  return out;
}

export function isIpLiteral(address: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(address) || address.includes(":");
}
