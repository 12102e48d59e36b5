import { isIPv4, isIPv6, type Server, type Socket } from "node:net";
import type { TLSSocket } from "node:tls";

/**
 * The PROXY protocol (HAProxy's spec, versions 1 and 2) on a listener with
 * `proxyProtocol: true`: a balancer in front writes one header before the connection's
 * own bytes, naming the client's address. We read it before any protocol server (HTTP/1.1,
 * h2c sniffing, TLS) sees the socket, then give the socket the declared source address as
 * its `remoteAddress` / `remotePort`, so everything downstream (client-address.ts,
 * x-forwarded-for, logs) sees the client, not the balancer.
 *   - v1: `PROXY TCP4|TCP6 src dst sport dport\r\n` (at most 107 bytes); `PROXY UNKNOWN ...`
 *     keeps the socket's own address;
 *   - v2: a 12-byte signature, version/command, family, length, addresses, TLVs (ignored);
 *     LOCAL (health checks of the balancer itself) and non-IP families keep the socket's.
 * A connection that does not start with a valid header within the listener's
 * headersTimeoutMs is closed (Envoy's proxy_protocol listener filter does the same): a
 * listener that expects the header must never take a client's own first bytes for one.
 */

export type TProxyHeader =
  | { readonly kind: "proxy"; readonly sourceAddress: string; readonly sourcePort: number; readonly family: "IPv4" | "IPv6" }
  /** LOCAL command, UNKNOWN / unspecified family: the connection's own addresses stand. */
  | { readonly kind: "local" };

export type TParsed = { readonly header: TProxyHeader; readonly length: number } | "incomplete" | { readonly error: string };

const V1_PREFIX = Buffer.from("PROXY ");
const V1_MAX = 107;
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** v2 headers are 16 bytes plus addresses and TLVs; more than this is not a balancer. */
const V2_MAX = 4096;

export function parseProxyHeader(buf: Buffer): TParsed {
  if (startsLike(buf, V2_SIGNATURE)) return buf.length < 16 ? "incomplete" : parseV2(buf);
  if (startsLike(buf, V1_PREFIX)) return parseV1(buf);
  return { error: "the connection did not start with a PROXY protocol header" };
}

/** True when buf and prefix agree on their common length (buf may still be short). */
function startsLike(buf: Buffer, prefix: Buffer): boolean {
  const n = Math.min(buf.length, prefix.length);
  return buf.subarray(0, n).equals(prefix.subarray(0, n));
}

function parseV1(buf: Buffer): TParsed {
  const end = buf.indexOf("\r\n");
  if (end === -1) return buf.length >= V1_MAX ? { error: "PROXY v1 header longer than 107 bytes" } : "incomplete";
  if (end + 2 > V1_MAX) return { error: "PROXY v1 header longer than 107 bytes" };
  const parts = buf.toString("latin1", 0, end).split(" ");
  const length = end + 2;
  if (parts[1] === "UNKNOWN") return { header: { kind: "local" }, length };
  if (parts.length !== 6) return { error: "PROXY v1 header with a wrong number of fields" };
  const [, proto, src, dst, sport, dport] = parts as [string, string, string, string, string, string];
  const family = proto === "TCP4" ? "IPv4" : proto === "TCP6" ? "IPv6" : null;
  if (family === null) return { error: `PROXY v1 header with protocol "${proto}"` };
  const isAddress = family === "IPv4" ? isIPv4 : isIPv6;
  if (!isAddress(src) || !isAddress(dst)) return { error: "PROXY v1 header with an invalid address" };
  const port = v1Port(sport);
  if (port === null || v1Port(dport) === null) return { error: "PROXY v1 header with an invalid port" };
  return { header: { kind: "proxy", sourceAddress: src, sourcePort: port, family }, length };
}

function v1Port(s: string): number | null {
  if (!/^(0|[1-9]\d{0,4})$/.test(s)) return null;
  const n = Number(s);
  return n <= 65535 ? n : null;
}

function parseV2(buf: Buffer): TParsed {
  const verCmd = buf[12] as number;
  if (verCmd >> 4 !== 2) return { error: "PROXY v2 header with a version other than 2" };
  const command = verCmd & 0x0f;
  if (command > 1) return { error: "PROXY v2 header with an unknown command" };
  const famProto = buf[13] as number;
  const addrLength = buf.readUInt16BE(14);
  const length = 16 + addrLength;
  if (length > V2_MAX) return { error: "PROXY v2 header too long" };
  if (buf.length < length) return "incomplete";
  // LOCAL: the balancer speaking for itself (its health checks).
  if (command === 0) return { header: { kind: "local" }, length };
  const family = famProto >> 4;
  if (family === 1 && addrLength >= 12) {
    const src = `${buf[16]}.${buf[17]}.${buf[18]}.${buf[19]}`;
    return { header: { kind: "proxy", sourceAddress: src, sourcePort: buf.readUInt16BE(24), family: "IPv4" }, length };
  }
  if (family === 2 && addrLength >= 36) {
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(16 + i * 2).toString(16));
    return { header: { kind: "proxy", sourceAddress: compactIPv6(groups), sourcePort: buf.readUInt16BE(48), family: "IPv6" }, length };
  }
  if (family === 1 || family === 2) return { error: "PROXY v2 header with a short address block" };
  // UNSPEC or UNIX: nothing we can use as a client address.
  return { header: { kind: "local" }, length };
}

/** RFC 5952 text form (longest run of zero groups as `::`), as Node prints addresses. */
function compactIPv6(groups: string[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best === -1) return groups.join(":");
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
}

/** Declared source of a connection, by the real peer "address|port" (for the TLS socket on top of it). */
const declared = new Map<string, TProxyHeader & { kind: "proxy" }>();

/** Gives a socket the declared client address (public getters stay the way to read it). */
function assume(socket: Socket, h: TProxyHeader & { kind: "proxy" }): void {
  Object.defineProperty(socket, "remoteAddress", { value: h.sourceAddress, configurable: true });
  Object.defineProperty(socket, "remotePort", { value: h.sourcePort, configurable: true });
  Object.defineProperty(socket, "remoteFamily", { value: h.family, configurable: true });
}

/**
 * Puts a PROXY header reader in front of every 'connection' listener the server has now
 * (the HTTP/1.1 engine with its h2c sniffing, the TLS handshake). `policy()` is read per
 * connection, so a new config version turns it on or off without a rebind. Sockets still
 * waiting for their header are in `pending` (the listener destroys them when it closes).
 */
export function readProxyHeaders(
  server: Server,
  tlsOnTop: boolean,
  pending: Set<Socket>,
  policy: () => { readonly enabled: boolean; readonly timeoutMs: number },
): void {
  const downstream = server.listeners("connection") as ((socket: Socket) => void)[];
  server.removeAllListeners("connection");
  const handOver = (socket: Socket) => {
    for (const l of downstream) l.call(server, socket);
  };
  server.on("connection", (socket: Socket) => {
    const p = policy();
    if (!p.enabled) return handOver(socket);
    const realKey = `${socket.remoteAddress}|${socket.remotePort}`;
    let buf: Buffer = Buffer.alloc(0);
    const fail = () => socket.destroy();
    const timer = p.timeoutMs > 0 ? setTimeout(fail, p.timeoutMs) : null;
    pending.add(socket);
    socket.once("close", () => pending.delete(socket));
    const onData = (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const r = parseProxyHeader(buf);
      if (r === "incomplete") return;
      pending.delete(socket);
      socket.off("data", onData);
      socket.off("end", fail);
      if (timer) clearTimeout(timer);
      if ("error" in r) return fail();
      socket.pause();
      if (r.header.kind === "proxy") {
        const h = r.header;
        assume(socket, h);
        // The TLS socket built on top reads its peer from the handle: it looks this up.
        if (tlsOnTop) {
          declared.set(realKey, h);
          socket.once("close", () => declared.delete(realKey));
        }
      }
      const rest = buf.subarray(r.length);
      if (rest.length) socket.unshift(rest);
      handOver(socket);
      // The HTTP/1.1 engine (and h2c behind it) reads on from the JS stream; a TLS socket on top took
      // the buffered bytes and reads the handle itself, so the stream stays paused.
      if (!tlsOnTop && !socket.destroyed) process.nextTick(() => socket.resume());
    };
    socket.on("data", onData);
    socket.once("end", fail);
    socket.on("error", fail);
  });
}

/** A TLS socket over a PROXY-protocol connection: give it the declared client address too. */
export function adoptProxiedAddress(tlsSocket: TLSSocket): void {
  const h = declared.get(`${tlsSocket.remoteAddress}|${tlsSocket.remotePort}`);
  if (h) assume(tlsSocket, h);
}
