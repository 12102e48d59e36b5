import { X509Certificate } from "node:crypto";
import { isTlsSecret, type TTlsSecret } from "@switchyard/config-model";
import { getWorkingConfig, type Db } from "@switchyard/db";

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
export function certificateInfo(secret: TTlsSecret, now = Date.now()): TCertificateInfo | { error: string } {
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

/** Certificates expiring within this many days are flagged. */
export const EXPIRY_WARNING_DAYS = 30;

/**
 * One secret as the REST API (GET /api/v1/secrets) and the certificates list show it:
 * never the private key (write-only), only whether one is set, the certificate's
 * subject, SANs, SHA-256 fingerprint and validity, and the expiry flags.
 */
export type TCertificateSummary = {
  name: string;
  type: "tlsCertificate" | "caBundle";
  hasPrivateKey: boolean;
  subject: string | null;
  issuer: string | null;
  sans: string[];
  fingerprintSha256: string | null;
  notBefore: string | null;
  notAfter: string | null;
  daysLeft: number | null;
  expiresSoon: boolean;
  expired: boolean;
  error: string | null;
};

export function describeCertificate(secret: TTlsSecret, nowMs = Date.now()): TCertificateSummary {
  const info = certificateInfo(secret, nowMs);
  const base = { name: secret.name, type: secret.type, hasPrivateKey: secret.type === "tlsCertificate" };
  if ("error" in info) {
    return { ...base, subject: null, issuer: null, sans: [], fingerprintSha256: null, notBefore: null, notAfter: null, daysLeft: null, expiresSoon: false, expired: false, error: info.error };
  }
  return {
    ...base,
    subject: info.subject,
    issuer: info.issuer,
    sans: info.sans,
    fingerprintSha256: info.fingerprint256,
    notBefore: info.validFrom,
    notAfter: info.validTo,
    daysLeft: info.daysLeft,
    expiresSoon: info.daysLeft < EXPIRY_WARNING_DAYS,
    expired: new Date(info.validTo).getTime() <= nowMs,
    error: null,
  };
}

/** Every TLS secret of the working config, described (private keys never leave the server). */
export async function listCertificates(db: Db): Promise<TCertificateSummary[]> {
  const { config } = await getWorkingConfig(db);
  return config.secrets.filter(isTlsSecret).map((s) => describeCertificate(s));
}
