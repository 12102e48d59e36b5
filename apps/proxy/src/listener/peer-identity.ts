import type { TLSSocket } from "node:tls";

/**
 * The verified client certificate of a downstream mTLS connection, computed once per
 * connection (WeakMap on the socket) and shared by every request on it: RBAC matches
 * its SANs, and the router sends `xfcc` upstream as `x-forwarded-client-cert`.
 */
export type TPeerIdentity = {
  readonly uris: readonly string[];
  readonly dns: readonly string[];
  readonly subject: string;
  /** SHA-256 of the DER certificate, lower-case hex (Envoy's XFCC Hash). */
  readonly hash: string;
  /** Envoy XFCC element: Hash=...;Subject="...";URI=...;DNS=... */
  readonly xfcc: string;
};

const cache = new WeakMap<TLSSocket, TPeerIdentity | null>();

/** Identity of an authorized peer certificate, else null (no cert, or not verified). */
export function peerIdentity(socket: TLSSocket): TPeerIdentity | null {
  let id = cache.get(socket);
  if (id !== undefined) return id;
  id = null;
  if (socket.authorized) {
    const cert = socket.getPeerCertificate();
    if (cert && cert.raw) {
      const entries = (cert.subjectaltname ?? "").split(/,\s*/).filter(Boolean);
      const uris = entries.filter((e) => e.startsWith("URI:")).map((e) => e.slice(4));
      const dns = entries.filter((e) => e.startsWith("DNS:")).map((e) => e.slice(4));
      const subject = formatSubject(cert.subject as unknown as Record<string, string | string[]> | undefined);
      const hash = (cert.fingerprint256 ?? "").replaceAll(":", "").toLowerCase();
      let xfcc = `Hash=${hash};Subject="${subject.replaceAll('"', '\\"')}"`;
      for (const u of uris) xfcc += `;URI=${u}`;
      for (const d of dns) xfcc += `;DNS=${d}`;
      id = Object.freeze({ uris, dns, subject, hash, xfcc });
    }
  }
  cache.set(socket, id);
  return id;
}

/** RFC 2253-style, most specific first, as Envoy prints it (CN=...,OU=...,O=...). */
function formatSubject(subject: Record<string, string | string[]> | undefined): string {
  if (!subject) return "";
  const order = ["CN", "OU", "O", "L", "ST", "C"];
  const parts: string[] = [];
  for (const k of order) {
    const v = subject[k];
    if (v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) parts.push(`${k}=${x.replace(/([,+"\\<>;])/g, "\\$1")}`);
  }
  return parts.join(",");
}

/** True when the peer's URI or DNS SANs include one of `allowed`. */
export function sanAllowed(id: TPeerIdentity, allowed: ReadonlySet<string>): boolean {
  for (const u of id.uris) if (allowed.has(u)) return true;
  for (const d of id.dns) if (allowed.has(d)) return true;
  return false;
}
