/**
 * Request header fields the proxy owns: a client's own copy never reaches the upstream
 * (issue #20). Upstreams read these as facts the proxy vouches for (the client's address,
 * the host it asked for, credentials meant for this proxy, the proxy's own x-switchyard-*
 * signals), so a client could otherwise forge them. The proxy writes x-forwarded-for,
 * x-forwarded-proto, x-request-id and x-forwarded-client-cert itself (REQUEST_OWNED in
 * exchange.ts); every other field passes unchanged. docs/config-reference.md lists both.
 */
const PROXY_OWNED = new Set(["x-real-ip", "forwarded", "x-forwarded-host", "x-forwarded-port", "x-forwarded-prefix", "proxy-authorization"]);
const OWN_PREFIX = "x-switchyard-";

/** `name` lower-case. True: drop the client's field (a filter's requestHeaders.add still sets one). */
export function isProxyOwnedRequestHeader(name: string): boolean {
  return PROXY_OWNED.has(name) || name.startsWith(OWN_PREFIX);
}
