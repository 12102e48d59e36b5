import { isIP } from "node:net";
import type { TDownstreamRequest } from "./http-listener.ts";

/**
 * The real client address of a request, decided once at the request entry and read by
 * everything that asks "who is this" (RBAC sourceIp, hashPolicy sourceIp, remoteAddress
 * rate-limit keys, the access log, spans):
 *   - the peer address of the connection (with `proxyProtocol`, the source address its
 *     PROXY header declared: proxy-protocol.ts sets it on the socket);
 *   - with `trustedHops: N > 0`, the N-th `x-forwarded-for` entry from the right: the
 *     last N entries were appended by proxies we trust, so that one is the address the
 *     outermost trusted proxy saw. Fewer entries, or one that is not an IP address, and
 *     the peer address stands (Envoy's xff_num_trusted_hops falls back the same way).
 * With the default 0 nothing a client writes changes its address: a spoofed
 * x-forwarded-for never satisfies a sourceIp principal.
 */

/** Where the resolved address is kept on the request (H1Request declares it; an h2 request gets it as a property). */
export const CLIENT_ADDRESS: unique symbol = Symbol("switchyard.clientAddress");
type TAddressed = TDownstreamRequest & { [CLIENT_ADDRESS]?: string };

export function resolveClientAddress(req: TDownstreamRequest, trustedHops: number): string {
  const peer = req.socket?.remoteAddress ?? "";
  const address = trustedHops > 0 ? (forwardedFor(req.headers["x-forwarded-for"], trustedHops) ?? peer) : peer;
  (req as TAddressed)[CLIENT_ADDRESS] = address;
  return address;
}

/** The address resolved at the entry; the peer address for a request that did not pass it. */
export function clientAddressOf(req: TDownstreamRequest): string {
  return (req as TAddressed)[CLIENT_ADDRESS] ?? req.socket?.remoteAddress ?? "";
}

/** The N-th entry from the right of every x-forwarded-for field (comma-joined), if it is an IP address. */
export function forwardedFor(header: string | string[] | undefined, n: number): string | null {
  if (header === undefined) return null;
  const entries = (typeof header === "string" ? header : header.join(",")).split(",");
  if (entries.length < n) return null;
  const entry = (entries[entries.length - n] as string).trim();
  return isIP(entry) !== 0 ? entry : null;
}
