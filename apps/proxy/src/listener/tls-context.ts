import { X509Certificate } from "node:crypto";
import { createSecureContext, type SecureContext, type SecureContextOptions } from "node:tls";
import type { TListener, TSecret } from "@switchyard/config-model";
import { ConfigCompileError } from "../runtime/compile-error.ts";

/**
 * A listener's `tls` block compiled once per config version: one SecureContext per
 * certificate secret, indexed by the DNS names of its certificate (SAN, else CN) for
 * SNI. The first certificate is the default (no SNI, or no name matches). A new
 * version swaps the compiled object, so certificates rotate for NEW connections
 * without a restart while open ones keep theirs.
 */
export type TCompiledTls = {
  readonly minVersion: "TLSv1.2" | "TLSv1.3";
  /** Options of the default certificate, for server.setSecureContext(). Holds a private key: never log. */
  readonly defaultOptions: SecureContextOptions;
  readonly defaultContext: SecureContext;
  /** Exact lower-case host name -> context. */
  readonly exact: ReadonlyMap<string, SecureContext>;
  /** "*.example.com" certificates, keyed by ".example.com" (one label deep, RFC 6125). */
  readonly wildcard: ReadonlyMap<string, SecureContext>;
  /** Downstream mTLS: ask for a client certificate. */
  readonly requestCert: boolean;
  /** Downstream mTLS with `required: true`: refuse the handshake without a valid one. */
  readonly rejectUnauthorized: boolean;
  /** URI/DNS SANs accepted (exact); null = any certificate the CA signed. */
  readonly allowedSans: ReadonlySet<string> | null;
};

export function compileListenerTls(l: TListener, index: number, secrets: ReadonlyMap<string, TSecret>): TCompiledTls | null {
  const tls = l.tls;
  if (!tls) return null;
  const cv = tls.clientValidation;
  const caSecret = cv ? secrets.get(cv.caSecret) : undefined;
  const ca = caSecret && caSecret.type !== "wasmModule" ? caSecret.certificate : undefined;
  const exact = new Map<string, SecureContext>();
  const wildcard = new Map<string, SecureContext>();
  let defaultOptions: SecureContextOptions | null = null;
  let defaultContext: SecureContext | null = null;
  tls.certificates.forEach((name, j) => {
    const path = `listeners[${index}].tls.certificates[${j}]`;
    const secret = secrets.get(name);
    if (!secret || secret.type !== "tlsCertificate") throw new ConfigCompileError(path, `secret "${name}" is not a tlsCertificate`);
    const options: SecureContextOptions = { cert: secret.certificate, key: secret.privateKey, minVersion: tls.minVersion, ...(ca ? { ca } : {}) };
    let ctx: SecureContext;
    let names: string[];
    try {
      ctx = createSecureContext(options);
      names = certificateDnsNames(secret.certificate);
    } catch (err) {
      // The message names the PEM problem, never the key material.
      throw new ConfigCompileError(path, `secret "${name}": unusable certificate/key: ${(err as Error).message}`);
    }
    if (j === 0) {
      defaultOptions = options;
      defaultContext = ctx;
    }
    for (const n of names) {
      if (n.startsWith("*.")) {
        if (!wildcard.has(n.slice(1))) wildcard.set(n.slice(1), ctx);
      } else if (!exact.has(n)) exact.set(n, ctx);
    }
  });
  return Object.freeze({
    minVersion: tls.minVersion,
    defaultOptions: defaultOptions as unknown as SecureContextOptions,
    defaultContext: defaultContext as unknown as SecureContext,
    exact,
    wildcard,
    requestCert: cv !== undefined,
    rejectUnauthorized: cv?.required ?? false,
    allowedSans: cv && cv.allowedSans.length ? new Set(cv.allowedSans) : null,
  });
}

/** SNI -> context: exact name, then a one-label wildcard, then the default certificate. */
export function pickContext(tls: TCompiledTls, servername: string): SecureContext {
  const name = servername.toLowerCase();
  const hit = tls.exact.get(name);
  if (hit) return hit;
  const dot = name.indexOf(".");
  if (dot > 0) {
    const w = tls.wildcard.get(name.slice(dot));
    if (w) return w;
  }
  return tls.defaultContext;
}

function certificateDnsNames(pem: string): string[] {
  const x = new X509Certificate(pem);
  const san = x.subjectAltName;
  const names = san
    ? san
        .split(/,\s*/)
        .filter((e) => e.startsWith("DNS:"))
        .map((e) => e.slice(4).toLowerCase())
    : [];
  if (names.length) return names;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(x.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}
