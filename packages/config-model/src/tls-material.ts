import { createSecureContext } from "node:tls";
import type { TConfig } from "./config.ts";
import { formatPath, type TConfigIssue } from "./errors.ts";

/**
 * Node only (`@switchyard/config-model/tls`; the browser bundle never loads it): the PEM
 * material a config puts to use must load, the certificate with its key and the CA beside
 * them, as node:tls will load it when the proxy builds the version. The proxy runs this
 * before it builds anything; the console runs it on every write, so a key that does not
 * match its certificate is a 422 at the field that uses it, not a fleet-wide NACK.
 * Only secrets something uses are loaded (an unused secret costs nothing and breaks nothing).
 */
export function findUnusableTlsMaterial(config: TConfig): TConfigIssue[] {
  const secrets = new Map(config.secrets.map((s) => [s.name, s] as const));
  const issues: TConfigIssue[] = [];
  const load = (path: (string | number)[], certName: string | undefined, caName: string | undefined) => {
    const cert = certName === undefined ? undefined : secrets.get(certName);
    const ca = caName === undefined ? undefined : secrets.get(caName);
    // Wrong or missing types are the consistency check's to report.
    if ((cert && cert.type !== "tlsCertificate") || (ca && ca.type !== "caBundle") || (!cert && !ca)) return;
    try {
      createSecureContext({ ...(cert?.type === "tlsCertificate" ? { cert: cert.certificate, key: cert.privateKey } : {}), ...(ca ? { ca: ca.certificate } : {}) });
    } catch (err) {
      // The message names the PEM problem, never the key material.
      const names = [cert && `secret "${cert.name}"`, ca && `CA secret "${ca.name}"`].filter(Boolean).join(" with ");
      issues.push({ path: formatPath(path), message: `${names}: unusable certificate/key: ${(err as Error).message}` });
    }
  };
  config.listeners.forEach((l, i) => {
    const ca = l.tls?.clientValidation?.caSecret;
    l.tls?.certificates.forEach((name, j) => load(["listeners", i, "tls", "certificates", j], name, ca));
  });
  config.clusters.forEach((c, i) => {
    if (c.tls?.clientCertificate !== undefined) load(["clusters", i, "tls", "clientCertificate"], c.tls.clientCertificate, c.tls.caSecret);
    else if (c.tls?.caSecret !== undefined) load(["clusters", i, "tls", "caSecret"], undefined, c.tls.caSecret);
  });
  return issues;
}
