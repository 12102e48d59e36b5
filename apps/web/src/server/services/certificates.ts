import { X509Certificate } from "node:crypto";
import type { TSecret } from "@switchyard/config-model";

export type TCertificateInfo = {
  subject: string;
  issuer: string;
  sans: string[];
  fingerprint256: string;
  validFrom: string;
  validTo: string;
  /** Whole days until expiry (negative once expired). */
  daysLeft: number;
};

/**
 * What the console shows about a secret's certificate, read on the server with
 * node:crypto. Only the certificate is parsed; the private key never leaves the server.
 * A bundle reports its first certificate; unreadable PEM gives an error string.
 */
export function certificateInfo(secret: TSecret, now = Date.now()): TCertificateInfo | { error: string } {
  try {
    const first = secret.certificate.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)?.[0] ?? secret.certificate;
    const cert = new X509Certificate(first);
    const validTo = new Date(cert.validTo);
    return {
      subject: cert.subject.replaceAll("\n", ", "),
      issuer: cert.issuer.replaceAll("\n", ", "),
      sans: (cert.subjectAltName ?? "").split(", ").filter(Boolean),
      fingerprint256: cert.fingerprint256,
      validFrom: new Date(cert.validFrom).toISOString(),
      validTo: validTo.toISOString(),
      daysLeft: Math.floor((validTo.getTime() - now) / 86_400_000),
    };
  } catch (err) {
    return { error: `the certificate cannot be read: ${(err as Error).message}` };
  }
}
